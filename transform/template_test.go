package transform_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// tplCSVHead is the start of a valid CSV definition; cases append their columns.
const tplCSVHead = "name: t\noutput: csv\ncolumns:\n"

// tplXMLHead is the start of a valid XML definition; cases append their fields.
const tplXMLHead = "name: t\noutput: xml\ndocument: {root: feed, item: car, namespaces: {g: \"http://g.example/ns\"}}\nfields:\n"

func TestLoadTemplatesErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string // every one must appear in the error
	}{
		{"bad yaml", map[string]string{"x.yaml": "name: [unclosed"},
			[]string{"transform: x.yaml: yaml:"}},
		{"empty file", map[string]string{"x.yaml": ""}, []string{"x.yaml: the file is empty"}},
		{"unknown key", map[string]string{"x.yaml": tplCSVHead + "  - {name: VIN, value: '{{ .Vehicle.VIN }}'}\ncolums: []\n"},
			[]string{"x.yaml: yaml: unmarshal errors:\n  line 5: field colums not found"}},
		{"repeated key", map[string]string{"x.yaml": "name: a\nname: b\n"}, []string{"x.yaml", `mapping key "name" already defined`}},
		{"bad content type", map[string]string{"x.yaml": "content_type: \"text/csv\\r\\nX-Evil: 1\"\n" + tplCSVHead + "  - {name: VIN, value: a}\n"},
			[]string{"content_type:", "is not a media type"}},
		{"bad extension", map[string]string{"x.yaml": "extension: a/b\n" + tplCSVHead + "  - {name: VIN, value: a}\n"},
			[]string{`extension: "a/b" may hold only`}},
		{"unknown key in a column", map[string]string{"x.yaml": tplCSVHead + "  - {name: VIN, valeu: '{{ .Vehicle.VIN }}'}\n"},
			[]string{"x.yaml", "field valeu not found"}},
		{"missing name", map[string]string{"x.yaml": "output: csv\ncolumns:\n  - {name: VIN, value: '{{ .Vehicle.VIN }}'}\n"},
			[]string{"x.yaml: name: missing"}},
		{"upper-case name", map[string]string{"x.yaml": "name: My Feed\noutput: csv\ncolumns:\n  - {name: VIN, value: x}\n"},
			[]string{`name: "My Feed" must be lower case`}},
		{"unknown output", map[string]string{"x.yaml": "name: t\noutput: pdf\n"}, []string{`output: "pdf" is not xml, csv or tsv`}},
		{"no columns", map[string]string{"x.yaml": "name: t\noutput: csv\n"}, []string{"columns: missing"}},
		{"bad template", map[string]string{"x.yaml": tplCSVHead + "  - {name: VIN, value: '{{ .Vehicle.VIN '}\n"},
			[]string{`x.yaml: columns[0] "VIN": template: columns[0]:1: unclosed action`}},
		{"unknown function", map[string]string{"dealer-csv.yaml": tplCSVHead +
			"  - {name: VIN, value: '{{ .Vehicle.VIN }}'}\n  - {name: Year, value: '{{ .Vehicle.Year }}'}\n" +
			"  - {name: Make, value: '{{ .Vehicle.Make }}'}\n  - {name: Price, value: '{{ mony .Vehicle.Price }}'}\n"},
			[]string{`transform: dealer-csv.yaml: columns[3] "Price": template: columns[3]:1: function "mony" not defined`}},
		{"duplicate column", map[string]string{"x.yaml": tplCSVHead + "  - {name: VIN, value: a}\n  - {name: VIN, value: b}\n"},
			[]string{`x.yaml: columns[1] "VIN": duplicate column name`}},
		{"value and each", map[string]string{"x.yaml": tplXMLHead + "  - {name: photo, value: a, each: '{{ .Vehicle.Images }}'}\n"},
			[]string{`fields[0] "photo": give value or each, not both`}},
		{"no value", map[string]string{"x.yaml": tplCSVHead + "  - {name: VIN}\n"}, []string{`columns[0] "VIN": value (or each) missing`}},
		{"each in csv", map[string]string{"x.yaml": tplCSVHead + "  - {name: Photos, each: '{{ .Vehicle.Images }}'}\n"},
			[]string{`columns[0] "Photos": each is for xml fields`}},
		{"each of two expressions", map[string]string{"x.yaml": tplXMLHead + "  - {name: photo, each: '{{ .Vehicle.Images }}{{ .Vehicle.Features }}'}\n"},
			[]string{`fields[0] "photo": each: must be one expression`}},
		{"misspelt field", map[string]string{"x.yaml": tplCSVHead + "  - {name: Price, value: '{{ money .Vehicle.Prise }}'}\n"},
			[]string{`columns[0] "Price" with a sample vehicle that has every field`, "can't evaluate field Prise"}},
		{"wrong kind for a helper", map[string]string{"x.yaml": tplCSVHead + "  - {name: Price, value: '{{ money .Vehicle.Make }}'}\n"},
			[]string{`columns[0] "Price"`, `money: "Honda" is not a number`}},
		{"fails on an absent value", map[string]string{"x.yaml": tplCSVHead + "  - {name: Photo, value: '{{ index .Vehicle.Images 0 }}'}\n"},
			[]string{`columns[0] "Photo" with a sample vehicle that has no field set`, "index out of range"}},
		{"prints <nil>", map[string]string{"x.yaml": tplCSVHead + "  - {name: Mileage, value: '{{ .Vehicle.Mileage }}'}\n"},
			[]string{`columns[0] "Mileage" with a sample vehicle that has no field set: prints <nil>`}},
		{"prints an exponent", map[string]string{"x.yaml": tplCSVHead + "  - {name: Price, value: '{{ .Vehicle.Price }}'}\n"},
			[]string{`columns[0] "Price" with a sample vehicle that has every field: prints a number in exponent form`}},
		{"vehicle in a document attribute", map[string]string{"x.yaml": strings.Replace(tplXMLHead, "item: car", "item: car, attributes: [{name: vin, value: '{{ .Vehicle.VIN }}'}]", 1) +
			"  - {name: vin, value: '{{ .Vehicle.VIN }}'}\n"},
			[]string{`document.attributes[0] "vin"`, "nil pointer"}},
		{"undeclared prefix", map[string]string{"x.yaml": tplXMLHead + "  - {name: 'h:price', value: a}\n"},
			[]string{`fields[0] "h:price": not an XML element name`}},
		{"nested too deep", map[string]string{"x.yaml": tplXMLHead + "  - {name: a/b/c, value: a}\n"},
			[]string{`fields[0] "a/b/c": not an XML element name, or nested deeper`}},
		{"bad element name", map[string]string{"x.yaml": tplXMLHead + "  - {name: '1st', value: a}\n"},
			[]string{`fields[0] "1st": not an XML element name`}},
		{"field and parent", map[string]string{"x.yaml": tplXMLHead + "  - {name: price, value: a}\n  - {name: price/amount, value: b}\n"},
			[]string{`fields[1] "price/amount": "price" is both a field and a parent`}},
		{"duplicate field", map[string]string{"x.yaml": tplXMLHead + "  - {name: vin, value: a}\n  - {name: vin, value: b}\n"},
			[]string{`fields[1] "vin": duplicate field`}},
		{"no document", map[string]string{"x.yaml": "name: t\noutput: xml\nfields:\n  - {name: vin, value: a}\n"},
			[]string{"document: missing"}},
		{"spreadsheet_safe on xml", map[string]string{"x.yaml": "spreadsheet_safe: true\n" + tplXMLHead + "  - {name: vin, value: a}\n"},
			[]string{"spreadsheet_safe: applies to csv and tsv output only"}},
		{"bad order", map[string]string{"x.yaml": "order: random\n" + tplCSVHead + "  - {name: VIN, value: a}\n"},
			[]string{`order: "random" is not snapshot or newest`}},
		{"two definitions of a name", map[string]string{
			"a.yaml": tplCSVHead + "  - {name: VIN, value: a}\n", "b.yaml": tplCSVHead + "  - {name: VIN, value: a}\n"},
			[]string{`b.yaml: name "t" is already defined by a.yaml`}},
		{"every bad file reported", map[string]string{"a.yaml": "name: [", "b.yaml": "output: csv\n"},
			[]string{"a.yaml: yaml:", "b.yaml: name: missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, body := range c.files {
				fsys[name] = &fstest.MapFile{Data: []byte(body)}
			}
			ws, err := transform.LoadTemplates(fsys)
			if err == nil {
				t.Fatalf("loaded %d writers, want an error", len(ws))
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadTemplatesIgnoresOtherFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md":     {Data: []byte("# not a channel")},
		"old.yaml.bak":  {Data: []byte("name: [")},
		"sub/x.yaml":    {Data: []byte("name: [")},
		"export.yaml":   {Data: []byte(tplCSVHead + "  - {name: VIN, value: '{{ .Vehicle.VIN }}'}\n")},
		"another.yaml":  {Data: []byte(strings.Replace(tplCSVHead, "name: t", "name: u", 1) + "  - {name: VIN, value: a}\n")},
		"not-yaml.json": {Data: []byte("{}")},
	}
	ws, err := transform.LoadTemplates(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Name() != "u" || ws[1].Name() != "t" {
		t.Fatalf("loaded %v, want u (another.yaml) then t (export.yaml)", names(ws))
	}
	if d := ws[0].Description(); d != "CSV channel defined by a template" {
		t.Errorf("default description %q", d)
	}
}

func names(ws []transform.Writer) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Name()
	}
	return out
}

