package transform_test

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// corpusCar is one car of the messy corpus and the reason each channel gives for it ("" =
// listed), from the channel's rule table in docs/channels.md.
type corpusCar struct {
	name                 string
	change               func(*inventory.Vehicle)
	ads, listings, meta  string
	wantInAds, wantInAll string // a fragment the car's Google ads item (every output) must hold
}

// messyCorpus is real-world dealer data, not the simulator's: random and European VINs without
// a check digit, pre-1981 and 26-year-old VINs, CPO, demo and loaner cars, kilometres, missing
// fields, absurd values and hostile text.
func messyCorpus() []corpusCar {
	random := randomVINs(3, 42)
	newCar := func(v *inventory.Vehicle) { v.Condition, v.Mileage = inventory.New, inventory.Ptr(8) }
	const img, miles, price, vin, oor, field = inventory.ReasonMissingImage, inventory.ReasonMissingMileage,
		inventory.ReasonMissingPrice, inventory.ReasonInvalidVIN, transform.ReasonOutOfRange, inventory.ReasonMissingField
	return []corpusCar{
		{name: "plain used car"},
		{name: "random VIN", change: func(v *inventory.Vehicle) { v.VIN = random[0] }, listings: vin},
		{name: "second random VIN", change: func(v *inventory.Vehicle) { v.VIN = random[1] }, listings: vin},
		{name: "European VIN", change: func(v *inventory.Vehicle) { v.VIN = "WVWZZZ1KZAW000123" }, listings: vin},
		{name: "French VIN", change: func(v *inventory.Vehicle) { v.VIN = "VF1RFB00X66000001" }, listings: vin},
		{name: "pre-1981 VIN", change: func(v *inventory.Vehicle) { v.VIN, v.Year = "194672A1234", 1972 }},
		{name: "26-year-old import", change: func(v *inventory.Vehicle) { v.VIN, v.Year = "JT2AE92E0J3000001", fixedTime.Year()-26 }},
		{name: "CPO", change: func(v *inventory.Vehicle) { v.Condition = "Certified Pre-Owned" },
			wantInAds: "<g:certified_pre-owned>yes</g:certified_pre-owned>"},
		{name: "not certified", change: func(v *inventory.Vehicle) { v.Condition = "Not Certified" },
			wantInAds: "<g:condition>used</g:condition>"},
		{name: "demo", change: func(v *inventory.Vehicle) { v.Condition = "Demo" }},
		{name: "loaner", change: func(v *inventory.Vehicle) { v.Condition = "Loaner" }},
		{name: "kilometres", change: func(v *inventory.Vehicle) { v.Mileage = inventory.Ptr(152000) }},
		{name: "new car", change: newCar},
		{name: "new car without mileage", change: func(v *inventory.Vehicle) { newCar(v); v.Mileage = nil },
			meta: miles, wantInAds: "<g:mileage>0 miles</g:mileage>"},
		{name: "new car without msrp", change: func(v *inventory.Vehicle) { newCar(v); v.MSRP = nil }, ads: field},
		{name: "new car with 350 miles", change: func(v *inventory.Vehicle) { newCar(v); v.Mileage = inventory.Ptr(350) }},
		{name: "used without mileage", change: func(v *inventory.Vehicle) { v.Mileage = nil }, ads: miles, listings: miles, meta: miles},
		{name: "no photo", change: func(v *inventory.Vehicle) { v.ImageURL, v.Images = "", nil }, ads: img, meta: img},
		{name: "no price", change: func(v *inventory.Vehicle) { v.Price = nil }, ads: price, listings: price, meta: price},
		{name: "price 0.001", change: func(v *inventory.Vehicle) { v.Price = inventory.Ptr(0.001) }, ads: oor, listings: oor, meta: oor},
		{name: "21-digit price", change: func(v *inventory.Vehicle) { v.Price = inventory.Ptr(999999999999999999999.0) },
			ads: oor, listings: oor, meta: oor},
		{name: "negative mileage", change: func(v *inventory.Vehicle) { v.Mileage = inventory.Ptr(-5) }, ads: oor, listings: oor, meta: oor},
		{name: "no colour", change: func(v *inventory.Vehicle) { v.ExteriorColor = "" }, meta: field},
		{name: "Electric/Gas", change: func(v *inventory.Vehicle) { v.FuelType = "Electric/Gas" }, wantInAds: "<g:engine>hybrid</g:engine>"},
		{name: "Benzin", change: func(v *inventory.Vehicle) { v.FuelType = "Benzin" }, wantInAds: "<g:engine>gasoline</g:engine>"},
		{name: "angle-bracket text", change: func(v *inventory.Vehicle) { v.AIDescription = "Clean title <one owner>, <b>low</b> miles." },
			wantInAll: "one owner"},
		{name: "10 MB description", change: func(v *inventory.Vehicle) { v.AIDescription = strings.Repeat("word ", 2<<20) }},
		{name: "unknown condition", change: func(v *inventory.Vehicle) { v.Condition = "auction" }, ads: field, listings: field, meta: field},
	}
}

