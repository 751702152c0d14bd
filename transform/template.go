package transform

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// A template-defined channel is a YAML file (see docs/templates.md): its name and media type,
// the document shape (XML elements, or CSV/TSV columns), the channel's rules, and per field a
// text/template expression that yields TEXT. The engine encodes every value itself, so a
// template cannot produce a broken document, whatever the data or the expression.

// tplSpec is the YAML schema of a channel definition; unknown keys are errors.
type tplSpec struct {
	Name            string         `yaml:"name"`
	Description     string         `yaml:"description"`
	Output          string         `yaml:"output"`
	ContentType     string         `yaml:"content_type"`
	Extension       string         `yaml:"extension"`
	Order           string         `yaml:"order"`
	SpreadsheetSafe bool           `yaml:"spreadsheet_safe"`
	Require         tplRequire     `yaml:"require"`
	Document        *tplDocument   `yaml:"document"`
	Columns         []tplFieldSpec `yaml:"columns"`
	Fields          []tplFieldSpec `yaml:"fields"`
}

type tplRequire struct {
	Price     bool `yaml:"price"`
	Image     bool `yaml:"image"`
	VIN17     bool `yaml:"vin17"`
	UniqueVIN bool `yaml:"unique_vin"`
}

type tplDocument struct {
	Root       string            `yaml:"root"`
	Item       string            `yaml:"item"`
	Namespaces map[string]string `yaml:"namespaces"`
	Attributes []tplFieldSpec    `yaml:"attributes"`
}

type tplFieldSpec struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	Each      string `yaml:"each"`
	KeepEmpty bool   `yaml:"keep_empty"`
}

// tplGoType matches the " in type transform.tplSpec" that yaml.v3 adds to an unknown-key error.
var tplGoType = regexp.MustCompile(` in type \S+`)

// Output kinds a channel definition may name.
const (
	tplXML = "xml"
	tplCSV = "csv"
	tplTSV = "tsv"
)

// TemplateWriter is a channel defined by a YAML file and rendered by the template engine. Its
// templates are parsed and tried on sample vehicles once, at load; it is safe for concurrent use.
type TemplateWriter struct {
	name, description, contentType, extension string
	version                                   string
	output                                    string
	newest                                    bool
	spreadsheetSafe                           bool
	rules                                     Rules
	// interpret renders every expression through text/template, as if none compiled (tests
	// compare the two paths).
	interpret bool
	// XML only.
	root, item string
	nsAttrs    []tplAttr
	rootAttrs  []*tplField
	nodes      []tplNode
	// CSV and TSV only.
	columns []*tplField
}

var _ Writer = (*TemplateWriter)(nil)

// templateEngineVersion is the template engine's own output version. Bump it whenever the
// engine writes different bytes for the same definition (TestGolden checks); a template
// writer's version adds a hash of its definition, so editing a template renders anew too.
const templateEngineVersion = "2"

type tplAttr struct{ name, value string }

// tplField is one compiled expression.
type tplField struct {
	label     string // where it is defined, for errors: columns[3] "Price"
	name      string // column, attribute or element name (the child's name when nested)
	tmpl      *template.Template
	prog      *tplProg // the compiled expression, or nil: text/template renders it
	each      bool     // the expression yields a list: one element per item
	keepEmpty bool
}

// tplNode is one child of the item element: a field, or a parent holding nested fields.
type tplNode struct {
	field    *tplField
	parent   string
	children []*tplField
}

// Name is the channel's name from its definition.
func (t *TemplateWriter) Name() string { return t.name }

// Version is the engine's version and a short hash of the definition file's content:
// "2-3f2a9c0b1d4e".
func (t *TemplateWriter) Version() string { return t.version }

// ContentType is the definition's content_type, or the usual one for its output.
func (t *TemplateWriter) ContentType() string { return t.contentType }

// Extension is the definition's extension, or the output kind.
func (t *TemplateWriter) Extension() string { return t.extension }

// Description is the definition's description, on one line.
func (t *TemplateWriter) Description() string { return t.description }

