package transform_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// readCSVExport renders in with the csv format and returns its records keyed by column name.
func readCSVExport(t *testing.T, in transform.Input) ([]byte, []map[string]string, transform.Diagnostics) {
	t.Helper()
	var buf bytes.Buffer
	d, err := transform.NewSpreadsheetCSV().Write(&buf, in)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff"))))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := make(map[string]string, len(rec))
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return buf.Bytes(), rows, d
}

// TestCSVFields checks the mapping of every kind of field and the formula neutralisation.
func TestCSVFields(t *testing.T) {
	v := inventory.Vehicle{
		VIN: "1M8GDM9AXKP042788", Year: 2019, Make: "Toyota", Model: "Camry, \"LE\"", Trim: "=SUM(A1)",
		Condition: inventory.Used, Price: inventory.Ptr(18999.5), Mileage: inventory.Ptr(45210),
		ExteriorColor: "+Red", InteriorColor: "-Tan", Engine: "@cmd", Transmission: "\tAuto",
		Features: []string{"CarPlay", " ", "=HYPERLINK(x)"}, ImageURL: "https://i.example/0.jpg",
		Images:        []string{"https://i.example/0.jpg", "https://i.example/1.jpg"},
		AIDescription: "Two\nlines\x00 with a NUL", UpdatedAt: fixedTime,
	}
	in := transform.Input{Snapshot: inventory.NewSnapshot("t", []inventory.Vehicle{v}, fixedTime, "test"),
		Dealer: inventory.Dealer{VDPURL: "https://d.example/cars/{vin}"}}
	_, rows, _ := readCSVExport(t, in)
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	tests := []struct{ column, want string }{
		{"vin", "1M8GDM9AXKP042788"},
		{"year", "2019"},
		{"model", "Camry, \"LE\""},
		{"trim", "'=SUM(A1)"},
		{"price", "18999.5"},
		{"msrp", ""},
		{"mileage", "45210"},
		{"exterior_color", "'+Red"},
		{"interior_color", "'-Tan"},
		{"engine", "'@cmd"},
		{"transmission", "'\tAuto"},
		{"features", "CarPlay|=HYPERLINK(x)"},
		{"images", "https://i.example/0.jpg|https://i.example/1.jpg"},
		{"ai_description", "Two\nlines with a NUL"},
		{"has_description", "true"},
		{"created_at", ""},
		{"updated_at", "2026-02-01T12:00:00Z"},
		{"vdp_url", "https://d.example/cars/1M8GDM9AXKP042788"},
	}
	for _, tc := range tests {
		if got, ok := rows[0][tc.column]; !ok || got != tc.want {
			t.Errorf("%s = %q (present %v), want %q", tc.column, got, ok, tc.want)
		}
	}
}

// TestCSVExport checks the export as a whole: no exclusions but the filter, the optional BOM,
// CRLF record ends and an empty VDP column when no template is configured.
func TestCSVExport(t *testing.T) {
	vs := func() []inventory.Vehicle {
		return []inventory.Vehicle{
			{VIN: "1HGBH41JXMN109186", Make: "Honda", Condition: inventory.New},
			{VIN: "1HGBH41JXMN109186", Make: "Honda", Condition: inventory.New}, // a duplicate stays
			{VIN: "BAD", Make: "Ford", Condition: inventory.Used},               // no price, no image, bad VIN: stays
		}
	}
	tests := []struct {
		name         string
		options      transform.Options
		wantRows     int
		wantFiltered int
		wantBOM      bool
	}{
		{"everything", transform.Options{}, 3, 0, false},
		{"filtered to used", transform.Options{Filter: inventory.FeedFilter{Condition: inventory.Used}}, 1, 2, false},
		{"with BOM", transform.Options{BOM: true}, 3, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := transform.Input{Snapshot: inventory.NewSnapshot("t", vs(), fixedTime, "test"), Options: tc.options}
			out, rows, d := readCSVExport(t, in)
			if len(rows) != tc.wantRows || d.Included != tc.wantRows || d.Filtered != tc.wantFiltered || len(d.Excluded) != 0 {
				t.Errorf("%d rows, diagnostics %+v; want %d rows, %d filtered, no exclusions", len(rows), d, tc.wantRows, tc.wantFiltered)
			}
			if got := bytes.HasPrefix(out, []byte("\xef\xbb\xbf")); got != tc.wantBOM {
				t.Errorf("BOM present %v, want %v", got, tc.wantBOM)
			}
			if !bytes.HasSuffix(out, []byte("\r\n")) {
				t.Error("records must end with CRLF")
			}
			for _, r := range rows {
				if r["vdp_url"] != "" {
					t.Errorf("vdp_url %q without a configured template", r["vdp_url"])
				}
			}
		})
	}
}
