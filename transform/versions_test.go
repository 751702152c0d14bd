package transform_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/feedgate/feedgate/transform"
)

// versionsFile records, per format, the writer's version and a hash of its golden outputs, so
// that a golden change without a version bump fails: stored outputs are keyed by the writer's
// version, and bytes that change under an unchanged version would keep the old output served.
var versionsFile = filepath.Join("testdata", "golden", "versions.json")

// versionRecord is one format's line in versions.json.
type versionRecord struct {
	Version string `json:"version"`
	Golden  string `json:"golden"` // goldenHash of the output and diagnostics
}

// goldenHash is a short hash of a format's golden files, output then diagnostics.
func goldenHash(out, diag []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", len(out))
	h.Write(out)
	h.Write(diag)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// errVersionNotBumped is the guard's refusal: the bytes changed, the version did not.
var errVersionNotBumped = errors.New("version not bumped")

// checkVersion compares a format's recorded version and golden hash with the current ones. In
// check mode (update false) they must match. In update mode the record may change, but a new
// hash under the recorded version is refused, so `-update` cannot record changed bytes that
// every replica's cache would keep serving under the old key.
func checkVersion(name string, rec versionRecord, recorded bool, version, hash string, update bool) (versionRecord, error) {
	now := versionRecord{Version: version, Golden: hash}
	switch {
	case recorded && rec.Golden != hash && rec.Version == version:
		return rec, fmt.Errorf("%w: %s's output changed but its version is still %q: bump the format's version constant (e.g. googleVehicleAdsVersion in transform/google_ads.go; for a template, templateEngineVersion) and run -update: %s", errVersionNotBumped, name, version, versionsFile)
	case update:
		return now, nil
	case !recorded:
		return now, fmt.Errorf("%s has no line in %s: run go test ./transform -run TestGolden -update", name, versionsFile)
	case rec.Golden != hash:
		return now, fmt.Errorf("%s: version bumped from %q to %q and the output changed: check the new output and run -update to record both", name, rec.Version, version)
	case rec != now:
		return now, fmt.Errorf("%s: %s records version %q, the writer is %q with the same output: run -update to record it", name, versionsFile, rec.Version, version)
	}
	return now, nil
}

// versionBook is versions.json while TestGolden runs.
type versionBook struct {
	mu      sync.Mutex
	records map[string]versionRecord
	seen    map[string]versionRecord
}

func readVersionBook(t *testing.T) *versionBook {
	t.Helper()
	b := &versionBook{records: map[string]versionRecord{}, seen: map[string]versionRecord{}}
	raw, err := os.ReadFile(versionsFile)
	switch {
	case errors.Is(err, os.ErrNotExist) && *update:
	case err != nil:
		t.Fatalf("%v (run go test ./transform -run TestGolden -update to create it)", err)
	default:
		if err := json.Unmarshal(raw, &b.records); err != nil {
			t.Fatalf("%s: %v", versionsFile, err)
		}
	}
	return b
}

// check applies checkVersion to one format and keeps the record for save.
func (b *versionBook) check(name, version, hash string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	rec, ok := b.records[name]
	now, err := checkVersion(name, rec, ok, version, hash, *update)
	if err == nil {
		b.seen[name] = now
	}
	return err
}

// save writes the records of every format seen, sorted by name, under -update.
func (b *versionBook) save(t *testing.T) {
	t.Helper()
	if !*update || t.Failed() {
		return
	}
	names := make([]string, 0, len(b.seen))
	for n := range b.seen {
		names = append(names, n)
	}
	sort.Strings(names)
	var sb strings.Builder
	sb.WriteString("{\n")
	for i, n := range names {
		line, _ := json.Marshal(b.seen[n])
		fmt.Fprintf(&sb, "  %q: %s", n, line)
		if i < len(names)-1 {
			sb.WriteString(",")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("}\n")
	if err := os.WriteFile(versionsFile, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckVersion is the golden guard's own test: changed bytes under an unchanged version fail
// in both modes; -update records a bumped version; check mode wants the record current.
func TestCheckVersion(t *testing.T) {
	rec := versionRecord{Version: "3", Golden: "aaaa"}
	cases := []struct {
		name     string
		recorded bool
		version  string
		hash     string
		update   bool
		want     versionRecord
		wantErr  bool
		bumpErr  bool
	}{
		{"unchanged", true, "3", "aaaa", false, rec, false, false},
		{"unchanged, update", true, "3", "aaaa", true, rec, false, false},
		{"bytes changed, version not bumped", true, "3", "bbbb", false, rec, true, true},
		{"bytes changed, version not bumped, update refuses", true, "3", "bbbb", true, rec, true, true},
		{"bytes changed, version bumped, not recorded yet", true, "4", "bbbb", false, versionRecord{"4", "bbbb"}, true, false},
		{"bytes changed, version bumped, update records", true, "4", "bbbb", true, versionRecord{"4", "bbbb"}, false, false},
		{"version bumped, same bytes, update records", true, "4", "aaaa", true, versionRecord{"4", "aaaa"}, false, false},
		{"version bumped, same bytes, not recorded", true, "4", "aaaa", false, versionRecord{"4", "aaaa"}, true, false},
		{"new format", false, "1", "cccc", false, versionRecord{"1", "cccc"}, true, false},
		{"new format, update", false, "1", "cccc", true, versionRecord{"1", "cccc"}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := checkVersion("fmt", rec, c.recorded, c.version, c.hash, c.update)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if errors.Is(err, errVersionNotBumped) != c.bumpErr {
				t.Fatalf("err = %v, want the not-bumped refusal %v", err, c.bumpErr)
			}
			if c.bumpErr && !strings.Contains(err.Error(), "bump") {
				t.Errorf("message %q does not say to bump the version", err)
			}
			if got != c.want {
				t.Errorf("record = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestWriterVersions: every format declares a version, and a template's version follows its
// definition's content, so editing a template renders anew.
func TestWriterVersions(t *testing.T) {
	for _, w := range allWriters(t) {
		if w.Version() == "" || strings.ContainsAny(w.Version(), "@ /") {
			t.Errorf("%s: version %q must be non-empty without '@', spaces or slashes", w.Name(), w.Version())
		}
	}
	def := func(title string) []byte {
		return []byte("name: v\noutput: csv\ncolumns:\n  - name: " + title + "\n    value: \"{{ .Vehicle.VIN }}\"\n")
	}
	a, err := transform.ParseTemplate("a.yaml", def("VIN"))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := transform.ParseTemplate("again.yaml", def("VIN"))
	edited, _ := transform.ParseTemplate("a.yaml", def("Vin"))
	if a.Version() != again.Version() {
		t.Errorf("the same definition has versions %q and %q", a.Version(), again.Version())
	}
	if a.Version() == edited.Version() {
		t.Errorf("an edited definition kept version %q", a.Version())
	}
}