// LoadTemplates loads every *.yaml file at the root of fsys as a channel definition (the
// embedded templates.FS(), or os.DirFS of a configured templates_dir). It reports every bad
// file, each error naming the file and the field, and refuses two definitions of one name.
func LoadTemplates(fsys fs.FS) ([]Writer, error) {
	paths, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("transform: templates: %w", err)
	}
	sort.Strings(paths)
	var (
		out  []Writer
		errs []error
		seen = make(map[string]string, len(paths))
	)
	for _, p := range paths {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("transform: %w", err))
			continue
		}
		w, err := ParseTemplate(p, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[w.name]; dup {
			errs = append(errs, fmt.Errorf("transform: %s: name %q is already defined by %s", p, w.name, prev))
			continue
		}
		seen[w.name] = p
		out = append(out, w)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ParseTemplate compiles one channel definition; file names it in errors.
func ParseTemplate(file string, data []byte) (*TemplateWriter, error) {
	var spec tplSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file is empty")
		} else {
			// yaml.v3 names the Go type of the struct; the user only knows the keys.
			err = errors.New(tplGoType.ReplaceAllString(err.Error(), ""))
		}
		return nil, fmt.Errorf("transform: %s: %w", file, err)
	}
	t, err := compileTemplate(&spec)
	if err != nil {
		return nil, fmt.Errorf("transform: %s: %w", file, err)
	}
	if err := t.try(); err != nil {
		return nil, fmt.Errorf("transform: %s: %w", file, err)
	}
	sum := sha256.Sum256(data)
	t.version = templateEngineVersion + "-" + hex.EncodeToString(sum[:6])
	return t, nil
}

