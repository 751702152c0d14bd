package transform

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/feedgate/feedgate/inventory"
)

// This file holds the feed settings a dealer tunes per feed, as the ad platforms allow: link
// parameters (UTM), custom labels, a title pattern, and a VIN exclude list and price bounds
// that narrow the feed.

// MaxCustomLabels is how many custom labels Google (custom_label_0..4) and Meta take.
const MaxCustomLabels = 5

// googleMaxCustomLabel is Google's limit on one custom label's text.
const googleMaxCustomLabel = 100

// The custom label expressions a feed may name in Options.CustomLabels.
const (
	LabelDaysInStock = "days_in_stock" // days since created_at, in bands: 0-15, 16-30, 31-60, 61-90, 91+
	LabelPriceBand   = "price_band"    // the price in bands: 0-10000, 10000-20000, ..., 75000+
	LabelCondition   = "condition"     // new, used or certified
	LabelMake        = "make"          // the make as the dealer spells it
)

// CustomLabelExpressions lists the expressions a custom label may use.
func CustomLabelExpressions() []string {
	return []string{LabelDaysInStock, LabelPriceBand, LabelCondition, LabelMake}
}

// TitlePlaceholders lists the placeholders Options.TitlePattern may use.
func TitlePlaceholders() []string {
	return []string{"{year}", "{make}", "{model}", "{trim}", "{condition}", "{color}", "{body_style}"}
}

// customLabels are a vehicle's custom_label_0..4 values; an unset or unknown expression, or one
// without data (no created_at, no price), gives "".
func customLabels(v *inventory.Vehicle, in Input) []string {
	exprs := in.Options.CustomLabels
	if len(exprs) == 0 {
		return nil
	}
	out := make([]string, min(len(exprs), MaxCustomLabels))
	for i := range out {
		var s string
		switch exprs[i] {
		case LabelDaysInStock:
			s = daysInStockBand(v, in)
		case LabelPriceBand:
			if v.Price != nil {
				s = priceBand(*v.Price)
			}
		case LabelCondition:
			s = [...]string{"", "new", "used", "certified"}[conditionOf(v.Condition)]
		case LabelMake:
			s = attrText(v.Make)
		}
		out[i], _ = Truncate(s, googleMaxCustomLabel)
	}
	return out
}

// daysInStockBand counts from the vehicle's created_at to the snapshot's fetch time (never the
// clock, so a render stays deterministic), in bands so the label changes a few times in a
// car's life rather than every day.
func daysInStockBand(v *inventory.Vehicle, in Input) string {
	if v.CreatedAt.IsZero() || in.Snapshot == nil || in.Snapshot.FetchedAt.IsZero() {
		return ""
	}
	days := int(in.Snapshot.FetchedAt.Sub(v.CreatedAt) / (24 * time.Hour))
	switch {
	case days <= 15:
		return "0-15"
	case days <= 30:
		return "16-30"
	case days <= 60:
		return "31-60"
	case days <= 90:
		return "61-90"
	}
	return "91+"
}

// priceBands are the lower bounds of the price bands, in the feed's currency.
var priceBands = []float64{0, 10000, 20000, 30000, 50000, 75000}

func priceBand(p float64) string {
	for i := len(priceBands) - 1; i >= 0; i-- {
		if p >= priceBands[i] {
			if i == len(priceBands)-1 {
				return Whole(priceBands[i]) + "+"
			}
			return Whole(priceBands[i]) + "-" + Whole(priceBands[i+1])
		}
	}
	return ""
}

// vehicleTitle is the item title: the feed's title pattern with its placeholders filled, else
// (or when the pattern yields nothing) year, make, model and trim.
func vehicleTitle(v *inventory.Vehicle, o Options) string {
	if o.TitlePattern == "" {
		return attrText(v.Title())
	}
	cond := [...]string{"", "New", "Used", "Certified Pre-Owned"}[conditionOf(v.Condition)]
	year := ""
	if v.Year > 0 {
		year = strconv.Itoa(v.Year)
	}
	r := strings.NewReplacer("{year}", year, "{make}", v.Make, "{model}", v.Model, "{trim}", v.Trim,
		"{condition}", cond, "{color}", v.ExteriorColor, "{body_style}", v.BodyStyle)
	if t := attrText(r.Replace(o.TitlePattern)); strings.ContainsFunc(t, isAlnum) {
		return t
	}
	return attrText(v.Title())
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// withLinkParams adds the feed's link parameters (UTM) to a vehicle link; "" stays "".
func withLinkParams(link string, o Options) string {
	if link == "" || o.LinkParams == "" {
		return link
	}
	return addQueryParam(link, o.LinkParams)
}

// tuningFilter is the part of a feed's filter that lives in Options: VINs to leave out and
// price bounds. A vehicle it drops is counted as Filtered.
type tuningFilter struct {
	vins     map[string]bool
	min, max float64
}

func newTuningFilter(o Options) *tuningFilter {
	if len(o.ExcludeVINs) == 0 && o.PriceMin == 0 && o.PriceMax == 0 {
		return nil
	}
	f := &tuningFilter{min: o.PriceMin, max: o.PriceMax}
	if len(o.ExcludeVINs) > 0 {
		f.vins = make(map[string]bool, len(o.ExcludeVINs))
		for _, vin := range o.ExcludeVINs {
			f.vins[inventory.NormalizeVIN(vin)] = true
		}
	}
	return f
}

// keeps reports whether v passes; a nil filter keeps everything. With a price bound set, a
// vehicle without a price is left out: it is in no price range.
func (f *tuningFilter) keeps(v *inventory.Vehicle) bool {
	switch {
	case f == nil:
		return true
	case f.vins[inventory.NormalizeVIN(v.VIN)]:
		return false
	case f.min == 0 && f.max == 0:
		return true
	case v.Price == nil:
		return false
	}
	return (f.min == 0 || *v.Price >= f.min) && (f.max == 0 || *v.Price <= f.max)
}
