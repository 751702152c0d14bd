package transform_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/transform"
)

// TestPriceDrops: each reduction of a vehicle still listed becomes an item with the old and new
// price, newest first as given; a reduction of a sold vehicle is skipped.
func TestPriceDrops(t *testing.T) {
	a, b := channelVehicle(1), channelVehicle(2)
	in := channelInput(channelDealer(), a, b)
	at := time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC)
	in.PriceDrops = []transform.PriceDrop{
		{VIN: a.VIN, Old: 19000, New: 18000, At: at},
		{VIN: "SOLD0000000000000", Old: 9000, New: 8000, At: at.Add(-time.Hour)},
		{VIN: b.VIN, Old: 20000, New: 18500, At: at.Add(-2 * time.Hour)},
	}
	w := transform.NewPriceDrops()
	out, d := render(t, w, in)
	checkWellFormed(t, w, out)
	s := string(out)
	if n := strings.Count(s, "<item>"); n != 2 || d.Included != 2 || d.Filtered != 0 {
		t.Fatalf("%d items, diagnostics %+v:\n%s", n, d, s)
	}
	first, second := strings.Index(s, a.VIN), strings.Index(s, b.VIN)
	if first < 0 || second < 0 || first > second {
		t.Errorf("items out of order or missing:\n%s", s)
	}
	for _, want := range []string{"18000.00 USD (was 19000.00 USD)", "Price down from 20000.00 USD to 18500.00 USD"} {
		if !strings.Contains(s, want) {
			t.Errorf("feed lacks %q", want)
		}
	}
	if strings.Contains(s, "SOLD0000000000000") {
		t.Error("a sold vehicle's reduction is listed")
	}
}

// TestPriceDropsCountsListedVehicles: Diagnostics.Included counts the vehicles whose reduction
// is among the items written, not a vehicle whose reduction fell past the item limit.
func TestPriceDropsCountsListedVehicles(t *testing.T) {
	a, b := channelVehicle(1), channelVehicle(2)
	in := channelInput(channelDealer(), a, b)
	at := time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC)
	w := transform.NewPriceDrops()
	for i := range w.PriceDropsWanted() {
		in.PriceDrops = append(in.PriceDrops, transform.PriceDrop{VIN: a.VIN, Old: 19000, New: 18000, At: at.Add(-time.Duration(i) * time.Minute)})
	}
	in.PriceDrops = append(in.PriceDrops, transform.PriceDrop{VIN: b.VIN, Old: 20000, New: 18500, At: at.Add(-24 * time.Hour)})
	out, d := render(t, w, in)
	if n := strings.Count(string(out), "<item>"); n != w.PriceDropsWanted() {
		t.Fatalf("%d items, want %d", n, w.PriceDropsWanted())
	}
	if strings.Contains(string(out), b.VIN) || d.Included != 1 || d.Filtered != 1 {
		t.Errorf("diagnostics %+v, want 1 included (only %s's reductions are listed) and 1 filtered", d, a.VIN)
	}
}
