package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// renderFeed is a small Hrizn feed: a new Honda, a used Ford listed twice (a duplicate VIN,
// which syndication formats leave out) and a used Toyota without a price.
func renderFeed(t *testing.T, xml bool) []byte {
	t.Helper()
	vs := []inventory.Vehicle{
		{VIN: "1HGBH41JXMN109186", Year: 2026, Make: "Honda", Model: "Civic", Condition: inventory.New,
			Price: inventory.Ptr(28500.0), Mileage: inventory.Ptr(12), ImageURL: "https://cdn.example/1.jpg"},
		{VIN: "3FA6P0H71HR000002", Year: 2017, Make: "Ford", Model: "Fusion", Condition: inventory.Used,
			Price: inventory.Ptr(9000.0)},
		{VIN: "3FA6P0H71HR000002", Year: 2017, Make: "Ford", Model: "Fusion", Condition: inventory.Used,
			Price: inventory.Ptr(9000.0)},
		{VIN: "1M8GDM9AXKP042788", Year: 2019, Make: "Toyota", Model: "Camry", Condition: inventory.Used},
	}
	var b bytes.Buffer
	write := inventory.WriteFeedJSON
	if xml {
		write = inventory.WriteFeedXML
	}
	if err := write(&b, vs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const renderConfig = `public_url: "https://feeds.example"
tenants:
  - id: sunset-honda
    name: Sunset Honda
    upstream_key: "hzk_not_used_by_render"
    dealer:
      website: "https://www.sunsethonda.example"
      vdp_url: "https://www.sunsethonda.example/inventory/{vin}"
    feeds:
      - name: used-arrivals
        format: atom
        filter: {condition: used}
        options: {title: "Used arrivals"}
        keys: [{name: reader, hash: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}]
`

// renderFiles writes the feed (JSON and XML) and the configuration into a directory.
func renderFiles(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for name, data := range map[string][]byte{
		"feed.json":     renderFeed(t, false),
		"feed.xml":      renderFeed(t, true),
		"feedgate.yaml": []byte(renderConfig),
		"broken.yaml":   []byte("tenants: [{id: Bad}]\n"),
		"not-a-feed":    []byte("hello"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runRenderIn(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runRender(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRender(t *testing.T) {
	dir := renderFiles(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	jsonFeed := renderFeed(t, false)
	tests := []struct {
		name    string
		stdin   []byte
		args    []string
		code    int
		stdout  []string // substrings of stdout, in any order; none means stdout must be empty
		stderr  []string // substrings of stderr
		without []string // substrings stdout must not contain
	}{
		{name: "stdin JSON to csv", stdin: jsonFeed, args: []string{"--format", "csv"}, code: 0,
			stdout: []string{"vin,year,make", "\r\n1HGBH41JXMN109186,2026,Honda,Civic"},
			stderr: []string{"csv: 4 included, 0 filtered, 0 excluded, 0 warnings\n"}},
		{name: "XML file to json, auto-detected", args: []string{"--format", "json", "--in", p("feed.xml")}, code: 0,
			stdout: []string{`{"data":{"count":4,"vehicles":[{"vin":"1HGBH41JXMN109186"`}},
		{name: "stdin to rss, fixed epoch, no dealer: no link, all excluded", stdin: jsonFeed, args: []string{"--format", "rss"}, code: 0,
			stdout: []string{"<lastBuildDate>Thu, 01 Jan 1970 00:00:00 +0000</lastBuildDate>"},
			stderr: []string{"rss: 0 included, 0 filtered, 4 excluded",
				"  excluded 3FA6P0H71HR000002 duplicate_vin",
				"  excluded 1HGBH41JXMN109186 missing_field: no link: neither dealer.vdp_url",
				"  excluded 1M8GDM9AXKP042788 missing_field: no link: neither dealer.vdp_url"},
			without: []string{"<item>"}},
		{name: "--time", stdin: jsonFeed, args: []string{"--format", "atom", "--time", "2026-02-01T12:00:00Z"}, code: 0,
			stdout: []string{"<updated>2026-02-01T12:00:00Z</updated>"}},
		{name: "config, tenant and feed: the feed's format, filter and title", args: []string{
			"--config", p("feedgate.yaml"), "--tenant", "sunset-honda", "--feed", "used-arrivals", "--in", p("feed.json")}, code: 0,
			stdout: []string{`<title type="text">Used arrivals</title>`, "<id>urn:vin:1M8GDM9AXKP042788</id>",
				`href="https://www.sunsethonda.example/inventory/1M8GDM9AXKP042788"`,
				`<link rel="self" type="application/atom+xml" href="https://feeds.example/feeds/sunset-honda/used-arrivals"/>`},
			stderr:  []string{"atom: 1 included, 1 filtered, 2 excluded"},
			without: []string{"1HGBH41JXMN109186"}},
		{name: "--format wins over the feed's", args: []string{"--format", "csv",
			"--config", p("feedgate.yaml"), "--tenant", "sunset-honda", "--feed", "used-arrivals", "--in", p("feed.json")}, code: 0,
			stdout: []string{"https://www.sunsethonda.example/inventory/3FA6P0H71HR000002\r\n"},
			stderr: []string{"csv: 3 included, 1 filtered"}},
		{name: "tenant's dealer without a feed", args: []string{"--format", "jsonfeed",
			"--config", p("feedgate.yaml"), "--tenant", "sunset-honda", "--in", p("feed.json")}, code: 0,
			stdout: []string{`"title":"Sunset Honda inventory"`}},

		{name: "not a feed", stdin: []byte("hello"), args: []string{"--format", "csv"}, code: 2,
			stderr: []string{"feedgate render: stdin: input is not a Hrizn inventory feed"}},
		{name: "not a feed, file", args: []string{"--format", "csv", "--in", p("not-a-feed")}, code: 2,
			stderr: []string{"not-a-feed: input is not a Hrizn inventory feed"}},
		{name: "unknown format", stdin: jsonFeed, args: []string{"--format", "pdf"}, code: 2,
			stderr: []string{`unknown format "pdf" (known: `, "csv"}},
		{name: "no format", stdin: jsonFeed, code: 2, stderr: []string{"--format is required"}},
		{name: "tenant without config", stdin: jsonFeed, args: []string{"--format", "csv", "--tenant", "x"}, code: 2,
			stderr: []string{"--tenant and --feed need --config"}},
		{name: "unknown tenant", stdin: jsonFeed, args: []string{"--format", "csv", "--config", p("feedgate.yaml"), "--tenant", "nobody"}, code: 2,
			stderr: []string{`tenant "nobody" is not in`}},
		{name: "unknown feed", stdin: jsonFeed, args: []string{"--config", p("feedgate.yaml"), "--tenant", "sunset-honda", "--feed", "nope"}, code: 2,
			stderr: []string{`tenant "sunset-honda" has no feed "nope"`}},
		{name: "bad --time", stdin: jsonFeed, args: []string{"--format", "csv", "--time", "yesterday"}, code: 2,
			stderr: []string{`--time "yesterday" is not an RFC 3339 time`}},
		{name: "stray argument", stdin: jsonFeed, args: []string{"--format", "csv", "extra"}, code: 2,
			stderr: []string{`unexpected argument "extra"`}},
		{name: "missing input file", args: []string{"--format", "csv", "--in", p("missing.json")}, code: 1,
			stderr: []string{"reading the input", "missing.json"}},
		{name: "invalid configuration", stdin: jsonFeed, args: []string{"--format", "csv", "--config", p("broken.yaml")}, code: 1,
			stderr: []string{"upstream_key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runRenderIn(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if len(tc.stdout) == 0 && stdout != "" && tc.code != 0 {
				t.Errorf("a failed render wrote to stdout: %q", stdout)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.without {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout contains %q", s)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if strings.Contains(stdout+stderr, "hzk_not_used_by_render") {
				t.Error("the upstream key was printed")
			}
		})
	}
}

// TestRenderDeterministic renders the same input twice, from stdin and from a file whose
// modification time is the snapshot time, and expects the same bytes.
func TestRenderDeterministic(t *testing.T) {
	dir := renderFiles(t)
	path := filepath.Join(dir, "feed.json")
	mtime := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin bool
		want  string
	}{
		{"stdin", true, "<updated>1970-01-01T00:00:00Z</updated>"},
		{"file", false, "<updated>2026-03-04T05:06:07Z</updated>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"--format", "atom"}
			var stdin []byte
			if tc.stdin {
				stdin = renderFeed(t, false)
			} else {
				args = append(args, "--in", path)
			}
			_, first, _ := runRenderIn(t, stdin, args...)
			_, second, _ := runRenderIn(t, stdin, args...)
			if first != second || first == "" {
				t.Fatalf("two renders differ or are empty:\n%s\n---\n%s", first, second)
			}
			if !strings.Contains(first, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, first)
			}
		})
	}
}

// TestRenderPrintsEachVINWithItsOwnReason: two VINs excluded for the same reason but different
// details each read their own detail, not the first one's.
func TestRenderPrintsEachVINWithItsOwnReason(t *testing.T) {
	var b bytes.Buffer
	printDiagnostics(&b, "google-vehicle-ads", transform.Diagnostics{Included: 1, Excluded: []transform.Exclusion{
		{VIN: "SHORT", Reason: "invalid_vin", Detail: "a VIN must have 17 characters"},
		{VIN: "1M8GDM9AXKP042788", Reason: "missing_price", Detail: "no price"},
		{VIN: "WVWZZZ1JZXW000001", Reason: "invalid_vin", Detail: "a VIN has no I, O or Q"},
	}})
	want := "google-vehicle-ads: 1 included, 0 filtered, 3 excluded, 0 warnings\n" +
		"  excluded SHORT invalid_vin: a VIN must have 17 characters\n" +
		"  excluded WVWZZZ1JZXW000001 invalid_vin: a VIN has no I, O or Q\n" +
		"  excluded 1M8GDM9AXKP042788 missing_price: no price\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestRenderDiagnosticsJSON: --diagnostics json writes the diagnostics to stderr as one JSON
// document a script can decode, and the feed to stdout as always.
func TestRenderDiagnosticsJSON(t *testing.T) {
	code, stdout, stderr := runRenderIn(t, renderFeed(t, false), "--format", "rss", "--diagnostics", "json")
	if code != 0 || !strings.Contains(stdout, "<rss") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var doc struct {
		Format   string
		Included int
		Excluded []transform.Exclusion
		Warnings []transform.Warning
	}
	if err := json.Unmarshal([]byte(stderr), &doc); err != nil {
		t.Fatalf("stderr is not one JSON document: %v\n%s", err, stderr)
	}
	if doc.Format != "rss" || doc.Included != 0 || len(doc.Excluded) != 4 || doc.Warnings == nil {
		t.Fatalf("diagnostics: %s", stderr)
	}
	byVIN := map[string]string{}
	for _, e := range doc.Excluded {
		byVIN[e.VIN] = e.Reason + ": " + e.Detail
	}
	if !strings.HasPrefix(byVIN["1M8GDM9AXKP042788"], "missing_field: no link") || !strings.HasPrefix(byVIN["3FA6P0H71HR000002"], "duplicate_vin") {
		t.Errorf("excluded: %v", byVIN)
	}
	if code, _, stderr := runRenderIn(t, renderFeed(t, false), "--format", "rss", "--diagnostics", "xml"); code != 2 ||
		!strings.Contains(stderr, "want text or json") {
		t.Errorf("--diagnostics xml: exit %d %s", code, stderr)
	}
}
