package transform_test

import (
	"math/rand/v2"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// randomVINs returns n distinct 17-character VINs drawn from the VIN alphabet with no regard for
// the check digit, as real dealer data has them (most European VINs carry no check digit).
func randomVINs(n int, seed uint64) []string {
	const alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
	r := rand.New(rand.NewPCG(seed, 1))
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		b := make([]byte, 17)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if s := string(b); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// TestGoogleVehicleAdsRandomVINs is the regression test for the check-digit bug: on random VINs
// (most of which fail ISO 3779) every car with a price, a photo, a mileage and, when new, an
// MSRP is listed, because Google asks only that the VIN be unique (answer/14154510).
func TestGoogleVehicleAdsRandomVINs(t *testing.T) {
	vins := randomVINs(168, 7)
	vs := make([]inventory.Vehicle, len(vins))
	failCheck := 0
	for i, vin := range vins {
		v := channelVehicle(i)
		v.VIN = vin
		v.ImageURL, v.Images = "https://cdn.example.com/v/"+vin+"/0.jpg", nil
		if i%3 == 0 {
			v.Condition, v.Mileage = inventory.New, inventory.Ptr(8)
		}
		if inventory.CheckVIN17(vin) != nil {
			failCheck++
		}
		vs[i] = v
	}
	if failCheck < len(vins)/2 {
		t.Fatalf("only %d of %d random VINs fail the check digit: the corpus does not test the bug", failCheck, len(vins))
	}
	out, d := render(t, transform.NewGoogleVehicleAds(), channelInput(channelDealer(), vs...))
	checkWellFormed(t, transform.NewGoogleVehicleAds(), out)
	if len(d.Excluded) != 0 {
		t.Fatalf("included %d of %d cars with random VINs; %d excluded, the first %+v", d.Included, len(vins), len(d.Excluded), d.Excluded[0])
	}
	if d.Included != len(vins) {
		t.Fatalf("included %d of %d cars with random VINs", d.Included, len(vins))
	}
	warned := 0
	for _, w := range d.Warnings {
		if w.Field == "vin" {
			warned++
		}
	}
	if warned != failCheck {
		t.Errorf("%d VIN warnings, want one for each of the %d VINs that fail the check digit", warned, failCheck)
	}
}
