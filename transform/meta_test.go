package transform_test

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

func TestMetaAutomotiveExclusions(t *testing.T) {
	cases := append(withoutCases(),
		exclusionCase{name: "new", change: func(v *inventory.Vehicle) { v.Condition = inventory.New }},
		exclusionCase{name: "new over 200 miles", change: func(v *inventory.Vehicle) { v.Condition, v.Mileage = inventory.New, inventory.Ptr(900) }},
		exclusionCase{name: "no exterior color", change: func(v *inventory.Vehicle) { v.ExteriorColor = " " },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "11-character VIN is kept", change: func(v *inventory.Vehicle) { v.VIN = "F10GCR12345" }},
		exclusionCase{name: "bad check digit is kept", change: func(v *inventory.Vehicle) { v.VIN = v.VIN[:8] + "Z" + v.VIN[9:] }},
		// vehicle_id takes up to 100 characters; the vin field is left out when not 17.
		exclusionCase{name: "10-character VIN is kept", change: func(v *inventory.Vehicle) { v.VIN = "F10GCR1234" }},
		exclusionCase{name: "VIN over 100 characters", change: func(v *inventory.Vehicle) { v.VIN = strings.Repeat("A", 101) },
			reason: inventory.ReasonInvalidVIN},
		exclusionCase{name: "dealer without postal code", dealer: func(d *inventory.Dealer) { d.Address.PostalCode = "" },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "dealer without street", dealer: func(d *inventory.Dealer) { d.Address.Street = "" },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "no store code is fine", dealer: func(d *inventory.Dealer) { d.StoreCode = "" }},
	)
	for _, w := range []transform.Writer{transform.NewMetaAutomotive(), transform.NewMetaAutomotiveCSV()} {
		t.Run(w.Name(), func(t *testing.T) { checkExclusions(t, w, cases) })
	}
}

