package transform

import (
	"net/url"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
)

// TestBodyStyleMapping checks upstream spellings against both channels' words.
func TestBodyStyleMapping(t *testing.T) {
	cases := []struct {
		in, google, meta string
	}{
		{"Sedan", "sedan", "SEDAN"},
		{"4dr Car", "sedan", "SEDAN"},
		{"SEDAN", "sedan", "SEDAN"},
		{"Sport Utility", "suv", "SUV"},
		{"4dr Sport Utility", "suv", "SUV"},
		{"SUV", "suv", "SUV"},
		{"suv", "suv", "SUV"},
		{"Crossover", "crossover", "CROSSOVER"},
		{"Pickup Truck", "truck", "PICKUP"},
		{"Crew Cab", "truck", "PICKUP"},
		{"Crew Cab Pickup", "truck", "PICKUP"},
		{"SuperCrew", "truck", "PICKUP"},
		{"Truck", "truck", "PICKUP"},
		{"Minivan", "minivan", "MINIVAN"},
		{"Mini-van", "minivan", "MINIVAN"},
		{"Cargo Van", "full_size_van", "VAN"},
		{"Full Size Van", "full_size_van", "VAN"},
		{"Station Wagon", "station_wagon", "WAGON"},
		{"Wagon", "station_wagon", "WAGON"},
		{"Estate", "station_wagon", "WAGON"},
		{"Hatchback", "hatchback", "HATCHBACK"},
		{"Liftback", "hatchback", "HATCHBACK"},
		{"Coupe", "coupe", "COUPE"},
		{"2dr Car", "coupe", "COUPE"},
		{"Convertible", "convertible", "CONVERTIBLE"},
		{"Cabriolet", "convertible", "CONVERTIBLE"},
		{"Roadster", "convertible", "ROADSTER"},
		{"Motorhome", "", "OTHER"}, // unknown: Google omits, Meta says OTHER
		{"", "", "OTHER"},          // blank: the same
		{"Vanity", "", "OTHER"},    // whole words only: "van" is not in "vanity"
		{"Cabin Cruiser", "", "OTHER"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			b, ok := bodyStyleOf(c.in)
			google := ""
			if ok {
				google = googleBodyStyles[b]
			}
			if google != c.google {
				t.Errorf("google body_style of %q = %q, want %q", c.in, google, c.google)
			}
			if got := metaBodyStyles[b]; got != c.meta {
				t.Errorf("meta body_style of %q = %q, want %q", c.in, got, c.meta)
			}
		})
	}
}

// TestFuelMapping checks upstream fuel spellings against Google's engine and Meta's fuel_type.
func TestFuelMapping(t *testing.T) {
	cases := []struct {
		in, google, meta string
	}{
		{"Gasoline", "gasoline", "GASOLINE"},
		{"Gas", "gasoline", "GASOLINE"},
		{"gas", "gasoline", "GASOLINE"},
		{"Petrol", "gasoline", "GASOLINE"},
		{"Premium Unleaded", "gasoline", "GASOLINE"},
		{"Diesel", "diesel", "DIESEL"},
		{"Electric", "electric", "ELECTRIC"},
		{"EV", "electric", "ELECTRIC"},
		{"Hybrid", "hybrid", "HYBRID"},
		{"Gas/Electric Hybrid", "hybrid", "HYBRID"},
		{"Plug-in Hybrid", "plug-in_hybrid", "PLUGIN_HYBRID"},
		{"Plug-In Hybrid Electric", "plug-in_hybrid", "PLUGIN_HYBRID"},
		{"PHEV", "plug-in_hybrid", "PLUGIN_HYBRID"},
		{"Flex Fuel", "gasoline", "FLEX"},
		{"Gasoline/E85", "gasoline", "FLEX"},
		{"Compressed Natural Gas", "natural_gas", "OTHER"},
		{"CNG", "natural_gas", "OTHER"},
		{"Propane", "lpg", "OTHER"},
		{"Hydrogen Fuel Cell", "other", "OTHER"},
		{"Steam", "other", "OTHER"},
		{"", "", ""},
		// "Electric/Gas" burns gas too: a hybrid, not an electric car.
		{"Electric/Gas", "hybrid", "HYBRID"},
		{"Electric / Gasoline", "hybrid", "HYBRID"},
		{"Diesel/Electric", "hybrid", "HYBRID"},
		// European dealer systems.
		{"Benzin", "gasoline", "GASOLINE"},
		{"Essence", "gasoline", "GASOLINE"},
		{"Gasolina", "gasoline", "GASOLINE"},
		{"Gazole", "diesel", "DIESEL"},
		{"Elektro", "electric", "ELECTRIC"},
		{"Électrique", "electric", "ELECTRIC"},
		{"Hybride", "hybrid", "HYBRID"},
		{"Plug-in-Hybrid", "plug-in_hybrid", "PLUGIN_HYBRID"},
		{"Erdgas", "natural_gas", "OTHER"},
		{"GPL", "lpg", "OTHER"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			f, ok := fuelOf(c.in)
			google, meta := "", ""
			if ok {
				google, meta = googleEngines[f], metaFuels[f]
			}
			if google != c.google || meta != c.meta {
				t.Errorf("fuel %q = google %q, meta %q; want %q, %q", c.in, google, meta, c.google, c.meta)
			}
		})
	}
}

