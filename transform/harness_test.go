package transform_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// fixture is the one shared input of the golden tests: a dealer and a snapshot whose vehicles
// carry hostile text (markup, quotes, commas, line breaks, control characters, formulas,
// non-ASCII), a missing price, a missing image, a bad check digit, an 11-character VIN, a
// duplicated VIN, 14 images and a description over 5,000 characters. Its times are fixed.
func fixture(t testing.TB) transform.Input {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Dealer   inventory.Dealer   `json:"dealer"`
		Snapshot inventory.Snapshot `json:"snapshot"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return transform.Input{Snapshot: &f.Snapshot, Dealer: f.Dealer,
		Options: transform.Options{FeedURL: "https://feeds.example/feeds/sunset-honda/all"}}
}

func render(t testing.TB, w transform.Writer, in transform.Input) ([]byte, transform.Diagnostics) {
	t.Helper()
	var buf bytes.Buffer
	d, err := w.Write(&buf, in)
	if err != nil {
		t.Fatalf("%s: %v", w.Name(), err)
	}
	return buf.Bytes(), d
}

// TestGolden renders the fixture in every format and compares with testdata/golden. It also
// checks each format's version against testdata/golden/versions.json: a golden that changes
// under an unchanged version fails, and -update refuses to record it.
func TestGolden(t *testing.T) {
	in := fixture(t)
	book := readVersionBook(t)
	defer book.save(t)
	for _, w := range allWriters(t) {
		t.Run(w.Name(), func(t *testing.T) {
			out, d := render(t, w, in)
			checkWellFormed(t, w, out)
			again, _ := render(t, w, in)
			if !bytes.Equal(out, again) {
				t.Fatal("two renders of the same input differ")
			}
			if d.Included+d.Filtered+len(d.Excluded) != len(in.Snapshot.Vehicles) {
				t.Errorf("diagnostics account for %d+%d+%d vehicles, the snapshot has %d",
					d.Included, d.Filtered, len(d.Excluded), len(in.Snapshot.Vehicles))
			}
			diag, _ := json.MarshalIndent(d, "", "  ")
			if err := book.check(w.Name(), w.Version(), goldenHash(out, diag)); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, w.Name()+"."+w.Extension(), out)
			compareGolden(t, w.Name()+".diagnostics.json", diag)
		})
	}
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./transform -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run with -update.\n--- got ---\n%s", path, got)
	}
}

// checkWellFormed re-reads an output with a strict parser chosen by its content type: every
// XML document parses to the end with its namespaces declared, every CSV has the same number of
// fields in every record, every JSON document is valid.
func checkWellFormed(t testing.TB, w transform.Writer, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("%s: output is not valid UTF-8", w.Name())
	}
	ct := w.ContentType()
	switch {
	case strings.Contains(ct, "xml"):
		checkXML(t, w.Name(), out)
	case strings.Contains(ct, "csv"), strings.Contains(ct, "tab-separated"):
		checkCSV(t, w.Name(), out, ct)
	case strings.Contains(ct, "json"):
		if !json.Valid(out) {
			t.Fatalf("%s: output is not valid JSON", w.Name())
		}
	default:
		t.Fatalf("%s: no well-formedness check for content type %q", w.Name(), ct)
	}
}

func checkXML(t testing.TB, name string, out []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: XML not well-formed: %v", name, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			// The decoder resolves a declared prefix to its namespace URL; an undeclared prefix
			// is left as the prefix itself.
			if el.Name.Space != "" && !strings.Contains(el.Name.Space, "://") {
				t.Fatalf("%s: element <%s:%s> uses an undeclared namespace prefix", name, el.Name.Space, el.Name.Local)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			for _, r := range string(el) {
				if !inventory.XMLChar(r) {
					t.Fatalf("%s: character %U is not allowed in XML", name, r)
				}
			}
		}
	}
	if depth != 0 {
		t.Fatalf("%s: unbalanced elements", name)
	}
}

func checkCSV(t testing.TB, name string, out []byte, ct string) {
	t.Helper()
	out = bytes.TrimPrefix(out, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(out))
	if strings.Contains(ct, "tab-separated") {
		r.Comma = '\t'
	}
	r.FieldsPerRecord = 0 // every record must have as many fields as the first
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: CSV does not re-read: %v", name, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: CSV has no header row", name)
	}
	if strings.Contains(ct, "csv") && len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Fatalf("%s: CSV records must end with CRLF (RFC 4180)", name)
	}
}

// FuzzWriters feeds arbitrary text into every field of a vehicle and the dealer and checks that
// no writer fails or emits a malformed document.
func FuzzWriters(f *testing.F) {
	f.Add("Tom & Jerry <b>", "=SUM(A1)", "line\nbreak, \"quoted\"", "\x00\xff\ufffe", 2026, 28500.0)
	f.Add("", "", "", "", 0, 0.0)
	f.Add("]]>", "<!--", "&amp;", "\r\n\t", -1, -5.5)
	writers := allWriters(f)
	f.Fuzz(func(t *testing.T, a, b, c, d string, year int, price float64) {
		v := inventory.Vehicle{VIN: a, Year: year, Make: b, Model: c, Trim: d, Condition: inventory.Condition(a),
			Price: &price, Mileage: inventory.Ptr(year), ExteriorColor: c, InteriorColor: d, Engine: a,
			Transmission: b, Drivetrain: c, FuelType: d, BodyStyle: a, Features: []string{a, b},
			ImageURL: b, Images: []string{c, d}, AIDescription: a + b + c + d}
		good := inventory.Vehicle{VIN: "1M8GDM9AXKP042788", Year: 2020, Make: b, Model: c, Condition: inventory.Used,
			Price: inventory.Ptr(1000.0), Mileage: inventory.Ptr(5), ExteriorColor: d, ImageURL: "https://x.example/" + a,
			AIDescription: d}
		in := transform.Input{
			Snapshot: inventory.NewSnapshot(a, []inventory.Vehicle{v, good}, fixedTime, "fuzz"),
			Dealer:   inventory.Dealer{Name: a, VDPURL: "https://d.example/{vin}?q=" + b, StoreCode: c, Address: inventory.Address{City: d}},
			Options:  transform.Options{FeedURL: "https://f.example/" + d, Title: b},
		}
		for _, w := range writers {
			var buf bytes.Buffer
			if _, err := w.Write(&buf, in); err != nil {
				t.Fatalf("%s: %v", w.Name(), err)
			}
			checkWellFormed(t, w, buf.Bytes())
		}
	})
}
