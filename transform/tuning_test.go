package transform_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// tunedInput is two cars under a feed with every tuning option set.
func tunedInput() transform.Input {
	a, b := channelVehicle(1), channelVehicle(2)
	a.CreatedAt = fixedTime.Add(-40 * 24 * time.Hour)
	b.Condition, b.Price = inventory.New, inventory.Ptr(82000.0)
	in := channelInput(channelDealer(), a, b)
	in.Options = transform.Options{
		LinkParams:   "utm_source=google&utm_medium=vehicle_ads",
		CustomLabels: []string{transform.LabelDaysInStock, transform.LabelPriceBand, "", transform.LabelCondition, transform.LabelMake},
		TitlePattern: "{year} {make} {model} - {condition}",
	}
	return in
}

func TestTuningGoogleVehicleAds(t *testing.T) {
	out, d := render(t, transform.NewGoogleVehicleAds(), tunedInput())
	if d.Included != 2 {
		t.Fatalf("diagnostics %+v", d)
	}
	for _, want := range []string{
		"<g:link>https://www.sunsethonda.example/inventory/" + validVIN(1) + "?utm_source=google&amp;utm_medium=vehicle_ads</g:link>",
		"?store={store_code}&amp;utm_source=google&amp;utm_medium=vehicle_ads</g:link_template>",
		"<g:title>2019 Toyota Camry - Used</g:title>",
		"<g:custom_label_0>31-60</g:custom_label_0>",
		"<g:custom_label_1>10000-20000</g:custom_label_1>",
		"<g:custom_label_1>75000+</g:custom_label_1>",
		"<g:custom_label_3>new</g:custom_label_3>",
		"<g:custom_label_4>Toyota</g:custom_label_4>",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if strings.Contains(string(out), "custom_label_2") {
		t.Error("an empty expression wrote custom_label_2")
	}
}

func TestTuningMetaCSV(t *testing.T) {
	out, _ := render(t, transform.NewMetaAutomotiveCSV(), tunedInput())
	checkWellFormed(t, transform.NewMetaAutomotiveCSV(), out)
	header, rest, _ := strings.Cut(string(out), "\r\n")
	if !strings.HasSuffix(header, ",custom_label_0,custom_label_1,custom_label_2,custom_label_3,custom_label_4") {
		t.Errorf("header %q", header)
	}
	if !strings.Contains(rest, "?utm_source=google&utm_medium=vehicle_ads,") || !strings.Contains(rest, ",31-60,10000-20000,,used,Toyota\r\n") {
		t.Errorf("records:\n%s", rest)
	}
}

// TestTuningFilter checks the VIN exclude list and the price bounds: what they drop is
// Filtered, not Excluded, in every format.
func TestTuningFilter(t *testing.T) {
	cheap, mid, dear, none := channelVehicle(1), channelVehicle(2), channelVehicle(3), channelVehicle(4)
	cheap.Price, mid.Price, dear.Price, none.Price = inventory.Ptr(5000.0), inventory.Ptr(20000.0), inventory.Ptr(90000.0), nil
	cases := []struct {
		name     string
		o        transform.Options
		included int
	}{
		{"no bounds", transform.Options{}, 4},
		{"exclude VINs", transform.Options{ExcludeVINs: []string{strings.ToLower(validVIN(1)), validVIN(3)}}, 2},
		{"price min", transform.Options{PriceMin: 10000}, 2},
		{"price max", transform.Options{PriceMax: 20000}, 2},
		{"price range", transform.Options{PriceMin: 10000, PriceMax: 50000}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := channelInput(channelDealer(), cheap, mid, dear, none)
			in.Options = c.o
			_, d := render(t, transform.NewSpreadsheetCSV(), in)
			if d.Included != c.included || d.Filtered != 4-c.included {
				t.Errorf("included %d, filtered %d; want %d included", d.Included, d.Filtered, c.included)
			}
		})
	}
}

// TestConfigLabelExpressions keeps config's validation lists equal to what transform computes:
// config cannot import transform, so each keeps its own.
func TestConfigLabelExpressions(t *testing.T) {
	if !slices.Equal(config.CustomLabelExpressions, transform.CustomLabelExpressions()) {
		t.Errorf("config %q, transform %q", config.CustomLabelExpressions, transform.CustomLabelExpressions())
	}
	if !slices.Equal(config.TitlePlaceholders, transform.TitlePlaceholders()) {
		t.Errorf("config %q, transform %q", config.TitlePlaceholders, transform.TitlePlaceholders())
	}
}
