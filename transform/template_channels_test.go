package transform_test

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/transform"
)

// shipped returns one of the embedded definitions.
func shipped(t testing.TB, name string) transform.Writer {
	t.Helper()
	ws, err := transform.LoadTemplates(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Name() == name {
			return w
		}
	}
	t.Fatalf("no embedded template %q among %v", name, names(ws))
	return nil
}

func TestDealerCSV(t *testing.T) {
	w := shipped(t, "dealer-csv")
	if w.ContentType() != "text/csv; charset=utf-8" || w.Extension() != "csv" {
		t.Errorf("content type %q, extension %q", w.ContentType(), w.Extension())
	}
	in := fixture(t)
	out, d := render(t, w, in)
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "VIN,Stock,Year,Make,Model,Trim,Condition,Price,MSRP,Mileage,Exterior Color,Interior Color," +
		"Body,Engine,Transmission,Drivetrain,Fuel,Description,VDP URL,Photo URLs"
	if got := strings.Join(recs[0], ","); got != wantHeader {
		t.Fatalf("header\n got %s\nwant %s", got, wantHeader)
	}
	if len(recs)-1 != len(in.Snapshot.Vehicles) || d.Included != len(in.Snapshot.Vehicles) || len(d.Excluded) != 0 {
		t.Fatalf("%d rows, diagnostics %+v: an export keeps every vehicle", len(recs)-1, d)
	}
	rows := make(map[string]map[string]string)
	for _, rec := range recs[1:] {
		row := make(map[string]string, len(rec))
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows[rec[0]] = row
	}
	cases := []struct{ vin, column, want string }{
		{"1HGBH41JXMN109186", "Stock", "MN109186"},
		{"F10GCR12345", "Stock", "GCR12345"}, // an 11-character VIN: still its last 8
		{"1HGBH41JXMN109186", "Condition", "New"},
		{"1HGBH41JXMN109186", "Price", "28500.00"},
		{"1HGBH41JXMN109186", "Mileage", "12"},
		{"3FA6P0H71HR000002", "Price", ""}, // no price: an empty cell, never <nil> or 0
		{"1M8GDM9AXKP042788", "Price", "18999.50"},
		{"1M8GDM9AXKP042788", "MSRP", ""},
		{"1M8GDM9AXKP042788", "Model", "Camry & Co <Special>"},
		{"1M8GDM9AXKP042788", "Trim", "'=SUM(A1)"},       // formula neutralised
		{"1M8GDM9AXKP042788", "Interior Color", "'-Tan"}, // so is a leading minus
		{"1M8GDM9AXKP042788", "Exterior Color", `Red, "Candy"`},
		{"F10GCR12345", "Description", "'+1 owner @ home."},
		{"1HGBH41JXMN109186", "VDP URL", "https://www.sunsethonda.example/inventory/1HGBH41JXMN109186?ref=feed&x=1"},
		{"2HGFC2F59JH000001", "Photo URLs", ""},
		{"1HGCV1F39LA000004", "Photo URLs", "https://cdn.example.com/vehicles/1HGCV1F39LA000004/0.jpg|https://cdn.example.com/vehicles/1HGCV1F39LA000004/1.jpg"},
	}
	for _, c := range cases {
		if got := rows[c.vin][c.column]; got != c.want {
			t.Errorf("%s %s = %q, want %q", c.vin, c.column, got, c.want)
		}
	}
	desc := rows["1M8GDM9AXKP042788"]["Description"]
	if strings.ContainsAny(desc, "\n\r\t\x00\x01\x1f") {
		t.Errorf("description keeps line breaks, tabs or control characters: %q", desc)
	}
	if n := len(strings.Split(rows["1M8GDM9AXKP042788"]["Photo URLs"], "|")); n != 14 {
		t.Errorf("%d photo URLs, want all 14", n)
	}
}

// tplListing is the part of a marketplace-xml listing the tests read.
type tplListing struct {
	VIN       string   `xml:"vin"`
	Stock     string   `xml:"stock_number"`
	Model     string   `xml:"model"`
	Trim      string   `xml:"trim"`
	Price     string   `xml:"price>amount"`
	Currency  string   `xml:"price>currency"`
	MSRP      *string  `xml:"msrp>amount"`
	Mileage   string   `xml:"mileage>value"`
	Unit      string   `xml:"mileage>unit"`
	Features  []string `xml:"features>feature"`
	Photos    []string `xml:"photos>photo"`
	URL       string   `xml:"url"`
	Desc      string   `xml:"description"`
	Dealer    string   `xml:"dealer>name"`
	UpdatedAt string   `xml:"updated_at"`
}

type tplListings struct {
	XMLName  xml.Name     `xml:"listings"`
	Dealer   string       `xml:"dealer,attr"`
	Updated  string       `xml:"updated,attr"`
	Count    int          `xml:"count,attr"`
	Listings []tplListing `xml:"listing"`
}

