package hriznsim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

func TestGenerateIsDeterministic(t *testing.T) {
	tests := []struct {
		name        string
		seedA, seed int64
		same        bool
	}{
		{"same seed", 1, 1, true},
		{"other seed", 1, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := json.Marshal(hriznsim.Generate(tt.seedA, 150))
			b, _ := json.Marshal(hriznsim.Generate(tt.seed, 150))
			if (string(a) == string(b)) != tt.same {
				t.Errorf("equal = %v, want %v", string(a) == string(b), tt.same)
			}
		})
	}
}

func TestGenerateSizes(t *testing.T) {
	for _, n := range []int{0, 1, 2, 75, 150, 1000} {
		if got := len(hriznsim.Generate(3, n)); got != n {
			t.Errorf("Generate(3, %d) gave %d vehicles", n, got)
		}
	}
}

// One inventory of 1500 is checked for every property the consumers rely on.
func TestGenerateIsRealistic(t *testing.T) {
	const n = 1500
	vs := hriznsim.Generate(42, n)
	base := hriznsim.BaseTime()
	seen := map[string]bool{}
	var short, noPrice, noImages, noDesc, newCount, hostile int
	hostileChars := []string{"&", "<", ">", `"`, ",", "\n", "é", "=", "+", "-", "@"}
	found := map[string]bool{}
	for i := range vs {
		v := &vs[i]
		if seen[v.VIN] {
			t.Fatalf("duplicate VIN %s", v.VIN)
		}
		seen[v.VIN] = true
		if i > 0 && vs[i-1].VIN >= v.VIN {
			t.Fatalf("not sorted by VIN at %d", i)
		}
		switch {
		case len(v.VIN) == 17:
			if err := inventory.CheckVIN17(v.VIN); err != nil {
				t.Fatalf("VIN %s: %v", v.VIN, err)
			}
		case len(v.VIN) == 11:
			short++
			if v.Year >= 1981 {
				t.Errorf("short VIN %s on a %d vehicle", v.VIN, v.Year)
			}
		default:
			t.Fatalf("VIN %q has %d characters", v.VIN, len(v.VIN))
		}
		if v.Make == "" || v.Model == "" || v.Year < 1960 || v.Year > 2027 || v.Mileage == nil ||
			v.ExteriorColor == "" || v.InteriorColor == "" || v.Engine == "" || v.Transmission == "" ||
			v.Drivetrain == "" || v.FuelType == "" || v.BodyStyle == "" || len(v.Features) == 0 {
			t.Fatalf("incomplete vehicle %+v", v)
		}
		if !v.CreatedAt.Before(base) || v.UpdatedAt.Before(v.CreatedAt) || v.UpdatedAt.After(base) {
			t.Fatalf("%s: times %v / %v not before the base date", v.VIN, v.CreatedAt, v.UpdatedAt)
		}
		if v.Price == nil {
			noPrice++
		}
		if v.Condition == inventory.New {
			newCount++
			if *v.Mileage > 50 || v.MSRP == nil || (v.Price != nil && *v.MSRP <= *v.Price) {
				t.Fatalf("new vehicle %s: mileage %d, msrp %v, price %v", v.VIN, *v.Mileage, v.MSRP, v.Price)
			}
		}
		switch k := len(v.AllImages()); {
		case k == 0:
			noImages++
		case k < 3 || k > 12 || v.ImageURL != v.Images[0]:
			t.Fatalf("%s: %d images, main %q", v.VIN, k, v.ImageURL)
		}
		if v.HasDescription() {
			if v.DescriptionStatus != inventory.DescriptionCompleted || v.DescriptionGeneratedAt == nil {
				t.Fatalf("%s: described, status %q", v.VIN, v.DescriptionStatus)
			}
		} else {
			noDesc++
		}
		text := v.Trim + v.ExteriorColor + v.AIDescription
		if !utf8.ValidString(text) {
			t.Fatalf("%s: invalid UTF-8", v.VIN)
		}
		if strings.ContainsAny(v.Trim+v.ExteriorColor, "&<\"=+@\n") || strings.HasPrefix(v.Trim, "-") {
			hostile++
		}
		for _, c := range hostileChars {
			if strings.HasPrefix(v.Trim, c) || strings.HasPrefix(v.ExteriorColor, c) || strings.HasPrefix(v.AIDescription, c) ||
				(c != "=" && c != "+" && c != "-" && c != "@" && strings.Contains(text, c)) {
				found[c] = true
			}
		}
	}
	for _, c := range hostileChars {
		if !found[c] {
			t.Errorf("no vehicle carries hostile %q", c)
		}
	}
	checks := []struct {
		what     string
		got      int
		min, max int
	}{
		{"11-character VINs", short, 15, 25},
		{"vehicles without a price", noPrice, 15, 25},
		{"vehicles without images", noImages, 15, 25},
		{"vehicles without a description", noDesc, n * 5 / 100, n * 15 / 100},
		{"new vehicles", newCount, n * 40 / 100, n * 65 / 100},
		{"vehicles with hostile trim or colour", hostile, n / 20, n / 5},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s: %d, want %d to %d", c.what, c.got, c.min, c.max)
		}
	}
}

func TestSmallInventoriesHaveEveryOddity(t *testing.T) {
	sim := hriznsim.New(hriznsim.Options{})
	defer sim.Close()
	vs := sim.Vehicles("")
	var short, noPrice, noImages, noDesc bool
	for i := range vs {
		v := &vs[i]
		short = short || len(v.VIN) == 11
		noPrice = noPrice || v.Price == nil
		noImages = noImages || len(v.AllImages()) == 0
		noDesc = noDesc || !v.HasDescription()
	}
	if !short || !noPrice || !noImages || !noDesc {
		t.Errorf("150 vehicles: short VIN %v, no price %v, no images %v, no description %v", short, noPrice, noImages, noDesc)
	}
	if _, ok := (&inventory.Snapshot{Vehicles: vs}).Find(docVIN); !ok {
		t.Error("the main site lacks the documented example vehicle")
	}
}

func BenchmarkGenerate50000(b *testing.B) {
	for b.Loop() {
		hriznsim.Generate(1, 50000)
	}
}