// tplInput is a small snapshot for custom definitions.
func tplInput(vs ...inventory.Vehicle) transform.Input {
	return transform.Input{
		Snapshot: inventory.NewSnapshot("t", vs, fixedTime, "test"),
		Dealer:   inventory.Dealer{Name: "D & D", VDPURL: "https://d.example/cars/{vin}"},
	}
}

func TestCustomTemplateDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"arrivals.yaml": `
name: arrivals
description: Newest arrivals, tab-separated
output: tsv
order: newest
require: {price: true}
columns:
  - {name: id, value: "{{ .Vehicle.VIN | lower }}"}
  - {name: title, value: "{{ .Vehicle.Title | upper }}"}
  - {name: price, value: "{{ money .Vehicle.Price .Currency }}"}
  - {name: note, value: "{{ .Vehicle.AIDescription }}"}
`,
		"g.yaml": `
name: g-items
output: xml
content_type: application/rss+xml; charset=utf-8
extension: rss
document:
  root: rss
  item: item
  namespaces: {g: "http://base.google.com/ns/1.0"}
  attributes: [{name: version, value: "2.0"}]
fields:
  - {name: "g:id", value: "{{ .Vehicle.VIN }}"}
  - {name: "g:image_link", value: "{{ first .Vehicle.AllImages }}"}
  - {name: "g:additional_image_link", each: "{{ slice .Vehicle.AllImages 1 3 }}"}
  - {name: "g:shipping/g:country", value: "US"}
  - {name: "g:trim", value: "{{ .Vehicle.Trim }}", keep_empty: true}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := transform.LoadTemplates(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	old := inventory.Vehicle{VIN: "AAA11111111111111", Year: 2020, Make: "Kia", Model: "Rio", Price: inventory.Ptr(9000.0),
		AIDescription: "two\tcells\nand lines", UpdatedAt: fixedTime.Add(-time.Hour),
		ImageURL: "https://i.example/1.jpg", Images: []string{"https://i.example/2.jpg", "https://i.example/3.jpg", "https://i.example/4.jpg"}}
	recent := inventory.Vehicle{VIN: "ZZZ22222222222222", Year: 2024, Make: "Kia", Model: "EV6", Trim: "GT", Price: inventory.Ptr(50000.0),
		UpdatedAt: fixedTime}
	noPrice := inventory.Vehicle{VIN: "MMM33333333333333", UpdatedAt: fixedTime}
	in := tplInput(old, recent, noPrice)
	in.Options.Currency = "EUR"
	want := map[string]string{
		"arrivals": "id\ttitle\tprice\tnote\r\n" +
			"zzz22222222222222\t2024 KIA EV6 GT\t50000.00 EUR\t\r\n" +
			"aaa11111111111111\t2020 KIA RIO\t9000.00 EUR\ttwo cells and lines\r\n",
		"g-items": `<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0">
  <item>
    <g:id>AAA11111111111111</g:id>
    <g:image_link>https://i.example/1.jpg</g:image_link>
    <g:additional_image_link>https://i.example/2.jpg</g:additional_image_link>
    <g:additional_image_link>https://i.example/3.jpg</g:additional_image_link>
    <g:shipping>
      <g:country>US</g:country>
    </g:shipping>
    <g:trim></g:trim>
  </item>
  <item>
    <g:id>MMM33333333333333</g:id>
    <g:shipping>
      <g:country>US</g:country>
    </g:shipping>
    <g:trim></g:trim>
  </item>
  <item>
    <g:id>ZZZ22222222222222</g:id>
    <g:shipping>
      <g:country>US</g:country>
    </g:shipping>
    <g:trim>GT</g:trim>
  </item>
