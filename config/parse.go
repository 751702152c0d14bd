package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FormatSet is the set of output format names a process knows; transform.Registry satisfies it.
type FormatSet interface {
	Has(name string) bool
	Names() []string
}

// ParseOptions are the collaborators Parse needs.
type ParseOptions struct {
	// Getenv looks up ${VAR} references; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Formats checks each feed's format name; nil (with FormatsFor nil) skips that check.
	Formats FormatSet
	// FormatsFor, used when Formats is nil, builds the format set once templates_dir is known
	// (built-ins plus the templates in that directory). Its error is reported as a problem of
	// templates_dir.
	FormatsFor func(templatesDir string) (FormatSet, error)
}

func (o ParseOptions) getenv(name string) (string, bool) {
	if o.Getenv == nil {
		return os.LookupEnv(name)
	}
	return o.Getenv(name)
}

// Load reads and parses the file at path. A relative templates_dir is taken relative to the
// file's directory.
func Load(path string, opts ParseOptions) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(data, opts, filepath.Dir(path), path)
}

// Parse decodes, expands, defaults and validates a YAML configuration. Every problem found is
// returned together in a *ValidationError; a YAML syntax error is returned on its own.
// A relative templates_dir is taken relative to the working directory.
func Parse(data []byte, opts ParseOptions) (*Config, error) {
	return parse(data, opts, "", "")
}

// parse is Parse for the file named file ("" when the data has no file), whose relative
// templates_dir is taken relative to baseDir.
func parse(data []byte, opts ParseOptions, baseDir, file string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, newSyntaxError(data, file, err)
	}
	cfg := Default()
	w := &walker{opts: opts, lines: map[string]int{}, expanded: map[*yaml.Node]bool{}}
	if len(doc.Content) == 1 {
		root := doc.Content[0]
		w.walk(root, reflect.TypeOf(cfg), "")
		if err := root.Decode(&cfg); err != nil {
			var te *yaml.TypeError
			// The walker has already reported type errors with their key paths.
			if !errors.As(err, &te) || len(w.problems) == 0 {
				w.problems = append(w.problems, Problem{Message: err.Error()})
			}
		}
	}
	applyDefaults(&cfg, w.lines, baseDir)

	formats := opts.Formats
	if formats == nil && opts.FormatsFor != nil {
		fs, err := opts.FormatsFor(cfg.TemplatesDir)
		if err != nil {
			w.problems = append(w.problems, Problem{Path: "templates_dir", Message: err.Error()})
		} else {
			formats = fs
		}
	}
	v := &validator{lines: w.lines}
	v.config(&cfg, formats)

	problems := w.problems
	reported := make(map[string]bool, len(problems))
	for _, p := range problems {
		reported[p.Path] = true
	}
	for _, p := range v.problems {
		// A value that could not be decoded has already been reported; its zero value would
		// only add noise.
		if !reported[p.Path] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	cfg.lines = w.lines
	return &cfg, nil
}

// applyDefaults fills what YAML decoding into Default() cannot: values inside list elements,
// and values derived from others.
func applyDefaults(c *Config, present map[string]int, baseDir string) {
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost" + portOf(c.Listen)
	}
	if c.TemplatesDir != "" && baseDir != "" && !filepath.IsAbs(c.TemplatesDir) {
		c.TemplatesDir = filepath.Join(baseDir, c.TemplatesDir)
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		if t.Name == "" {
			t.Name = t.ID
		}
		if t.UpstreamBaseURL == "" {
			t.UpstreamBaseURL = c.Upstream.BaseURL
		}
		if _, set := present[fmt.Sprintf("tenants[%d].rate_limit.per_minute", i)]; !set {
			t.RateLimit.PerMinute = DefaultRatePerMinute
		}
		for j := range t.Feeds {
			o := &t.Feeds[j].Options
			if o.Currency == "" {
				o.Currency = DefaultCurrency
			}
			if o.MileageUnit == "" {
				o.MileageUnit = DefaultMileageUnit
			}
		}
	}
}

// portOf returns ":port" of a listen address, or "" when there is none.
func portOf(listen string) string {
	for i := len(listen) - 1; i >= 0; i-- {
		if listen[i] == ':' {
			return listen[i:]
		}
	}
	return ""
}

// SyntaxError is a configuration that is not well-formed YAML.
type SyntaxError struct {
	File    string // the file's path; "" when the data did not come from a file
	Line    int    // where the YAML parser stopped; 0 when it does not say
	Path    string // the key path on or just before Line; "" when none is found
	Message string // the parser's description
	Err     error  // the parser's error
}

// Error is "config: FILE: line N: YAML syntax error at PATH: MESSAGE", leaving out what is unknown.
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString("YAML syntax error")
	if e.Path != "" {
		b.WriteString(" at " + e.Path)
	}
	return b.String() + ": " + e.Message
}

// Unwrap is the parser's error.
func (e *SyntaxError) Unwrap() error { return e.Err }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// newSyntaxError turns the YAML parser's error into a SyntaxError with the key path.
func newSyntaxError(data []byte, file string, err error) *SyntaxError {
	e := &SyntaxError{File: file, Message: strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return e
	}
	e.Line, _ = strconv.Atoi(m[1])
	e.Message = m[2]
	// The parser (not the scanner) counts lines from 0 in its messages: its "did not find
	// expected ..." problems are one line further down.
	if strings.HasPrefix(e.Message, "did not find expected") {
		e.Line++
	}
	lines := strings.SplitAfter(string(data), "\n")
	if e.Line > len(lines) {
		return e
	}
	e.Path = keyPathAt(lines, e.Line)
	if text := lines[e.Line-1]; strings.Contains(text, "${") && strings.ContainsAny(text, "{[") {
		e.Message += "; in flow style ({...} or [...]) a ${VAR} value must be quoted: \"${VAR}\""
	}
	return e
}

// keyLineRE is a line that starts with a plain key: its indentation (and list dashes), the key.
var keyLineRE = regexp.MustCompile(`^(\s*(?:-\s+)*)([^\s#'"{\[\]},&*!|>%@-][^:#]*?):(?:\s|$)`)

// keyPathAt is the key path of the key on line (1-based), or of the last key before it. The
// lines up to it are decoded with the value of its last key left out (an unclosed [ or { is
// often the problem), going back a few lines while they do not decode either.
func keyPathAt(lines []string, line int) string {
	for j := line; j >= max(1, line-20); j-- {
		before := strings.Join(lines[:j-1], "")
		if m := keyLineRE.FindStringSubmatch(lines[j-1]); m != nil {
			if p := lastKeyPath(before+m[1]+m[2]+": ~\n", j); p != "" {
				return p
			}
		}
		if p := lastKeyPath(before+lines[j-1], j); p != "" {
			return p
		}
	}
	return ""
}

// lastKeyPath decodes doc and returns the path of the last key at or before line.
func lastKeyPath(doc string, line int) string {
	var root yaml.Node
	if yaml.Unmarshal([]byte(doc), &root) != nil || len(root.Content) == 0 {
		return ""
	}
	var best string
	bestLine := 0
	var visit func(n *yaml.Node, path string)
	visit = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				sub := join(path, k.Value)
				if k.Line <= line && k.Line >= bestLine {
					best, bestLine = sub, k.Line
				}
				visit(n.Content[i+1], sub)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				visit(c, index(path, i))
			}
		}
	}
	visit(root.Content[0], "")
	return best
}
