package templates_test

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestEmbeddedDefinitions: the binary carries both shipped channels, each named like its file,
// each compiling and rendering the sample inventory.
func TestEmbeddedDefinitions(t *testing.T) {
	paths, err := fs.Glob(templates.FS(), "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dealer-csv.yaml", "marketplace-xml.yaml"}; strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("embedded %v, want %v", paths, want)
	}
	snap := inventory.NewSnapshot("t", hriznsim.Generate(1, 30), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "test")
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			data, err := fs.ReadFile(templates.FS(), p)
			if err != nil {
				t.Fatal(err)
			}
			w, err := transform.ParseTemplate(p, data)
			if err != nil {
				t.Fatal(err)
			}
			if w.Name()+".yaml" != p || w.Description() == "" {
				t.Errorf("name %q, description %q", w.Name(), w.Description())
			}
			var buf bytes.Buffer
			diag, err := w.Write(&buf, transform.Input{Snapshot: snap})
			if err != nil || buf.Len() == 0 {
				t.Fatalf("render: %v (%d bytes)", err, buf.Len())
			}
			if diag.Included == 0 {
				t.Errorf("no vehicle included: %+v", diag)
			}
		})
	}
	if ws, err := transform.LoadTemplates(templates.FS()); err != nil || len(ws) != len(paths) {
		t.Errorf("LoadTemplates: %d writers, %v", len(ws), err)
	}
}