// corpusVehicles is the corpus and its vehicles, in the same order.
func corpusVehicles() ([]corpusCar, []inventory.Vehicle) {
	cars := messyCorpus()
	vs := make([]inventory.Vehicle, len(cars))
	for i, c := range cars {
		vs[i] = channelVehicle(i + 1)
		if c.change != nil {
			c.change(&vs[i])
		}
	}
	return cars, vs
}

// TestChannelCorpus renders the messy corpus through every ad channel and checks each car's
// inclusion (or its reason) against the channel's rule table; a car listed must appear in the
// output, one left out must not.
func TestChannelCorpus(t *testing.T) {
	cars, vs := corpusVehicles()
	in := channelInput(channelDealer(), slices.Clone(vs)...) // NewSnapshot sorts its slice
	channels := []struct {
		w    transform.Writer
		want func(corpusCar) string
	}{
		{transform.NewGoogleVehicleAds(), func(c corpusCar) string { return c.ads }},
		{transform.NewGoogleVehicleListings(), func(c corpusCar) string { return c.listings }},
		{transform.NewMetaAutomotive(), func(c corpusCar) string { return c.meta }},
		{transform.NewMetaAutomotiveCSV(), func(c corpusCar) string { return c.meta }},
	}
	for _, ch := range channels {
		t.Run(ch.w.Name(), func(t *testing.T) {
			out, d := render(t, ch.w, in)
			checkWellFormed(t, ch.w, out)
			reasons := make(map[string]string, len(d.Excluded))
			for _, e := range d.Excluded {
				reasons[e.VIN] = e.Reason
			}
			for i, c := range cars {
				vin := inventory.NormalizeVIN(vs[i].VIN)
				got, want := reasons[vs[i].VIN], ch.want(c)
				if got != want {
					t.Errorf("%s (%s): reason %q, want %q", c.name, vin, got, want)
				}
				if listed := bytes.Contains(out, []byte(vin)); listed != (want == "") {
					t.Errorf("%s (%s): in the output = %v, want %v", c.name, vin, listed, want == "")
				}
				if want == "" && c.wantInAll != "" && !bytes.Contains(out, []byte(c.wantInAll)) {
					t.Errorf("%s: output lacks %q", c.name, c.wantInAll)
				}
			}
			if d.Included+len(d.Excluded) != len(cars) {
				t.Errorf("included %d + excluded %d, the corpus has %d", d.Included, len(d.Excluded), len(cars))
			}
			// The 10 MB description is cut, never copied: the whole feed stays small.
			if len(out) > 1<<20 {
				t.Errorf("output is %d bytes", len(out))
			}
		})
	}
}

