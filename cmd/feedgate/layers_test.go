package main

import (
	gobuild "go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackageMapHolds reads the package map in docs/design.md ("may import (of ours)") and wants
// every listed package's non-test imports of this module within what its row allows: the map is
// a contract, and a new import that breaks it must change the map in the same commit.
func TestPackageMapHolds(t *testing.T) {
	const module = "github.com/feedgate/feedgate/"
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		// | layer | `pkg/`[, `pkg2/`] | holds | may import |
		if len(cells) != 6 || strings.TrimSpace(cells[1]) == "" || !strings.ContainsAny(strings.TrimSpace(cells[1]), "0123456789") {
			continue
		}
		allowedCell := strings.TrimSpace(cells[4])
		if allowedCell == "everything" {
			continue
		}
		var allowed []string
		if allowedCell != "nothing" {
			for _, a := range strings.Split(allowedCell, ",") {
				allowed = append(allowed, strings.TrimSpace(a))
			}
		}
		for _, pkg := range strings.Split(cells[2], ",") {
			pkg = strings.Trim(strings.TrimSpace(pkg), "`/")
			if pkg == "" {
				continue
			}
			rows++
			p, err := gobuild.ImportDir(filepath.Join(root, pkg), 0)
			if err != nil {
				t.Errorf("%s (in the package map): %v", pkg, err)
				continue
			}
			for _, imp := range p.Imports {
				ours, ok := strings.CutPrefix(imp, module)
				if !ok {
					continue
				}
				if !slices.Contains(allowed, ours) {
					t.Errorf("%s imports %s, which docs/design.md's package map does not allow (it allows: %s)", pkg, ours, allowedCell)
				}
			}
		}
	}
	if rows < 15 {
		t.Fatalf("read %d packages from docs/design.md's package map; its table format changed?", rows)
	}
}
