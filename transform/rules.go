package transform

import (
	"fmt"
	"math"
	"strconv"

	"github.com/feedgate/feedgate/inventory"
)

// This file holds the machinery of the channels' rule tables. Each ad channel (Google vehicle
// ads, Google vehicle listings, Meta) has one table in its own file: every row is one rule
// with the spec page it comes from. A row either excludes the vehicle (only where the
// platform's published spec says it rejects such an item) or warns (where the spec merely
// recommends). A car left out of a feed is a car delisted, so no row may be stricter than its
// spec.

// ReasonOutOfRange is the exclusion reason for a value no real listing has: a price of 0.001 or
// of 21 digits, a negative or seven-digit mileage. Sending it would list the car at an absurd
// price, so it is left out with the value in the detail.
const ReasonOutOfRange = "out_of_range"

// The spec pages the rule rows cite.
const (
	specAdsFeed       = "https://support.google.com/merchants/answer/11192663"  // vehicle ads primary feed
	specAdsAPI        = "https://support.google.com/merchants/answer/11190480"  // vehicle ads attribute table
	specAdsLinkTmpl   = "https://support.google.com/merchants/answer/13871172"  // link_template
	specAdsVIN        = "https://support.google.com/merchants/answer/14154510"  // VIN
	specAdsMileage    = "https://support.google.com/merchants/answer/14156166"  // mileage
	specAdsCPO        = "https://support.google.com/merchants/answer/14156475"  // certified_pre-owned
	specAdsBodyStyle  = "https://support.google.com/merchants/answer/14157085"  // body_style
	specAdsAllInPrice = "https://support.google.com/merchants/answer/14156981"  // vehicle_all_in_price (CA)
	specAdsPriceType  = "https://support.google.com/google-ads/answer/14592783" // vehicle_price_type (AU, CA)
	specListings      = "https://developers.google.com/vehicle-listings/reference/feed-specification"
	specMetaReference = "https://developers.facebook.com/docs/marketing-api/auto-ads/reference"
	specMetaCatalog   = "https://developers.facebook.com/docs/marketing-api/dynamic-ads-auto/auto-catalog/"
)

// Sane ranges. They are not platform rules but the bounds of real listings in any currency: the
// dearest cars cost a few million dollars (about 10^10 in the currencies with the smallest
// units), and no road car has run two million miles or kilometres.
const (
	minSanePrice   = 1
	maxSanePrice   = 1e11
	maxSaneMileage = 2_000_000
)

// ruleAction is what a failed rule does.
type ruleAction uint8

const (
	ruleExclude ruleAction = iota + 1 // leave the vehicle out, with a reason
	ruleWarn                          // send it, with a warning
)

// rule is one row of a channel's rule table.
type rule struct {
	field  string // the channel's attribute the rule is about
	action ruleAction
	reason string // the exclusion reason (inventory.Reason* or ReasonOutOfRange); "" for a warning
	spec   string // the spec page the row comes from
	// test returns "" when the vehicle passes, else the diagnostic's detail.
	test func(v *inventory.Vehicle, in Input) string
}

// applyExclusions returns the reason and detail of the first excluding row v fails, or "".
func applyExclusions(table []rule, v *inventory.Vehicle, in Input) (string, string) {
	for i := range table {
		r := &table[i]
		if r.action != ruleExclude {
			continue
		}
		if detail := r.test(v, in); detail != "" {
			return r.reason, detail
		}
	}
	return "", ""
}

// applyWarnings records a warning for every warning row an included vehicle fails.
func applyWarnings(table []rule, v *inventory.Vehicle, in Input, d *Diagnostics) {
	for i := range table {
		r := &table[i]
		if r.action != ruleWarn {
			continue
		}
		if detail := r.test(v, in); detail != "" {
			d.Warn(v.VIN, r.field, "%s", detail)
		}
	}
}

// dealerRow excludes every vehicle while the dealer's configuration lacks what the channel
// requires; problems is computed once per render by the channel's dealerProblems.
func dealerRow(field, spec string, problems []string) rule {
	detail := ""
	if len(problems) > 0 {
		detail = problems[0]
	}
	return rule{field: field, action: ruleExclude, reason: inventory.ReasonMissingField, spec: spec,
		test: func(*inventory.Vehicle, Input) string { return detail }}
}

