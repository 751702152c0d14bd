package transform_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// TestDescriptionLinksRemovedInAnyCase: Google and Meta forbid links in descriptions, however
// the dealer's text spells them.
func TestDescriptionLinksRemovedInAnyCase(t *testing.T) {
	for _, link := range []string{"www.example.com", "WWW.example.com", "Www.example.com", "wWw.example.com/x", "https://x.example/a"} {
		v := inventory.Vehicle{VIN: "1M8GDM9AXKP042788", Year: 2020, Make: "Honda", Model: "Civic", Condition: inventory.Used,
			Price: inventory.Ptr(1000.0), Mileage: inventory.Ptr(5), ExteriorColor: "Red",
			ImageURL: "https://cdn.example.com/a.jpg", AIDescription: "Great car, see " + link + " today."}
		in := transform.Input{Snapshot: inventory.NewSnapshot("t", []inventory.Vehicle{v}, fixedTime, "t"),
			Dealer: inventory.Dealer{Name: "D", VDPURL: "https://d.example/{vin}", StoreCode: "S",
				Address: inventory.Address{Street: "1 Main", City: "C", Region: "IL", PostalCode: "1", Country: "US"}}}
		for _, w := range []transform.Writer{transform.NewGoogleVehicleAds(), transform.NewMetaAutomotive()} {
			var buf bytes.Buffer
			if _, err := w.Write(&buf, in); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(bytes.ToLower(buf.Bytes()), []byte(strings.ToLower(strings.TrimPrefix(link, "https://")))) {
				t.Errorf("%s kept the link %q:\n%s", w.Name(), link, buf.String())
			}
		}
	}
}