func compileTemplate(s *tplSpec) (*TemplateWriter, error) {
	t := &TemplateWriter{
		name: strings.TrimSpace(s.Name), description: OneLine(s.Description),
		output: s.Output, spreadsheetSafe: s.SpreadsheetSafe,
		rules: Rules{RequirePrice: s.Require.Price, RequireImage: s.Require.Image,
			RequireVIN17: s.Require.VIN17, UniqueVIN: s.Require.UniqueVIN},
	}
	switch {
	case t.name == "":
		return nil, errors.New("name: missing")
	case t.name != strings.ToLower(t.name) || strings.ContainsAny(t.name, " \t/"):
		return nil, fmt.Errorf("name: %q must be lower case without spaces or slashes", t.name)
	}
	switch s.Order {
	case "", "snapshot":
	case "newest":
		t.newest = true
	default:
		return nil, fmt.Errorf("order: %q is not snapshot or newest", s.Order)
	}
	if t.description == "" {
		t.description = fmt.Sprintf("%s channel defined by a template", strings.ToUpper(s.Output))
	}
	t.extension = strings.TrimPrefix(strings.TrimSpace(s.Extension), ".")
	if t.extension == "" {
		t.extension = s.Output
	}
	if strings.IndexFunc(t.extension, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '-' && r != '+'
	}) >= 0 {
		return nil, fmt.Errorf("extension: %q may hold only letters, digits, '.', '-' and '+'", t.extension)
	}
	t.contentType = strings.TrimSpace(s.ContentType)
	if t.contentType != "" {
		if _, _, err := mime.ParseMediaType(t.contentType); err != nil || strings.ContainsAny(t.contentType, "\r\n") {
			return nil, fmt.Errorf("content_type: %q is not a media type", t.contentType)
		}
	}
	var err error
	c := newTplCompiler()
	switch s.Output {
	case tplXML:
		t.contentType = tplOr(t.contentType, "application/xml; charset=utf-8")
		err = t.compileXML(c, s)
	case tplCSV:
		t.contentType = tplOr(t.contentType, "text/csv; charset=utf-8")
		err = t.compileTable(c, s)
	case tplTSV:
		t.contentType = tplOr(t.contentType, "text/tab-separated-values; charset=utf-8")
		err = t.compileTable(c, s)
	case "":
		err = errors.New("output: missing (xml, csv or tsv)")
	default:
		err = fmt.Errorf("output: %q is not xml, csv or tsv", s.Output)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func tplOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (t *TemplateWriter) compileTable(c *tplCompiler, s *tplSpec) error {
	switch {
	case s.Document != nil:
		return fmt.Errorf("document: only xml output has a document; %s has columns", s.Output)
	case len(s.Fields) > 0:
		return fmt.Errorf("fields: %s output has columns, not fields", s.Output)
	case len(s.Columns) == 0:
		return errors.New("columns: missing")
	}
	seen := make(map[string]bool, len(s.Columns))
	for i, col := range s.Columns {
		label := fmt.Sprintf("columns[%d] %q", i, col.Name)
		switch {
		case strings.TrimSpace(col.Name) == "":
			return fmt.Errorf("columns[%d]: name missing", i)
		case seen[col.Name]:
			return fmt.Errorf("%s: duplicate column name", label)
		case col.Each != "":
			return fmt.Errorf("%s: each is for xml fields; join the list into one cell instead", label)
		case col.KeepEmpty:
			return fmt.Errorf("%s: keep_empty is for xml fields; a cell is always written", label)
		}
		seen[col.Name] = true
		f, err := c.newField(fmt.Sprintf("columns[%d]", i), label, col)
		if err != nil {
			return err
		}
		t.columns = append(t.columns, f)
	}
	return nil
}

func (t *TemplateWriter) compileXML(c *tplCompiler, s *tplSpec) error {
	switch {
	case len(s.Columns) > 0:
		return errors.New("columns: xml output has fields, not columns")
	case s.SpreadsheetSafe:
		return errors.New("spreadsheet_safe: applies to csv and tsv output only")
	case s.Document == nil:
		return errors.New("document: missing (root and item element names)")
	case len(s.Fields) == 0:
		return errors.New("fields: missing")
	}
	doc := s.Document
	prefixes := make([]string, 0, len(doc.Namespaces))
	for p, uri := range doc.Namespaces {
		if !tplXMLName(p, nil) || strings.Contains(p, ":") || strings.HasPrefix(strings.ToLower(p), "xml") {
			return fmt.Errorf("document.namespaces: %q is not a usable prefix", p)
		}
		if strings.TrimSpace(uri) == "" {
			return fmt.Errorf("document.namespaces.%s: the namespace URI is missing", p)
		}
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		t.nsAttrs = append(t.nsAttrs, tplAttr{name: "xmlns:" + p, value: Clean(doc.Namespaces[p])})
	}
	for _, el := range []tplAttr{{"document.root", doc.Root}, {"document.item", doc.Item}} {
		if !tplXMLName(el.value, doc.Namespaces) {
			return fmt.Errorf("%s: %q is not an XML element name (or its prefix is not declared)", el.name, el.value)
		}
	}
	t.root, t.item = doc.Root, doc.Item
	seen := make(map[string]bool)
	for i, a := range doc.Attributes {
		label := fmt.Sprintf("document.attributes[%d] %q", i, a.Name)
		switch {
		case !tplXMLName(a.Name, doc.Namespaces) || strings.HasPrefix(a.Name, "xmlns"):
			return fmt.Errorf("%s: not an XML attribute name (declare namespaces under document.namespaces)", label)
		case seen[a.Name]:
			return fmt.Errorf("%s: duplicate attribute", label)
		case a.Each != "" || a.KeepEmpty:
			return fmt.Errorf("%s: an attribute has one value (no each, no keep_empty)", label)
		}
		seen[a.Name] = true
		f, err := c.newField(fmt.Sprintf("document.attributes[%d]", i), label, a)
		if err != nil {
			return err
		}
		t.rootAttrs = append(t.rootAttrs, f)
	}
	return t.compileFields(c, s.Fields, doc.Namespaces)
}

// compileFields groups nested fields ("mileage/value") under one parent element, placed where
// the parent's first child is defined.
func (t *TemplateWriter) compileFields(c *tplCompiler, fields []tplFieldSpec, ns map[string]string) error {
	parents := make(map[string]int) // parent name -> index in t.nodes
	leaves := make(map[string]bool)
	seen := make(map[string]bool, len(fields))
	for i, fs := range fields {
		label := fmt.Sprintf("fields[%d] %q", i, fs.Name)
		parent, child, nested := strings.Cut(fs.Name, "/")
		if !nested {
			parent, child = "", fs.Name
		}
		switch {
		case seen[fs.Name]:
			return fmt.Errorf("%s: duplicate field (use each to repeat an element)", label)
		case nested && !tplXMLName(parent, ns), !tplXMLName(child, ns):
			return fmt.Errorf("%s: not an XML element name, or nested deeper than parent/child, or its prefix is not declared", label)
		case nested && leaves[parent], !nested && parents[child] > 0:
			return fmt.Errorf("%s: %q is both a field and a parent of nested fields", label, tplOr(parent, child))
		}
		seen[fs.Name] = true
		f, err := c.newField(fmt.Sprintf("fields[%d]", i), label, fs)
		if err != nil {
			return err
		}
		f.name = child
		if !nested {
			leaves[child] = true
			t.nodes = append(t.nodes, tplNode{field: f})
			continue
		}
		if at, ok := parents[parent]; ok {
			t.nodes[at-1].children = append(t.nodes[at-1].children, f)
			continue
		}
		t.nodes = append(t.nodes, tplNode{parent: parent, children: []*tplField{f}})
		parents[parent] = len(t.nodes) // 1-based, so that 0 means absent
	}
	return nil
}

// newField parses a field's template and compiles it when it can. For each, the expression must
// be one action whose value is a list: it is rewritten to hand that value to TemplateData.Each
// instead of printing it.
func (c *tplCompiler) newField(name, label string, fs tplFieldSpec) (*tplField, error) {
	f := &tplField{label: label, name: fs.Name, each: fs.Each != "", keepEmpty: fs.KeepEmpty}
	src := fs.Value
	switch {
	case fs.Value != "" && fs.Each != "":
		return nil, fmt.Errorf("%s: give value or each, not both", label)
	case fs.Value == "" && fs.Each == "":
		return nil, fmt.Errorf("%s: value (or each) missing", label)
	case f.each:
		pipe, err := tplEachPipe(name, fs.Each)
		if err != nil {
			return nil, fmt.Errorf("%s: each: %w", label, err)
		}
		src = "{{ " + pipe + " | $.Each }}"
	}
	tmpl, err := template.New(name).Funcs(tplFuncs()).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	f.tmpl = tmpl
	f.prog = c.compile(tmpl, f.each)
	return f, nil
}

// tplEachPipe checks that src is a single action such as `{{ .Vehicle.AllImages }}` and returns its
// pipeline.
func tplEachPipe(name, src string) (string, error) {
	tmpl, err := template.New(name).Funcs(tplFuncs()).Parse(src)
	if err != nil {
		return "", err
	}
	var action *parse.ActionNode
	for _, n := range tmpl.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			if len(bytes.TrimSpace(n.Text)) == 0 {
				continue
			}
		case *parse.ActionNode:
			if action == nil && len(n.Pipe.Decl) == 0 {
				action = n
				continue
			}
		}
		action = nil
		break
	}
	if action == nil {
		return "", errors.New(`must be one expression whose value is a list, such as '{{ .Vehicle.AllImages }}'`)
	}
	return action.Pipe.String(), nil
}

// tplXMLName reports whether s is an XML element or attribute name with at most one prefix, and
// that prefix declared in ns.
func tplXMLName(s string, ns map[string]string) bool {
	prefix, local, hasPrefix := strings.Cut(s, ":")
	if hasPrefix {
		if _, ok := ns[prefix]; !ok || !tplNCName(prefix) {
			return false
		}
	} else {
		local = prefix
	}
	return tplNCName(local)
}

func tplNCName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := unicode.IsLetter(r) || r == '_'
		if i > 0 {
			ok = ok || unicode.IsDigit(r) || r == '-' || r == '.'
		}
		if !ok {
			return false
		}
	}
	return true
}
