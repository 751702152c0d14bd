package cli

import (
	"fmt"

	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/transform"
)

// Formats is every format the gateway serves by default: the built-ins and the embedded
// template-defined channels.
func Formats() (*transform.Registry, error) {
	defs, err := transform.LoadTemplates(templates.FS())
	if err != nil {
		return nil, fmt.Errorf("bench: templates: %w", err)
	}
	reg, err := transform.NewRegistry(append(transform.Builtins(), defs...)...)
	if err != nil {
		return nil, fmt.Errorf("bench: registry: %w", err)
	}
	return reg, nil
}
