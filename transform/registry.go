package transform

import (
	"fmt"
	"sort"
	"strings"
)

// Registry is the set of formats a process serves, built once at start-up.
type Registry struct {
	writers map[string]Writer
}

// NewRegistry builds a registry from ws, refusing an empty or duplicate name.
func NewRegistry(ws ...Writer) (*Registry, error) {
	r := &Registry{writers: make(map[string]Writer, len(ws))}
	for _, w := range ws {
		if err := r.Register(w); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds w, refusing an empty name, a name with spaces or upper case, and a duplicate.
func (r *Registry) Register(w Writer) error {
	name := w.Name()
	switch {
	case name == "":
		return fmt.Errorf("transform: a format has an empty name")
	case name != strings.ToLower(strings.TrimSpace(name)) || strings.ContainsAny(name, " \t/"):
		return fmt.Errorf("transform: format name %q must be lower case without spaces or slashes", name)
	}
	if _, dup := r.writers[name]; dup {
		return fmt.Errorf("transform: format %q is registered twice", name)
	}
	r.writers[name] = w
	return nil
}

// Lookup returns the named format or an error naming the known ones.
func (r *Registry) Lookup(name string) (Writer, error) {
	if w, ok := r.writers[name]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("transform: unknown format %q (known: %s)", name, strings.Join(r.Names(), ", "))
}

// Has reports whether a format is registered.
func (r *Registry) Has(name string) bool {
	_, ok := r.writers[name]
	return ok
}

// Names lists the registered names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.writers))
	for n := range r.writers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Writers lists the registered formats sorted by name.
func (r *Registry) Writers() []Writer {
	out := make([]Writer, 0, len(r.writers))
	for _, n := range r.Names() {
		out = append(out, r.writers[n])
	}
	return out
}
