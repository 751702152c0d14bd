package transform

import (
	"slices"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
)

// TestRuleTablesCiteSpecs checks every row of every channel's rule table: it names a field,
// cites an https spec page, and an excluding row gives a reason while a warning row gives none.
func TestRuleTablesCiteSpecs(t *testing.T) {
	in := Input{Dealer: inventory.Dealer{}}
	tables := map[string][]rule{
		"google-vehicle-ads":      googleAdsTable(NewGoogleVehicleAds(), in),
		"google-vehicle-listings": googleListingsTable(NewGoogleVehicleListings(), in),
		"meta-automotive":         metaTable(in),
	}
	for name, table := range tables {
		excludes, warns := 0, 0
		for i, r := range table {
			switch {
			case r.field == "" || r.test == nil:
				t.Errorf("%s row %d: no field or test", name, i)
			case !strings.HasPrefix(r.spec, "https://"):
				t.Errorf("%s row %d (%s): spec %q is not a URL", name, i, r.field, r.spec)
			case r.action == ruleExclude && r.reason == "", r.action == ruleWarn && r.reason != "":
				t.Errorf("%s row %d (%s): action %d with reason %q", name, i, r.field, r.action, r.reason)
			}
			if r.action == ruleExclude {
				excludes++
			} else {
				warns++
			}
		}
		if excludes == 0 || warns == 0 {
			t.Errorf("%s: %d excluding and %d warning rows", name, excludes, warns)
		}
	}
}

// TestGoogleLinkTemplate checks the default link_template (the vdp_url plus store={store_code})
// and the feed's own template.
func TestGoogleLinkTemplate(t *testing.T) {
	cases := []struct{ vdp, option, want string }{
		{"https://d.example/cars/{vin}", "", "https://d.example/cars/V1?store={store_code}"},
		{"https://d.example/cars?vin={vin}", "", "https://d.example/cars?vin=V1&store={store_code}"},
		{"https://d.example/cars/{vin}#photos", "", "https://d.example/cars/V1?store={store_code}#photos"},
		{"", "https://d.example/{stock}/store/{store_code}?utm_source=google", "https://d.example/V1/store/{store_code}?utm_source=google"},
		{"https://d.example/{vin}", "https://d.example/{vin}", ""}, // no {store_code}: Google disapproves it
		{"", "", ""},
		{"javascript:x({vin})", "", ""},
	}
	for _, c := range cases {
		got := googleLinkTemplate(inventory.Dealer{VDPURL: c.vdp}, Options{LinkTemplate: c.option}, "V1")
		if got != c.want {
			t.Errorf("vdp %q, option %q: %q, want %q", c.vdp, c.option, got, c.want)
		}
	}
}

// TestBounded checks that absurdly long values are cut in a copy, with warnings, and that the
// shared vehicle is left as it was.
func TestBounded(t *testing.T) {
	long := strings.Repeat("word ", 1<<20)
	v := inventory.Vehicle{VIN: "V1", Make: strings.Repeat("M", 5000), AIDescription: long,
		Features: make([]string, 500), Images: []string{"https://x.example/" + strings.Repeat("a", 3000), "https://x.example/1.jpg"}}
	var d Diagnostics
	b, cut := bounded(&v, &d)
	switch {
	case !cut || b == &v:
		t.Fatal("nothing cut")
	case len([]rune(b.AIDescription)) > maxBoundDescription, len([]rune(b.Make)) > maxBoundText:
		t.Errorf("description %d, make %d characters", len([]rune(b.AIDescription)), len([]rune(b.Make)))
	case len(b.Features) != maxBoundList, len(b.Images) != 1:
		t.Errorf("%d features, %d images", len(b.Features), len(b.Images))
	case v.AIDescription != long || len(v.Features) != 500:
		t.Error("the shared vehicle was changed")
	case len(d.Warnings) < 4:
		t.Errorf("warnings %+v", d.Warnings)
	}
	small := inventory.Vehicle{VIN: "V2", Make: "Honda", AIDescription: "Fine."}
	if got, cut := bounded(&small, &d); cut || got != &small {
		t.Error("a vehicle within bounds was copied")
	}
}

// TestMetaEnumsFromMetaLists checks that every value the Meta formats send for an enum field is
// in Meta's documented list (specMetaReference), and every Google body_style in Google's.
func TestMetaEnumsFromMetaLists(t *testing.T) {
	lists := []struct {
		name    string
		allowed string
		values  []string
	}{
		{"body_style", "CONVERTIBLE COUPE CROSSOVER ESTATE GRANDTOURER HATCHBACK MINIBUS MINIVAN MPV NONE OTHER PICKUP ROADSTER SALOON SEDAN SMALL_CAR SPORTSCAR SUPERCAR SUPERMINI SUV TRUCK VAN WAGON", mapValues(metaBodyStyles)},
		{"fuel_type", "DIESEL ELECTRIC FLEX GASOLINE HYBRID PETROL PLUGIN_HYBRID OTHER", mapValues(metaFuels)},
		{"drivetrain", "AWD FOUR_WD FWD RWD TWO_WD OTHER", mapValues(metaDrivetrains)},
		{"transmission", "AUTOMATIC MANUAL OTHER", mapValues(metaTransmissions)},
		// Google's body_style page (specAdsBodyStyle), the car values of it.
		{"google body_style", "city_car compact_suv convertible coupe crossover full_size_van hatchback limousine minivan notchback sedan station_wagon suv truck ute", mapValues(googleBodyStyles)},
	}
	for _, l := range lists {
		allowed := strings.Fields(l.allowed)
		for _, v := range l.values {
			if !slices.Contains(allowed, v) {
				t.Errorf("%s %q is not in the platform's list", l.name, v)
			}
		}
	}
}

func mapValues[K comparable](m map[K]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
