package config

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// walker goes over the YAML node tree beside the Go type it will be decoded into, before
// decoding. It expands ${VAR} in scalar values (so that a value full of YAML-special characters
// can never change the document's structure), rejects unknown and repeated keys with their line,
// checks every scalar against its field's type with the key path in the message, and records
// the line of every key path for later problems.
type walker struct {
	opts     ParseOptions
	problems []Problem
	lines    map[string]int
	expanded map[*yaml.Node]bool // an alias shares its anchor's node: expand it once only
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

func (w *walker) problem(path string, line int, format string, args ...any) {
	w.problems = append(w.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// drop reports a value that cannot be decoded and empties it, so that decoding goes on to find
// every other problem instead of stopping at this one.
func (w *walker) drop(n *yaml.Node, path, format string, args ...any) {
	w.problem(path, n.Line, format, args...)
	empty(n)
}

// empty turns n into a null value, which decoding skips.
func empty(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	w.lines[path] = n.Line
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value leaves the default in place
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case reflect.PointerTo(t).Implements(unmarshalerType):
		w.expandTree(n, path)
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			w.drop(n, path, "%s", strings.TrimPrefix(err.Error(), "config: "))
		}
	case t.Kind() == reflect.Struct:
		w.mapping(n, t, path)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.drop(n, path, "must be a list")
			return
		}
		for i, item := range n.Content {
			w.walk(item, t.Elem(), index(path, i))
		}
	default:
		w.scalar(n, t, path)
	}
}

func (w *walker) mapping(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.drop(n, path, "must be a mapping of keys to values")
		return
	}
	fields := yamlFields(t)
	seen := make(map[string]int, len(n.Content)/2)
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := join(path, k.Value)
		ft, ok := fields[k.Value]
		switch {
		case k.Value == "<<":
			w.problem(sub, k.Line, "merge keys (<<) are not supported; repeat the values or use an alias for the whole value")
		case !ok:
			w.problem(sub, k.Line, "unknown key (known here: %s)", strings.Join(sortedKeys(fields), ", "))
		case seen[k.Value] != 0:
			w.problem(sub, k.Line, "is set twice (first at line %d)", seen[k.Value])
		default:
			seen[k.Value] = k.Line
			w.walk(v, ft, sub)
			kept = append(kept, k, v)
		}
	}
	// Only known keys, once each, go on to decoding: yaml.v3 abandons a whole mapping at a
	// repeated key, which would hide the problems of everything else in it.
	n.Content = kept
}

func (w *walker) scalar(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		w.drop(n, path, "must be a single value, not a list or mapping")
		return
	}
	before := len(w.problems)
	changed := w.expand(n, path)
	if len(w.problems) > before {
		empty(n) // already reported; don't report the unexpanded text's type too
		return
	}
	if changed {
		if t.Kind() == reflect.String {
			// Whatever the variable holds ("null", "~", "0123") stays a string.
			n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
		} else {
			// Let the expanded text resolve as a number, boolean or duration.
			n.Tag, n.Style = "", 0
		}
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		w.drop(n, path, "%q %s", n.Value, typeWant(t))
	}
}

func typeWant(t reflect.Type) string {
	switch {
	case t == durationType:
		return "is not a duration (write a number with a unit: 30s, 5m, 24h)"
	case t.Kind() == reflect.Bool:
		return "is not true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "is not a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "is not a number"
	}
	return "is not a " + t.String()
}

// expandTree expands every scalar under n, for values decoded by their own UnmarshalYAML.
func (w *walker) expandTree(n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		if w.expand(n, path) {
			n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
		}
		return
	}
	for i, c := range n.Content {
		w.expandTree(c, index(path, i))
	}
}

// expand replaces ${VAR} references in n's value and reports whether it changed anything.
func (w *walker) expand(n *yaml.Node, path string) bool {
	if w.expanded[n] || !strings.Contains(n.Value, "${") {
		return false
	}
	w.expanded[n] = true
	out, err := Expand(n.Value, w.opts.getenv)
	if err != nil {
		w.problem(path, n.Line, "%s", err.Error())
		return false
	}
	n.Value = out
	return true
}

// Expand replaces each ${VAR} in s with the variable's value from getenv; $${ stands for a
// literal ${. When VAR is unset but VAR_FILE is set, the value is the content of the file that
// VAR_FILE names, without its trailing line break (Docker and Kubernetes secrets mounted as
// files). An unset variable, an unreadable file, an unterminated reference or a bad name is an
// error.
func Expand(s string, getenv func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ (write $${ for a literal ${)")
			}
			name := s[i+2 : i+2+end]
			if !validEnvName(name) {
				return "", fmt.Errorf("%q is not a valid environment variable name (letters, digits and _; not starting with a digit)", name)
			}
			val, err := lookup(name, getenv)
			if err != nil {
				return "", err
			}
			b.WriteString(val)
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}

// lookup is the value of the variable name, or of the file that name_FILE names.
func lookup(name string, getenv func(string) (string, bool)) (string, error) {
	if val, ok := getenv(name); ok {
		return val, nil
	}
	path, ok := getenv(name + "_FILE")
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("environment variable %s is not set, and %s_FILE: %w", name, name, err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

func validEnvName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// yamlFields maps a struct's YAML key names to their field types, inline fields flattened.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline":
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
		case name == "-" || !f.IsExported():
		case name == "":
			out[strings.ToLower(f.Name)] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index is path[i].
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