func TestMarketplaceXML(t *testing.T) {
	w := shipped(t, "marketplace-xml")
	in := fixture(t)
	in.Options.Currency, in.Options.MileageUnit = "CAD", "km"
	out, d := render(t, w, in)
	checkWellFormed(t, w, out)
	var doc tplListings
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Dealer != "Sunset Honda & Sons <Springfield>" || doc.Updated != "2026-02-01T11:00:00Z" || doc.Count != 4 {
		t.Errorf("root: dealer %q, updated %q, count %d", doc.Dealer, doc.Updated, doc.Count)
	}
	wantReasons := map[string]int{inventory.ReasonInvalidVIN: 2, inventory.ReasonMissingPrice: 1, inventory.ReasonDuplicateVIN: 2}
	if got := d.ExcludedByReason(); fmt.Sprint(got) != fmt.Sprint(wantReasons) {
		t.Errorf("excluded %v, want %v", got, wantReasons)
	}
	byVIN := make(map[string]tplListing)
	for _, l := range doc.Listings {
		byVIN[l.VIN] = l
	}
	hostile := byVIN["1M8GDM9AXKP042788"]
	checks := []struct{ name, got, want string }{
		{"model", hostile.Model, "Camry & Co <Special>"},
		{"trim (not neutralised: XML is read by machines)", hostile.Trim, "=SUM(A1)"},
		{"stock", hostile.Stock, "KP042788"},
		{"price", hostile.Price, "18999.50"},
		{"currency", hostile.Currency, "CAD"},
		{"mileage", hostile.Mileage, "45210"},
		{"unit", hostile.Unit, "km"},
		{"dealer", hostile.Dealer, "Sunset Honda & Sons <Springfield>"},
		{"updated_at", hostile.UpdatedAt, "2026-02-01T10:00:00Z"},
		{"url", byVIN["1HGBH41JXMN109186"].URL, "https://www.sunsethonda.example/inventory/1HGBH41JXMN109186?ref=feed&x=1"},
		{"features", strings.Join(byVIN["1HGBH41JXMN109186"].Features, ";"), "Apple CarPlay;Android Auto;Honda Sensing"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if hostile.MSRP != nil {
		t.Errorf("a vehicle without MSRP has <msrp>%s</msrp>; the parent should be left out", *hostile.MSRP)
	}
	if len(hostile.Photos) != 14 || hostile.Photos[0] != "https://cdn.example.com/vehicles/1M8GDM9AXKP042788/0.jpg" {
		t.Errorf("photos %v: want all 14, main image first", hostile.Photos)
	}
	if strings.ContainsAny(hostile.Desc, "\x00\x01\x1f") || !strings.Contains(hostile.Desc, "<b>deal</b>") {
		t.Errorf("description %q: want the text (markup as text) without control characters", hostile.Desc)
	}
}

func TestTemplateBOMAndHostileXML(t *testing.T) {
	csvW := shipped(t, "dealer-csv")
	in := tplInput(inventory.Vehicle{VIN: "1HGBH41JXMN109186", Make: "]]><!-- \x00\x07\xff", Model: "\ufffe&amp;",
		Trim: "@cmd", Price: inventory.Ptr(1.0)})
	in.Dealer.Name = "<x y='1'>\x1b"
	in.Options.BOM = true
	out, _ := render(t, csvW, in)
	if !bytes.HasPrefix(out, []byte("\ufeffVIN,")) {
		t.Errorf("BOM missing: %q", out[:10])
	}
	checkWellFormed(t, csvW, out)
	if !bytes.Contains(out, []byte(",'@cmd,")) {
		t.Errorf("@ cell not neutralised: %s", out)
	}
	xmlW := shipped(t, "marketplace-xml")
	out, _ = render(t, xmlW, in)
	checkWellFormed(t, xmlW, out)
	var doc tplListings
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Listings[0]; doc.Dealer != "<x y='1'>" || got.Dealer != "<x y='1'>" || !strings.HasPrefix(got.Model, "&amp;") {
		t.Errorf("dealer %q / %q, model %q", doc.Dealer, got.Dealer, got.Model)
	}
}

func TestTemplateConcurrentRenders(t *testing.T) {
	in := fixture(t)
	for _, name := range []string{"dealer-csv", "marketplace-xml"} {
		w := shipped(t, name)
		want, _ := render(t, w, in)
		var wg sync.WaitGroup
		outs := make([][]byte, 8)
		for i := range outs {
			wg.Go(func() {
				var buf bytes.Buffer
				if _, err := w.Write(&buf, in); err == nil {
					outs[i] = buf.Bytes()
				}
			})
		}
		wg.Wait()
		for i, out := range outs {
			if !bytes.Equal(out, want) {
				t.Errorf("%s: concurrent render %d differs", name, i)
			}
		}
	}
}
