package transform_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// validVIN returns a 17-character VIN with a correct check digit, numbered n.
func validVIN(n int) string {
	b := []byte(fmt.Sprintf("1HGBH41J0%08d", n))
	b[8] = inventory.VINCheckDigit(string(b))
	return string(b)
}

// channelDealer is a dealer with everything the Google and Meta channels ask for.
func channelDealer() inventory.Dealer {
	return inventory.Dealer{
		Name: "Sunset Honda", Website: "https://www.sunsethonda.example",
		VDPURL: "https://www.sunsethonda.example/inventory/{vin}", Phone: "+1 217 555 0100", StoreCode: "SH-001",
		Address:  inventory.Address{Street: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
		Latitude: inventory.Ptr(39.78), Longitude: inventory.Ptr(-89.65),
	}
}

// channelVehicle is a used vehicle that every Google and Meta format accepts.
func channelVehicle(n int) inventory.Vehicle {
	vin := validVIN(n)
	return inventory.Vehicle{
		VIN: vin, Year: 2019, Make: "Toyota", Model: "Camry", Trim: "LE", Condition: inventory.Used,
		Price: inventory.Ptr(18000.0), MSRP: inventory.Ptr(26000.0), Mileage: inventory.Ptr(45210),
		ExteriorColor: "Red", InteriorColor: "Tan", Engine: "2.5L I4", Transmission: "8-Speed Automatic",
		Drivetrain: "FWD", FuelType: "Gasoline", BodyStyle: "Sedan",
		ImageURL:      "https://cdn.example.com/v/" + vin + "/0.jpg",
		Images:        []string{"https://cdn.example.com/v/" + vin + "/1.jpg"},
		AIDescription: "A well-kept Camry.",
		CreatedAt:     time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC),
		UpdatedAt:     time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
	}
}

// channelInput wraps vehicles and a dealer in an Input with a fixed time.
func channelInput(d inventory.Dealer, vs ...inventory.Vehicle) transform.Input {
	return transform.Input{Snapshot: inventory.NewSnapshot("t", vs, fixedTime, "test"), Dealer: d}
}

// exclusionCase is one vehicle (or dealer) change and the reason a channel should give, ""
// for "included".
type exclusionCase struct {
	name    string
	dealer  func(*inventory.Dealer)
	options func(*transform.Options)
	change  func(*inventory.Vehicle)
	reason  string
}

// checkExclusions renders each case alone and compares the reason.
func checkExclusions(t *testing.T, w transform.Writer, cases []exclusionCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, d := channelVehicle(1), channelDealer()
			if c.change != nil {
				c.change(&v)
			}
			if c.dealer != nil {
				c.dealer(&d)
			}
			in := channelInput(d, v)
			if c.options != nil {
				c.options(&in.Options)
			}
			out, diag := render(t, w, in)
			checkWellFormed(t, w, out)
			got := ""
			if len(diag.Excluded) > 0 {
				got = diag.Excluded[0].Reason
			}
			if got != c.reason {
				t.Fatalf("reason %q, want %q (diagnostics %+v)", got, c.reason, diag)
			}
			if wantIncluded := c.reason == ""; (diag.Included == 1) != wantIncluded {
				t.Fatalf("included %d, want included=%v", diag.Included, wantIncluded)
			}
			if c.reason != "" && bytes.Contains(out, []byte(inventory.NormalizeVIN(v.VIN))) {
				t.Fatal("an excluded vehicle appears in the output")
			}
		})
	}
}