// metaDoc reads the XML feed.
type metaDoc struct {
	XMLName  xml.Name `xml:"listings"`
	Listings []struct {
		VehicleID   string `xml:"vehicle_id"`
		Title       string `xml:"title"`
		Description string `xml:"description"`
		URL         string `xml:"url"`
		Make        string `xml:"make"`
		Model       string `xml:"model"`
		Year        string `xml:"year"`
		Mileage     struct {
			Value string `xml:"value"`
			Unit  string `xml:"unit"`
		} `xml:"mileage"`
		Images        []string `xml:"image>url"`
		BodyStyle     string   `xml:"body_style"`
		Price         string   `xml:"price"`
		ExteriorColor string   `xml:"exterior_color"`
		State         string   `xml:"state_of_vehicle"`
		VIN           string   `xml:"vin"`
		Trim          string   `xml:"trim"`
		InteriorColor string   `xml:"interior_color"`
		Transmission  string   `xml:"transmission"`
		Drivetrain    string   `xml:"drivetrain"`
		FuelType      string   `xml:"fuel_type"`
		Address       struct {
			Format     string `xml:"format,attr"`
			Components []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:",chardata"`
			} `xml:"component"`
		} `xml:"address"`
		Latitude       string `xml:"latitude"`
		Longitude      string `xml:"longitude"`
		DealerName     string `xml:"dealer_name"`
		DealerPhone    string `xml:"dealer_phone"`
		Availability   string `xml:"availability"`
		DateFirstOnLot string `xml:"date_first_on_lot"`
	} `xml:"listing"`
}

// metaSample is a used vehicle with 25 images, a price with cents, links in its description and
// a long trim, driven in kilometres, and a certified vehicle with one image.
func metaSample() transform.Input {
	a := channelVehicle(1)
	a.Images = nil
	for i := range 25 {
		a.Images = append(a.Images, fmt.Sprintf("https://cdn.example.com/a/%d.jpg", i))
	}
	a.Price = inventory.Ptr(18999.5)
	a.AIDescription = "Great car. Details at https://dealer.example/x and www.dealer.example."
	a.Trim = strings.Repeat("Sport ", 12)
	a.Drivetrain, a.Transmission, a.FuelType, a.BodyStyle = "All-Wheel Drive", "Dual-Clutch", "PHEV", "Sport Utility"
	b := channelVehicle(2)
	b.Condition, b.Images = "certified", nil
	in := channelInput(channelDealer(), a, b)
	in.Options.MileageUnit = "km"
	return in
}

// TestMetaAutomotiveListing checks every field of the XML feed.
func TestMetaAutomotiveListing(t *testing.T) {
	in := metaSample()
	out, d := render(t, transform.NewMetaAutomotive(), in)
	var doc metaDoc
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Listings) != 2 {
		t.Fatalf("%d listings, want 2", len(doc.Listings))
	}
	a, b := doc.Listings[0], doc.Listings[1]
	if a.VehicleID != validVIN(1) {
		a, b = b, a
	}
	var addr []string
	for _, c := range a.Address.Components {
		addr = append(addr, c.Name+"="+c.Value)
	}
	checks := []struct{ name, got, want string }{
		{"vin", a.VIN, a.VehicleID},
		{"title", a.Title, strings.TrimSpace("2019 Toyota Camry " + strings.Repeat("Sport ", 12))},
		{"description", a.Description, "Great car. Details at and"},
		{"url", a.URL, "https://www.sunsethonda.example/inventory/" + a.VehicleID},
		{"mileage", a.Mileage.Value + " " + a.Mileage.Unit, "45210 KM"},
		{"price with cents", a.Price, "18999.50 USD"},
		{"whole price", b.Price, "18000 USD"},
		{"body_style", a.BodyStyle, "SUV"},
		{"state", a.State, "USED"},
		{"certified", b.State, "CPO"},
		{"trim", a.Trim, strings.TrimSpace(strings.Repeat("Sport ", 8))},
		{"interior", a.InteriorColor, "Tan"},
		{"transmission", a.Transmission, "AUTOMATIC"},
		{"drivetrain", a.Drivetrain, "AWD"},
		{"fuel", a.FuelType, "PLUGIN_HYBRID"},
		{"address format", a.Address.Format, "simple"},
		{"address", strings.Join(addr, ";"), "addr1=1 Main St;city=Springfield;region=IL;postal_code=62701;country=US"},
		{"latitude", a.Latitude + "," + a.Longitude, "39.78,-89.65"},
		{"dealer", a.DealerName + " " + a.DealerPhone, "Sunset Honda +1 217 555 0100"},
		{"availability", a.Availability, "AVAILABLE"},
		{"date_first_on_lot", a.DateFirstOnLot, "2026-01-15"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(a.Images) != 20 || len(b.Images) != 1 {
		t.Errorf("images %d and %d, want 20 and 1", len(a.Images), len(b.Images))
	}
	fields := map[string]bool{}
	for _, w := range d.Warnings {
		fields[w.Field] = true
	}
	for _, f := range []string{"image", "trim", "description"} {
		if !fields[f] {
			t.Errorf("no warning for %s in %+v", f, d.Warnings)
		}
	}
}

// TestMetaAutomotiveCSV checks the flattened columns: as many image columns as the most images
// any vehicle has, capped at 20, and the same values as the XML feed.
func TestMetaAutomotiveCSV(t *testing.T) {
	cases := []struct {
		name   string
		in     transform.Input
		images int
	}{
		{"capped at 20", metaSample(), 20},
		{"one image", channelInput(channelDealer(), func() inventory.Vehicle {
			v := channelVehicle(3)
			v.Images = nil
			return v
		}()), 1},
		{"empty feed keeps one image column", channelInput(channelDealer()), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _ := render(t, transform.NewMetaAutomotiveCSV(), c.in)
			checkWellFormed(t, transform.NewMetaAutomotiveCSV(), out)
			header, rows := readCSVRecords(t, out)
			n := 0
			for _, h := range header {
				if strings.HasPrefix(h, "image[") && strings.HasSuffix(h, "].url") {
					n++
				}
			}
			if n != c.images || !slices.Contains(header, fmt.Sprintf("image[%d].url", n-1)) {
				t.Errorf("%d image columns (%v), want %d", n, header, c.images)
			}
			for _, col := range []string{"mileage.value", "mileage.unit", "address.addr1", "address.city",
				"address.region", "address.postal_code", "address.country"} {
				if !slices.Contains(header, col) {
					t.Errorf("no column %s", col)
				}
			}
			xmlOut, _ := render(t, transform.NewMetaAutomotive(), c.in)
			var doc metaDoc
			if err := xml.Unmarshal(xmlOut, &doc); err != nil {
				t.Fatal(err)
			}
			for i, r := range rows {
				l := doc.Listings[i]
				if r["vehicle_id"] != l.VehicleID || r["price"] != l.Price || r["mileage.unit"] != l.Mileage.Unit ||
					r["address.city"] != "Springfield" || r["image[0].url"] != l.Images[0] || r["description"] != l.Description {
					t.Errorf("row %d %v differs from the XML listing %+v", i, r, l)
				}
			}
		})
	}
}