// TestChannelCorpusGoogleItems checks the attributes the corpus cars must carry in Google
// vehicle ads, and that every item has a link_template with {store_code}.
func TestChannelCorpusGoogleItems(t *testing.T) {
	cars, vs := corpusVehicles()
	out, _ := render(t, transform.NewGoogleVehicleAds(), channelInput(channelDealer(), slices.Clone(vs)...))
	var doc struct {
		Items []struct {
			Raw          string `xml:",innerxml"`
			ID           string `xml:"id"`
			LinkTemplate string `xml:"link_template"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	items := make(map[string]string, len(doc.Items))
	for _, it := range doc.Items {
		if !strings.Contains(it.LinkTemplate, "{store_code}") || !strings.HasPrefix(it.LinkTemplate, "https://") {
			t.Errorf("%s: link_template %q lacks {store_code}", it.ID, it.LinkTemplate)
		}
		items[it.ID] = it.Raw
	}
	for i, c := range cars {
		if c.wantInAds == "" {
			continue
		}
		raw, ok := items[inventory.NormalizeVIN(vs[i].VIN)]
		if !ok || !strings.Contains(raw, c.wantInAds) {
			t.Errorf("%s: item lacks %s:\n%s", c.name, c.wantInAds, raw)
		}
	}
}

// TestDealerProblems checks that DealerProblems names the configuration key of each gap, that
// a complete dealer has none, and that it agrees with the render: a gap leaves every car out,
// no gap lists a good car.
func TestDealerProblems(t *testing.T) {
	cases := []struct {
		name    string
		w       transform.Writer
		dealer  func(*inventory.Dealer)
		options func(*transform.Options)
		key     string
	}{
		{"ads without store code", transform.NewGoogleVehicleAds(), func(d *inventory.Dealer) { d.StoreCode = "" }, nil, "dealer.store_code"},
		{"ads without vdp_url", transform.NewGoogleVehicleAds(), func(d *inventory.Dealer) { d.VDPURL = "" }, nil, "dealer.vdp_url"},
		{"ads template without store_code", transform.NewGoogleVehicleAds(), nil,
			func(o *transform.Options) { o.LinkTemplate = "https://x.example/{vin}" }, "options.link_template"},
		{"listings without store code", transform.NewGoogleVehicleListings(), func(d *inventory.Dealer) { d.StoreCode = "" }, nil, "dealer.store_code"},
		{"listings without city", transform.NewGoogleVehicleListings(), func(d *inventory.Dealer) { d.Address.City = "" }, nil, "dealer.address.city"},
		{"listings without name", transform.NewGoogleVehicleListings(), func(d *inventory.Dealer) { d.Name = "" }, nil, "dealer.name"},
		{"meta without region", transform.NewMetaAutomotive(), func(d *inventory.Dealer) { d.Address.Region = "" }, nil, "dealer.address.region"},
		{"meta csv without vdp_url", transform.NewMetaAutomotiveCSV(), func(d *inventory.Dealer) { d.VDPURL = "" }, nil, "dealer.vdp_url"},
		{"rss without any link", transform.NewRSS(transform.SyndicationOptions{}),
			func(d *inventory.Dealer) { d.VDPURL, d.Website = "", "" }, nil, "dealer.vdp_url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := channelInput(channelDealer(), channelVehicle(1))
			if got := transform.DealerProblems(c.w, in.Dealer, in.Options); len(got) != 0 {
				t.Fatalf("a complete dealer has problems %q", got)
			}
			if _, d := render(t, c.w, in); d.Included != 1 {
				t.Fatalf("a complete dealer lists %d cars, want 1: %+v", d.Included, d)
			}
			if c.dealer != nil {
				c.dealer(&in.Dealer)
			}
			if c.options != nil {
				c.options(&in.Options)
			}
			got := transform.DealerProblems(c.w, in.Dealer, in.Options)
			if len(got) != 1 || !strings.HasPrefix(got[0], c.key+": ") {
				t.Fatalf("problems %q, want one naming %s", got, c.key)
			}
			if _, d := render(t, c.w, in); d.Included != 0 {
				t.Fatalf("with a dealer gap the render lists %d cars", d.Included)
			}
		})
	}
	if got := transform.DealerProblems(transform.NewSpreadsheetCSV(), inventory.Dealer{}, transform.Options{}); got != nil {
		t.Errorf("csv needs nothing of the dealer, got %q", got)
	}
}