// commonExclusions apply to every Google and Meta format.
var commonExclusions = []exclusionCase{
	{name: "accepted"},
	{name: "no price", change: func(v *inventory.Vehicle) { v.Price = nil }, reason: inventory.ReasonMissingPrice},
	{name: "zero price", change: func(v *inventory.Vehicle) { v.Price = inventory.Ptr(0.0) }, reason: inventory.ReasonMissingPrice},
	{name: "no image", change: func(v *inventory.Vehicle) { v.ImageURL, v.Images = "", nil }, reason: inventory.ReasonMissingImage},
	{name: "image not http", change: func(v *inventory.Vehicle) { v.ImageURL, v.Images = "ftp://x.example/1.jpg", nil },
		reason: inventory.ReasonMissingImage},
	{name: "no link", dealer: func(d *inventory.Dealer) { d.VDPURL = "" }, reason: inventory.ReasonMissingField},
	{name: "link not http", dealer: func(d *inventory.Dealer) { d.VDPURL = "javascript:alert({vin})" }, reason: inventory.ReasonMissingField},
	{name: "unknown condition", change: func(v *inventory.Vehicle) { v.Condition = "auction" }, reason: inventory.ReasonMissingField},
	{name: "demo is used", change: func(v *inventory.Vehicle) { v.Condition = "Demo" }},
	{name: "loaner is used", change: func(v *inventory.Vehicle) { v.Condition = "Service Loaner" }},
	{name: "not certified is used", change: func(v *inventory.Vehicle) { v.Condition = "Not Certified" }},
	{name: "price 0.001", change: func(v *inventory.Vehicle) { v.Price = inventory.Ptr(0.001) }, reason: transform.ReasonOutOfRange},
	{name: "21-digit price", change: func(v *inventory.Vehicle) { v.Price = inventory.Ptr(123456789012345678901.0) }, reason: transform.ReasonOutOfRange},
	{name: "mileage over two million", change: func(v *inventory.Vehicle) { v.Mileage = inventory.Ptr(2_000_001) }, reason: transform.ReasonOutOfRange},
	{name: "no model", change: func(v *inventory.Vehicle) { v.Model = " " }, reason: inventory.ReasonMissingField},
	{name: "year not 4 digits", change: func(v *inventory.Vehicle) { v.Year = 0 }, reason: inventory.ReasonMissingField},
	{name: "used without mileage", change: func(v *inventory.Vehicle) { v.Mileage = nil }, reason: inventory.ReasonMissingMileage},
	{name: "negative mileage", change: func(v *inventory.Vehicle) { v.Mileage = inventory.Ptr(-1) }, reason: transform.ReasonOutOfRange},
}

// withoutCases is commonExclusions without the named cases.
func withoutCases(names ...string) []exclusionCase {
	return slices.DeleteFunc(slices.Clone(commonExclusions), func(c exclusionCase) bool { return slices.Contains(names, c.name) })
}

func TestGoogleVehicleAdsExclusions(t *testing.T) {
	newCar := func(miles int) func(*inventory.Vehicle) {
		return func(v *inventory.Vehicle) { v.Condition, v.Mileage = inventory.New, inventory.Ptr(miles) }
	}
	cases := append(withoutCases(),
		exclusionCase{name: "new", change: newCar(12)},
		exclusionCase{name: "new at 200 miles", change: newCar(200)},
		// Over 200 miles is a common disapproval, not a published rule: sent, with a warning.
		exclusionCase{name: "new over 200 miles is kept", change: newCar(201)},
		exclusionCase{name: "new without msrp", change: func(v *inventory.Vehicle) { newCar(5)(v); v.MSRP = nil },
			reason: inventory.ReasonMissingField},
		// Google accepts 0 for a new car (answer/14156166).
		exclusionCase{name: "new without mileage is sent with 0", change: func(v *inventory.Vehicle) { newCar(5)(v); v.Mileage = nil }},
		exclusionCase{name: "link template without store_code", options: func(o *transform.Options) { o.LinkTemplate = "https://d.example/{vin}" },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "link template without vdp_url", dealer: func(d *inventory.Dealer) { d.VDPURL = "" },
			options: func(o *transform.Options) { o.LinkTemplate = "https://d.example/{vin}?s={store_code}" }},
		// Google asks only for a unique VIN of at most 17 characters (answer/14154510): a
		// failed check digit or a short pre-1981 VIN is sent, with a warning.
		exclusionCase{name: "bad check digit is kept", change: func(v *inventory.Vehicle) { v.VIN = v.VIN[:8] + "Z" + v.VIN[9:] }},
		exclusionCase{name: "European VIN is kept", change: func(v *inventory.Vehicle) { v.VIN = "WVWZZZ1KZAW000123" }},
		exclusionCase{name: "11-character VIN is kept", change: func(v *inventory.Vehicle) { v.VIN = "F10GCR12345" }},
		exclusionCase{name: "dealer without store code", dealer: func(d *inventory.Dealer) { d.StoreCode = "" },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "store code too long", dealer: func(d *inventory.Dealer) { d.StoreCode = strings.Repeat("S", 65) },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "no color is a warning only", change: func(v *inventory.Vehicle) { v.ExteriorColor = "" }},
	)
	checkExclusions(t, transform.NewGoogleVehicleAds(), cases)
}

// TestGoogleVehicleAdsDuplicates checks that every copy of a duplicated VIN is left out.
func TestGoogleVehicleAdsDuplicates(t *testing.T) {
	a, b, c := channelVehicle(1), channelVehicle(1), channelVehicle(2)
	b.VIN = strings.ToLower(b.VIN)
	_, d := render(t, transform.NewGoogleVehicleAds(), channelInput(channelDealer(), a, b, c))
	if d.Included != 1 || d.ExcludedByReason()[inventory.ReasonDuplicateVIN] != 2 {
		t.Fatalf("diagnostics %+v, want 1 included and 2 duplicates", d)
	}
}

