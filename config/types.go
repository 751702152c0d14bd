package config

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Secret is a value that must never be printed: an upstream key or a webhook secret. Every way of
// formatting or marshalling it shows "[redacted]"; Reveal gives the value to the code that
// actually needs it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String masks the secret, so %v and %s never show it.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString masks the secret for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// MarshalText masks the secret in JSON, YAML and any other text encoding.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// StringList accepts either one string or a list of strings in YAML, so `make: Honda` and
// `make: [Honda, Acura]` both work.
type StringList []string

// UnmarshalYAML decodes a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := make(StringList, 0, len(items))
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return errors.New("config: must be a string or a list of strings")
		}
		out = append(out, it.Value)
	}
	*l = out
	return nil
}