// priceRows require a finite price within the sane range.
func priceRows(spec string) []rule {
	return []rule{
		{field: "price", action: ruleExclude, reason: inventory.ReasonMissingPrice, spec: spec,
			test: func(v *inventory.Vehicle, _ Input) string {
				switch {
				case v.Price == nil || *v.Price == 0:
					return "no price"
				case math.IsNaN(*v.Price) || math.IsInf(*v.Price, 0):
					return "price is not a finite number"
				}
				return ""
			}},
		{field: "price", action: ruleExclude, reason: ReasonOutOfRange, spec: spec,
			test: func(v *inventory.Vehicle, _ Input) string {
				if p := *v.Price; p < minSanePrice || p > maxSanePrice {
					return "price " + strconv.FormatFloat(p, 'g', 6, 64) + " is outside any real listing's range"
				}
				return ""
			}},
	}
}

// usedMileageRow requires mileage of a used vehicle; Google lets a new one go without.
func usedMileageRow(spec string) rule {
	return rule{field: "mileage", action: ruleExclude, reason: inventory.ReasonMissingMileage, spec: spec,
		test: func(v *inventory.Vehicle, _ Input) string {
			if v.Mileage == nil && conditionOf(v.Condition) != condNew {
				return "no mileage: Google requires mileage for used vehicles"
			}
			return ""
		}}
}

// mileageRangeRow excludes a negative or absurd mileage (a missing one is each channel's rule).
func mileageRangeRow(spec string) rule {
	return rule{field: "mileage", action: ruleExclude, reason: ReasonOutOfRange, spec: spec,
		test: func(v *inventory.Vehicle, _ Input) string {
			if v.Mileage != nil && (*v.Mileage < 0 || *v.Mileage > maxSaneMileage) {
				return fmt.Sprintf("mileage %d is outside any real vehicle's range", *v.Mileage)
			}
			return ""
		}}
}

// identityRows require what names a vehicle on every ad channel: a condition that maps to new
// or used, a four-digit year, a make and a model.
func identityRows(spec string) []rule {
	return []rule{
		{field: "condition", action: ruleExclude, reason: inventory.ReasonMissingField, spec: spec,
			test: func(v *inventory.Vehicle, _ Input) string {
				if conditionOf(v.Condition) == condUnknown {
					return "condition " + strconv.Quote(string(v.Condition)) + " is neither new nor used"
				}
				return ""
			}},
		{field: "year", action: ruleExclude, reason: inventory.ReasonMissingField, spec: spec,
			test: func(v *inventory.Vehicle, _ Input) string {
				if v.Year < 1000 || v.Year > 9999 {
					return "year " + strconv.Itoa(v.Year) + " is not four digits"
				}
				return ""
			}},
		{field: "make", action: ruleExclude, reason: inventory.ReasonMissingField, spec: spec,
			test: func(v *inventory.Vehicle, _ Input) string { return blankDetail(v.Make, "no make") }},
		{field: "model", action: ruleExclude, reason: inventory.ReasonMissingField, spec: spec,
			test: func(v *inventory.Vehicle, _ Input) string { return blankDetail(v.Model, "no model") }},
	}
}

// imageRow tests for an http(s) image: an exclusion where the channel requires one, a warning
// where it only recommends one.
func imageRow(action ruleAction, spec, field string) rule {
	r := rule{field: field, action: action, spec: spec,
		test: func(v *inventory.Vehicle, _ Input) string {
			if !hasWebImage(v) {
				return "no http(s) image URL"
			}
			return ""
		}}
	if action == ruleExclude {
		r.reason = inventory.ReasonMissingImage
	}
	return r
}

// vdpRow tests for the vehicle's page from the dealer's vdp_url.
func vdpRow(action ruleAction, spec, field string) rule {
	r := rule{field: field, action: action, spec: spec,
		test: func(v *inventory.Vehicle, in Input) string {
			if vehicleLink(in.Dealer, inventory.NormalizeVIN(v.VIN)) == "" {
				return "no http(s) vehicle page: set dealer.vdp_url"
			}
			return ""
		}}
	if action == ruleExclude {
		r.reason = inventory.ReasonMissingField
	}
	return r
}

func blankDetail(s, detail string) string {
	if attrText(s) == "" {
		return detail
	}
	return ""
}

// dealerChecker is implemented by the formats whose output depends on the dealer's
// configuration.
type dealerChecker interface {
	dealerProblems(d inventory.Dealer, o Options) []string
}

// DealerProblems says what a feed's dealer configuration lacks for format w, one message per
// problem, each starting with the configuration key ("dealer.store_code: ..."). While it is not
// empty the format leaves every vehicle out, so `feedgate check` and the gateway use it to
// refuse such a feed instead of serving it empty.
func DealerProblems(w Writer, d inventory.Dealer, o Options) []string {
	if c, ok := w.(dealerChecker); ok {
		return c.dealerProblems(d, o)
	}
	return nil
}