// googleAdsDoc reads an ads feed; a tag without a namespace matches the g: elements.
type googleAdsDoc struct {
	XMLName xml.Name `xml:"rss"`
	Items   []struct {
		ID          string   `xml:"id"`
		Title       string   `xml:"title"`
		Description string   `xml:"description"`
		Link        string   `xml:"link"`
		ImageLink   string   `xml:"image_link"`
		Extra       []string `xml:"additional_image_link"`
		Price       string   `xml:"price"`
		MSRP        string   `xml:"vehicle_msrp"`
		Condition   string   `xml:"condition"`
		Brand       string   `xml:"brand"`
		Model       string   `xml:"model"`
		Trim        string   `xml:"trim"`
		Year        string   `xml:"year"`
		Mileage     string   `xml:"mileage"`
		VIN         string   `xml:"vin"`
		Color       string   `xml:"color"`
		BodyStyle   string   `xml:"body_style"`
		Engine      string   `xml:"engine"`
		StoreCode   string   `xml:"store_code"`
		Fulfillment struct {
			Option    string `xml:"option"`
			StoreCode string `xml:"store_code"`
		} `xml:"vehicle_fulfillment"`
		Certified *string `xml:"certified_pre-owned"`
	} `xml:"channel>item"`
}

// TestGoogleVehicleAdsItem checks every attribute of one item.
func TestGoogleVehicleAdsItem(t *testing.T) {
	used := channelVehicle(1)
	used.Images = nil
	for i := range 14 {
		used.Images = append(used.Images, fmt.Sprintf("https://cdn.example.com/u/%d.jpg", i))
	}
	used.Trim = strings.Repeat("Long ", 40)
	newCar := channelVehicle(2)
	newCar.Condition, newCar.Mileage, newCar.AIDescription = inventory.New, inventory.Ptr(8), ""
	newCar.BodyStyle, newCar.FuelType = "Crew Cab Pickup", "Plug-in Hybrid"
	in := channelInput(channelDealer(), used, newCar)
	in.Options.MileageUnit = "km"
	in.Options.Currency = "CAD"
	w := transform.NewGoogleVehicleAds()
	out, d := render(t, w, in)
	if !bytes.Contains(out, []byte(`<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">`)) {
		t.Errorf("the g namespace is not declared on <rss>:\n%s", out)
	}
	var doc googleAdsDoc
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Items) != 2 {
		t.Fatalf("%d items, want 2", len(doc.Items))
	}
	// The snapshot orders vehicles by VIN; find each by its id.
	u, n := doc.Items[0], doc.Items[1]
	if u.ID != used.VIN {
		u, n = n, u
	}
	checks := []struct{ name, got, want string }{
		{"id", u.ID, used.VIN},
		{"title", u.Title, strings.TrimSpace("2019 Toyota Camry " + strings.Repeat("Long ", 26))},
		{"link", u.Link, "https://www.sunsethonda.example/inventory/" + used.VIN},
		{"image_link", u.ImageLink, used.ImageURL},
		{"price", u.Price, "18000.00 CAD"},
		{"msrp of used", u.MSRP, ""},
		{"condition", u.Condition, "used"},
		{"brand", u.Brand, "Toyota"},
		{"year", u.Year, "2019"},
		{"mileage", u.Mileage, "45210 km"},
		{"vin", u.VIN, used.VIN},
		{"color", u.Color, "Red"},
		{"body_style", u.BodyStyle, "sedan"},
		{"engine", u.Engine, "gasoline"},
		{"store_code", u.StoreCode, "SH-001"},
		{"fulfillment option", u.Fulfillment.Option, "in_store"},
		{"fulfillment store", u.Fulfillment.StoreCode, "SH-001"},
		{"msrp of new", n.MSRP, "26000.00 CAD"},
		{"condition of new", n.Condition, "new"},
		{"generated description", n.Description, "New 2019 Toyota Camry LE, 8 km, Red. Available at Sunset Honda."},
		{"pickup", n.BodyStyle, "truck"},
		{"plug-in", n.Engine, "plug-in_hybrid"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(u.Extra) != 10 {
		t.Errorf("%d additional images, want 10", len(u.Extra))
	}
	if len(u.Title) > 150 || len(u.Trim) > 150 {
		t.Errorf("title %d / trim %d characters, want at most 150", len(u.Title), len(u.Trim))
	}
	if u.Certified != nil {
		t.Error("certified_pre-owned is sent, but the upstream has no field for it")
	}
	fields := map[string]bool{}
	for _, wn := range d.Warnings {
		fields[wn.Field] = true
	}
	for _, f := range []string{"additional_image_link", "title", "trim"} {
		if !fields[f] {
			t.Errorf("no warning for %s in %+v", f, d.Warnings)
		}
	}
}
