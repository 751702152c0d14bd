package transform

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// tplExponent matches a number printed in exponent form, as text/template prints a large float.
var tplExponent = regexp.MustCompile(`[0-9]e[+-][0-9]`)

// try runs every expression of a definition on sample data: a vehicle with every field set
// (and a price large enough that a bare float prints in exponent form) and a vehicle with
// none, each with a matching dealer. A misspelt field, a helper given the wrong kind of value,
// an expression that fails or prints "<nil>" for an absent value is so reported at load, with
// the file and the field, instead of breaking a live feed.
func (t *TemplateWriter) try() error {
	full, empty := tplSampleVehicle(), inventory.Vehicle{}
	trials := []struct {
		what string
		in   Input
		v    *inventory.Vehicle
	}{
		{"with a sample vehicle that has every field", tplSampleInput(), &full},
		{"with a sample vehicle that has no field set", Input{}, &empty},
	}
	for _, tr := range trials {
		r := newTplRenderer(tr.in, 1)
		r.trial = tr.what
		for _, f := range t.rootAttrs {
			if err := r.try(f); err != nil {
				return err
			}
		}
		r.data.Vehicle = tr.v
		for _, f := range t.itemFields() {
			if err := r.try(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *TemplateWriter) itemFields() []*tplField {
	out := append([]*tplField(nil), t.columns...)
	for _, n := range t.nodes {
		if n.field != nil {
			out = append(out, n.field)
		}
		out = append(out, n.children...)
	}
	return out
}

func (r *tplRenderer) try(f *tplField) error {
	vals, err := r.eval(f, nil)
	if err != nil {
		return err
	}
	for _, s := range vals {
		switch {
		case strings.Contains(s, "<nil>"):
			return fmt.Errorf("%s %s: prints <nil> for an absent value; use number, money, isodate or default", f.label, r.trial)
		case tplExponent.MatchString(s):
			return fmt.Errorf("%s %s: prints a number in exponent form (%q); use number or money", f.label, r.trial, s)
		}
	}
	return nil
}

func tplSampleVehicle() inventory.Vehicle {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return inventory.Vehicle{
		VIN: "1HGBH41JXMN109186", Year: 2021, Make: "Honda", Model: "Civic", Trim: "EX",
		Condition: inventory.Used, Price: inventory.Ptr(1234567.5), MSRP: inventory.Ptr(2345678.25),
		Mileage: inventory.Ptr(12345678), ExteriorColor: "Blue", InteriorColor: "Black",
		Engine: "2.0L", Transmission: "CVT", Drivetrain: "FWD", FuelType: "Gasoline",
		BodyStyle: "Sedan", Features: []string{"Heated Seats", "Sunroof"},
		ImageURL: "https://cdn.example/1.jpg", Images: []string{"https://cdn.example/1.jpg", "https://cdn.example/2.jpg"},
		AIDescription: "A sample description.", DescriptionStatus: inventory.DescriptionCompleted,
		DescriptionGeneratedAt: &at, HasDescriptionFlag: true, CreatedAt: at, UpdatedAt: at,
	}
}

func tplSampleInput() Input {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return Input{
		Snapshot: &inventory.Snapshot{Tenant: "sample", FetchedAt: at, ModifiedAt: at, Version: "v1", Source: "full"},
		Dealer: inventory.Dealer{Name: "Sample Motors", Website: "https://dealer.example",
			VDPURL: "https://dealer.example/{vin}", Phone: "+1 555 0100", StoreCode: "S1",
			Address:  inventory.Address{Street: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
			Latitude: inventory.Ptr(39.78), Longitude: inventory.Ptr(-89.65)},
		Options: Options{Currency: "EUR", MileageUnit: "km", FeedURL: "https://feeds.example/f", Title: "Sample"},
	}
}
