package hriznsim_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestRealisticProfile: the realistic profile holds every real-world oddity in fixed shares,
// still as VINs the upstream accepts (11 to 17 characters, unique), deterministic for the seed.
func TestRealisticProfile(t *testing.T) {
	const n = 1500
	vs, err := hriznsim.GenerateProfile(hriznsim.ProfileRealistic, 42, n)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := hriznsim.GenerateProfile(hriznsim.ProfileRealistic, 42, n)
	a, _ := json.Marshal(vs)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("the realistic profile is not deterministic")
	}
	counts := map[string]int{}
	seen := map[string]bool{}
	for i := range vs {
		v := &vs[i]
		if seen[v.VIN] || !inventory.ValidUpstreamVIN(v.VIN) || (i > 0 && vs[i-1].VIN >= v.VIN) {
			t.Fatalf("VIN %q: duplicate, unsorted or not 11 to 17 characters", v.VIN)
		}
		seen[v.VIN] = true
		switch err := inventory.CheckVIN17(v.VIN); {
		case len(v.VIN) < 17:
			counts["short VIN"]++
			if len(v.VIN) > 11 {
				counts["12-13 character VIN"]++
			}
		case strings.Contains(v.VIN[3:6], "ZZZ"):
			counts["European VIN"]++
			if v.MSRP != nil || (v.AIDescription != "" && !strings.Contains(v.AIDescription, " km")) {
				t.Errorf("%s: European car with MSRP %v, described %q", v.VIN, v.MSRP, v.AIDescription)
			}
		case err != nil:
			counts["failed check digit"]++
		}
		switch strings.ToLower(string(v.Condition)) {
		case "certified", "certified pre-owned", "cpo":
			counts["CPO"]++
		case "not certified":
			counts["Not Certified"]++
		case "demo":
			counts["demo"]++
		case "loaner":
			counts["loaner"]++
		}
		if v.Mileage == nil {
			counts["no mileage"]++
		}
		if v.Trim == "" {
			counts["no trim"]++
		}
		if v.BodyStyle == "" || v.FuelType == "" {
			counts["no body style or fuel"]++
		}
		if v.ExteriorColor == "" {
			counts["no colour"]++
		}
		if v.Condition == inventory.New && v.MSRP == nil {
			counts["new without MSRP"]++
		}
		switch v.FuelType {
		case "Benzin", "Essence", "Hybride", "Bensin", "Benzina":
			counts["non-English fuel"]++
		}
	}
	want := map[string][2]int{
		"short VIN": {35, 45}, "12-13 character VIN": {15, 25}, "European VIN": {95, 105},
		"failed check digit": {250, 330}, "CPO": {55, 65}, "Not Certified": {15, 25},
		"demo": {15, 25}, "loaner": {15, 25}, "no mileage": {15, 25}, "no trim": {15, 45},
		"no body style or fuel": {15, 25}, "no colour": {15, 25}, "new without MSRP": {5, 25},
		"non-English fuel": {40, 80},
	}
	for what, r := range want {
		if c := counts[what]; c < r[0] || c > r[1] {
			t.Errorf("%s: %d of %d, want %d to %d", what, c, n, r[0], r[1])
		}
	}
	t.Logf("%v", counts)
}

// The default profile is Generate's inventory, unchanged, and an unknown profile is an error.
func TestProfiles(t *testing.T) {
	for _, p := range []string{"", hriznsim.ProfileDefault} {
		vs, err := hriznsim.GenerateProfile(p, 3, 150)
		if err != nil || !reflect.DeepEqual(vs, hriznsim.Generate(3, 150)) {
			t.Errorf("profile %q: %v, or not Generate's inventory", p, err)
		}
	}
	if _, err := hriznsim.GenerateProfile("chaotic", 3, 150); err == nil {
		t.Error("an unknown profile was accepted")
	}
	sim := hriznsim.New(hriznsim.Options{Profile: hriznsim.ProfileRealistic})
	defer sim.Close()
	vs := sim.Vehicles("")
	europe := 0
	for i := range vs {
		if len(vs[i].VIN) == 17 && vs[i].VIN[3:6] == "ZZZ" {
			europe++
		}
	}
	if len(vs) != 150 || europe == 0 {
		t.Errorf("a realistic simulator serves %d vehicles, %d European", len(vs), europe)
	}
}