</rss>
`,
	}
	for _, w := range ws {
		t.Run(w.Name(), func(t *testing.T) {
			out, d := render(t, w, in)
			checkWellFormed(t, w, out)
			if string(out) != want[w.Name()] {
				t.Errorf("got\n%s\nwant\n%s", out, want[w.Name()])
			}
			if d.Included+len(d.Excluded) != 3 {
				t.Errorf("diagnostics %+v do not account for 3 vehicles", d)
			}
		})
	}
	if ws[0].ContentType() != "text/tab-separated-values; charset=utf-8" || ws[1].Extension() != "rss" ||
		ws[1].ContentType() != "application/rss+xml; charset=utf-8" || ws[0].Description() != "Newest arrivals, tab-separated" {
		t.Errorf("media: %q %q %q %q", ws[0].ContentType(), ws[1].Extension(), ws[1].ContentType(), ws[0].Description())
	}
}

func TestTemplateHelpers(t *testing.T) {
	full := inventory.Vehicle{VIN: "1HGBH41JXMN109186", Year: 2021, Make: "honda", Model: "civic type r", Condition: inventory.Used,
		Price: inventory.Ptr(28500.0), MSRP: inventory.Ptr(1e7), Mileage: inventory.Ptr(45210), Features: []string{"A", " ", "B"},
		ImageURL: "https://i/1.jpg", Images: []string{"https://i/1.jpg", "https://i/2.jpg"},
		AIDescription: "  Line one.\nLine two, and three.  ", UpdatedAt: fixedTime}
	empty := inventory.Vehicle{VIN: "SHORT"}
	cases := []struct {
		expr       string
		full, none string
	}{
		{`{{ money .Vehicle.Price }}`, "28500.00", ""},
		{`{{ money .Vehicle.Price .Currency }}`, "28500.00 USD", ""},
		{`{{ money .Vehicle.Price "" }}`, "28500.00", ""},
		{`{{ number .Vehicle.MSRP }}`, "10000000", ""},
		{`{{ number .Vehicle.Mileage }}`, "45210", ""},
		{`{{ number "12.50" }}`, "12.5", "12.5"},
		{`{{ join "|" .Vehicle.Features }}`, "A|B", ""},
		{`{{ join ", " .Vehicle.AllImages }}`, "https://i/1.jpg, https://i/2.jpg", ""},
		{`{{ upper .Vehicle.Make }}`, "HONDA", ""},
		{`{{ lower .Vehicle.Condition }}`, "used", ""},
		{`{{ title .Vehicle.Model }}`, "Civic Type R", ""},
		{`{{ title "BMW x5" }}`, "BMW X5", "BMW X5"},
		{`{{ truncate 12 .Vehicle.AIDescription }}`, "Line one", ""},
		{`{{ .Vehicle.Trim | default "Base" }}`, "Base", "Base"},
		{`{{ money .Vehicle.Price | default "Call" }}`, "28500.00", "Call"},
		{`{{ .Vehicle.Year | default "?" }}`, "2021", "?"},
		{`{{ vdp . }}`, "https://d.example/cars/1HGBH41JXMN109186", "https://d.example/cars/SHORT"},
		{`{{ isodate .Vehicle.UpdatedAt }}`, "2026-02-01T12:00:00Z", ""},
		{`{{ isodate .Vehicle.DescriptionGeneratedAt }}`, "", ""},
		{`{{ isodate .Snapshot.ModifiedAt }}`, "2026-02-01T12:00:00Z", "2026-02-01T12:00:00Z"},
		{`{{ yesno .Vehicle.Price }}`, "yes", "no"},
		{`{{ yesno .Vehicle.HasDescription }}`, "yes", "no"},
		{`{{ oneline .Vehicle.AIDescription }}`, "Line one. Line two, and three.", ""},
		{`{{ clean "a\u0000b" }}`, "ab", "ab"},
		{`{{ first .Vehicle.AllImages }}`, "https://i/1.jpg", ""},
		{`{{ first .Vehicle.Features }}`, "A", ""},
		{`{{ slice .Vehicle.VIN -8 }}`, "MN109186", "SHORT"},
		{`{{ slice .Vehicle.VIN 0 3 }}`, "1HG", "SHO"},
		{`{{ slice .Vehicle.VIN 20 }}`, "", ""},
		{`{{ join "|" (slice .Vehicle.AllImages 1) }}`, "https://i/2.jpg", ""},
		{`{{ .MileageUnit }} {{ .Count }} {{ .Snapshot.Tenant }}`, "miles 1 t", "miles 1 t"},
		{`{{ .Vehicle.Title }}`, "2021 honda civic type r", ""},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			def := fmt.Sprintf("name: h\noutput: csv\ncolumns:\n  - name: x\n    value: %q\n", c.expr)
			w, err := transform.ParseTemplate("h.yaml", []byte(def))
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				v    inventory.Vehicle
				want string
			}{{full, c.full}, {empty, c.none}} {
				out, _ := render(t, w, tplInput(tc.v))
				recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if got := recs[1][0]; got != tc.want {
					t.Errorf("VIN %s: got %q, want %q", tc.v.VIN, got, tc.want)
				}
			}
		})
	}
}

func TestTemplateRenderError(t *testing.T) {
	// Passes the load-time trial (no sample vehicle is "Evil") but fails on this data.
	def := tplCSVHead + "  - {name: VIN, value: '{{ .Vehicle.VIN }}'}\n" +
		"  - {name: Price, value: '{{ if eq .Vehicle.Make \"Evil\" }}{{ money .Vehicle.Make }}{{ end }}'}\n"
	w, err := transform.ParseTemplate("x.yaml", []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	in := tplInput(inventory.Vehicle{VIN: "A1", Make: "Good"}, inventory.Vehicle{VIN: "B2", Make: "Evil"})
	var buf bytes.Buffer
	_, err = w.Write(&buf, in)
	if err == nil {
		t.Fatal("render succeeded, want an error")
	}
	for _, want := range []string{`transform: t: columns[1] "Price" for VIN "B2"`, `money: "Evil" is not a number`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
