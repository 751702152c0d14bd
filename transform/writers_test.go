package transform_test

import (
	"testing"
	"time"

	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/transform"
)

var fixedTime = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

// allWriters is every format the golden and fuzz tests cover: the built-ins and the embedded
// template-defined channels.
func allWriters(t testing.TB) []transform.Writer {
	t.Helper()
	defined, err := transform.LoadTemplates(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := transform.NewRegistry(append(transform.Builtins(), defined...)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg.Writers()
}
