package transform_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// readCSVRecords re-reads a CSV output as one map per record, keyed by the header.
func readCSVRecords(t *testing.T, out []byte) ([]string, []map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

func TestGoogleVehicleListingsExclusions(t *testing.T) {
	newCar := func(miles *int) func(*inventory.Vehicle) {
		return func(v *inventory.Vehicle) { v.Condition, v.Mileage = inventory.New, miles }
	}
	// A new vehicle may go without mileage and without MSRP in vehicle listings.
	// image_link and link are only recommended in vehicle listings: their absence is a warning.
	common := withoutCases("used without mileage", "no image", "image not http", "no link", "link not http")
	cases := append(common,
		exclusionCase{name: "no image is kept", change: func(v *inventory.Vehicle) { v.ImageURL, v.Images = "", nil }},
		exclusionCase{name: "no link is kept", dealer: func(d *inventory.Dealer) { d.VDPURL = "" }},
		exclusionCase{name: "used without mileage", change: func(v *inventory.Vehicle) { v.Mileage = nil },
			reason: inventory.ReasonMissingMileage},
		exclusionCase{name: "new without mileage", change: newCar(nil)},
		exclusionCase{name: "new without msrp", change: func(v *inventory.Vehicle) { newCar(inventory.Ptr(5))(v); v.MSRP = nil }},
		exclusionCase{name: "new at 20000 miles", change: newCar(inventory.Ptr(20000))},
		exclusionCase{name: "new over 20000 miles", change: newCar(inventory.Ptr(20001)), reason: inventory.ReasonNewVehicleHighMiles},
		exclusionCase{name: "new at 350 miles", change: newCar(inventory.Ptr(350))},
		exclusionCase{name: "bad check digit", change: func(v *inventory.Vehicle) { v.VIN = v.VIN[:8] + "Z" + v.VIN[9:] },
			reason: inventory.ReasonInvalidVIN},
		// The spec exempts classics older than 1981 and imports older than 25 years.
		exclusionCase{name: "pre-1981 short VIN is exempt", change: func(v *inventory.Vehicle) { v.Year, v.VIN = 1979, "F10GCR12345" }},
		exclusionCase{name: "26-year-old car is exempt", change: func(v *inventory.Vehicle) {
			v.Year, v.VIN = fixedTime.Year()-26, "JT2AE92E0J3000001"
		}},
		exclusionCase{name: "25-year-old car is checked", change: func(v *inventory.Vehicle) {
			v.Year, v.VIN = fixedTime.Year()-25, "JT2AE92E0J3000001"
		}, reason: inventory.ReasonInvalidVIN},
		exclusionCase{name: "dealer without store code", dealer: func(d *inventory.Dealer) { d.StoreCode = "" },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "dealer without street is kept", dealer: func(d *inventory.Dealer) { d.Address.Street = "" }},
		exclusionCase{name: "dealer without postal code", dealer: func(d *inventory.Dealer) { d.Address.PostalCode = "" },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "dealer without address", dealer: func(d *inventory.Dealer) { d.Address = inventory.Address{} },
			reason: inventory.ReasonMissingField},
		exclusionCase{name: "dealer without name", dealer: func(d *inventory.Dealer) { d.Name = "" },
			reason: inventory.ReasonMissingField},
	)
	checkExclusions(t, transform.NewGoogleVehicleListings(), cases)
}

// TestGoogleVehicleListingsRecord checks the columns of one record.
func TestGoogleVehicleListingsRecord(t *testing.T) {
	v := channelVehicle(1)
	v.Condition = "Certified Pre-Owned"
	v.Trim = "=SUM(A1)"
	v.Images = []string{"https://cdn.example.com/a,b.jpg", "https://cdn.example.com/c.jpg"}
	out, d := render(t, transform.NewGoogleVehicleListings(), channelInput(channelDealer(), v))
	if d.Included != 1 {
		t.Fatalf("diagnostics %+v", d)
	}
	header, rows := readCSVRecords(t, out)
	if slices.Contains(header, "brand") || !slices.Contains(header, "make") {
		t.Errorf("header %v: vehicle listings use make, not brand", header)
	}
	want := map[string]string{
		"id": v.VIN, "make": "Toyota", "model": "Camry", "condition": "used", "certified_pre_owned": "yes",
		"trim":                  "=SUM(A1)", // machine-read: not spreadsheet-neutralised
		"mileage":               "45210 miles",
		"price":                 "18000.00 USD",
		"vehicle_msrp":          "",
		"image_link":            v.ImageURL,
		"additional_image_link": "https://cdn.example.com/a%2Cb.jpg,https://cdn.example.com/c.jpg",
		"dealership_name":       "Sunset Honda",
		"dealership_address":    "1 Main St, Springfield, IL 62701, US",
		"store_code":            "SH-001",
		"date_in_stock":         "2026-01-15",
		"body_style":            "sedan",
		"engine":                "gasoline",
		"exterior_color":        "Red",
	}
	for k, w := range want {
		if got := rows[0][k]; got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}
