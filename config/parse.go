package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"
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
	return parse(data, opts, filepath.Dir(path))
}

// Parse decodes, expands, defaults and validates a YAML configuration. Every problem found is
// returned together in a *ValidationError; a YAML syntax error is returned on its own.
// A relative templates_dir is taken relative to the working directory.
func Parse(data []byte, opts ParseOptions) (*Config, error) {
	return parse(data, opts, "")
}

func parse(data []byte, opts ParseOptions, baseDir string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
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