// TestDrivetrainAndTransmissionMapping checks Meta's drivetrain and transmission enums.
func TestDrivetrainAndTransmissionMapping(t *testing.T) {
	drives := []struct{ in, want string }{
		{"AWD", "AWD"}, {"All-Wheel Drive", "AWD"}, {"all wheel drive", "AWD"}, {"quattro", "AWD"},
		{"4WD", "FOUR_WD"}, {"4x4", "FOUR_WD"}, {"Four-Wheel Drive", "FOUR_WD"},
		{"FWD", "FWD"}, {"Front-Wheel Drive", "FWD"},
		{"RWD", "RWD"}, {"Rear Wheel Drive", "RWD"},
		{"2WD", "TWO_WD"}, {"4x2", "TWO_WD"},
		{"Tracks", "OTHER"}, {"", ""},
	}
	for _, c := range drives {
		got := ""
		if d, ok := drivetrainOf(c.in); ok {
			got = metaDrivetrains[d]
		}
		if got != c.want {
			t.Errorf("drivetrain %q = %q, want %q", c.in, got, c.want)
		}
	}
	gears := []struct{ in, want string }{
		{"Automatic", "AUTOMATIC"}, {"8-Speed Automatic w/OD", "AUTOMATIC"}, {"CVT", "AUTOMATIC"},
		{"Dual-Clutch", "AUTOMATIC"}, {"7-Speed DCT", "AUTOMATIC"}, {"Automated Manual", "AUTOMATIC"},
		{"Single-Speed", "AUTOMATIC"}, {"A/T", "AUTOMATIC"},
		{"Manual", "MANUAL"}, {"6-Speed Manual", "MANUAL"}, {"M/T", "MANUAL"}, {"stick", "MANUAL"},
		{"Sequential", "OTHER"}, {"", ""},
	}
	for _, c := range gears {
		got := ""
		if g, ok := transmissionOf(c.in); ok {
			got = metaTransmissions[g]
		}
		if got != c.want {
			t.Errorf("transmission %q = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestConditionMapping checks the tolerant reading of condition.
func TestConditionMapping(t *testing.T) {
	cases := []struct {
		in   inventory.Condition
		want vehicleCondition
	}{
		{"new", condNew}, {"NEW", condNew}, {"New", condNew},
		{"used", condUsed}, {"Used", condUsed}, {"Pre-Owned", condUsed},
		{"Certified Pre-Owned", condCertified}, {"CPO", condCertified},
		{"", condUnknown}, {"auction", condUnknown},
		// Negated certification is plain used; demonstrators and loaners are sold as used.
		{"Not Certified", condUsed}, {"Non-Certified", condUsed}, {"uncertified", condUsed},
		{"Demo", condUsed}, {"Ex-Demo", condUsed}, {"Service Loaner", condUsed}, {"New Demo", condUsed},
	}
	for _, c := range cases {
		if got := conditionOf(c.in); got != c.want {
			t.Errorf("condition %q = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestPlainDescription checks link and tag removal, the generated fallback and the cut.
func TestPlainDescription(t *testing.T) {
	dealer := inventory.Dealer{Name: "Sunset Honda"}
	base := inventory.Vehicle{VIN: "1HGBH41JXMN109186", Year: 2019, Make: "Toyota", Model: "Camry", Trim: "LE",
		Condition: inventory.Used, Mileage: inventory.Ptr(45210), ExteriorColor: "Red"}
	cases := []struct {
		name, in, want string
		km             bool
		max, warnings  int
	}{
		{"kept", "A fine car.\n\nSecond   line.", "A fine car.\nSecond line.", false, 5000, 0},
		{"links removed", "See https://dealer.example/x?y=1 or www.dealer.example now.", "See or now.", false, 5000, 1},
		{"tags removed", "<p>Nice <b>car</b></p>", "Nice car", false, 5000, 1},
		{"tags with attributes removed", `<div class="x">Nice<br/> <a href="/y">car</a></div>`, "Nice car", false, 5000, 1},
		// Text in angle brackets that is no HTML tag is the dealer's text.
		{"angle-bracket text kept", "Clean title <one owner> and <a lot of extras>.", "Clean title <one owner> and <a lot of extras>.", false, 5000, 0},
		{"generated", "", "Used 2019 Toyota Camry LE, 45210 miles, Red. Available at Sunset Honda.", false, 5000, 0},
		{"generated km", "  \n ", "Used 2019 Toyota Camry LE, 45210 km, Red. Available at Sunset Honda.", true, 5000, 0},
		{"only a link", "https://x.example", "Used 2019 Toyota Camry LE, 45210 miles, Red. Available at Sunset Honda.", false, 5000, 1},
		{"cut", "one two three four", "one two", false, 8, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := base
			v.AIDescription = c.in
			var d Diagnostics
			if got := plainDescription(&d, &v, dealer, c.km, c.max); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if len(d.Warnings) != c.warnings {
				t.Errorf("warnings %+v, want %d", d.Warnings, c.warnings)
			}
		})
	}
}

// TestJoinImageLinks checks that a comma in a URL cannot split the additional_image_link cell.
func TestJoinImageLinks(t *testing.T) {
	got := joinImageLinks([]string{"https://a.example/1.jpg", "https://a.example/x,y.jpg"})
	if want := "https://a.example/1.jpg,https://a.example/x%2Cy.jpg"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Count(got, ",") != 1 {
		t.Errorf("%q splits into more than two links", got)
	}
}

// isWebURLByParse is isWebURL as it was before its fast path: url.Parse alone.
func isWebURLByParse(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

var webURLCases = []string{
	"", "https://x.example/a.jpg", "http://x.example", "https://x.example?q=1", "https://x.example#f",
	"HTTPS://x.example/a", "https://", "https:///path", "https://user@x.example/", "https://x.example:8080/",
	"https://[::1]/", "https://x.example/a%20b.jpg", "https://x.example/a%zz", "https://x.example/a\x7f",
	"https://x.example/a b", "https://x_y.example/", "ftp://x.example/", "https://x.example/é.jpg",
	"https://x.example/a?b=%", "https:x.example", "https://-/", "https://x.example/@:;!$&'()*+,=",
}

// TestIsWebURL checks the fast path against url.Parse on hand-picked shapes.
func TestIsWebURL(t *testing.T) {
	for _, s := range webURLCases {
		if got, want := isWebURL(s), isWebURLByParse(s); got != want {
			t.Errorf("isWebURL(%q) = %v, url.Parse says %v", s, got, want)
		}
	}
}

// FuzzIsWebURL checks that isWebURL answers as url.Parse does for any string.
func FuzzIsWebURL(f *testing.F) {
	for _, s := range webURLCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isWebURL(s), isWebURLByParse(s); got != want {
			t.Errorf("isWebURL(%q) = %v, url.Parse says %v", s, got, want)
		}
	})
}

var foldCases = []string{
	"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\n\nb", "a\r\nb", "\na", "a\n",
	"a\u00a0b", "a\u2003b", "caf\u00e9 au lait", "\xff \xfe", "a \nb", "line one\nline two",
}

// FuzzOneLine checks the copy-free paths of OneLine and foldLines against the plain
// definitions they stand for.
func FuzzOneLine(f *testing.F) {
	for _, s := range foldCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := OneLine(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", s, got, want)
		}
		var kept []string
		for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				kept = append(kept, l)
			}
		}
		if got, want := foldLines(s), strings.Join(kept, "\n"); got != want {
			t.Errorf("foldLines(%q) = %q, want %q", s, got, want)
		}
	})
}
