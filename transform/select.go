package transform

import (
	"fmt"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// Rules are what a channel demands of a vehicle before it can list it.
type Rules struct {
	RequirePrice bool // a positive price
	RequireImage bool // at least one image URL
	RequireVIN17 bool // a 17-character VIN with a correct check digit
	// UniqueVIN leaves out every copy of a VIN that appears more than once, as Google and Meta
	// reject all copies of a duplicate; without it every copy is kept.
	UniqueVIN bool
	// Check is the channel's own test; it returns a reason (and detail) to exclude, or "".
	Check func(v *inventory.Vehicle, in Input) (reason, detail string)
	// table is a built-in channel's rule table (rules.go): its excluding rows run after the
	// tests above, its warning rows on every vehicle kept.
	table []rule
}

// Select applies the feed's filter and the channel's rules to the snapshot, in the snapshot's
// order, and returns the vehicles to write (pointers into the shared snapshot: read only; a
// vehicle with an absurdly long value is a bounded copy, see bounded) with diagnostics for the
// rest. Included is set to the number returned; a writer that leaves out
// more later must adjust it.
func Select(in Input, rules Rules) ([]*inventory.Vehicle, Diagnostics) {
	var d Diagnostics
	var vs []inventory.Vehicle
	if in.Snapshot != nil {
		vs = in.Snapshot.Vehicles
	}
	passed := make([]*inventory.Vehicle, 0, len(vs))
	tuning := newTuningFilter(in.Options)
	for i := range vs {
		v := &vs[i]
		if ok, _ := in.Options.Filter.Match(v); !ok || !tuning.keeps(v) {
			d.Filtered++
			continue
		}
		if b, cut := bounded(v, &d); cut {
			v = b
		}
		passed = append(passed, v)
	}
	var dup map[string]int
	if rules.UniqueVIN {
		dup = make(map[string]int, len(passed))
		for _, v := range passed {
			dup[inventory.NormalizeVIN(v.VIN)]++
		}
	}
	out := passed[:0]
	for _, v := range passed {
		if reason, detail := rules.check(v, in, dup); reason != "" {
			d.Excluded = append(d.Excluded, Exclusion{VIN: v.VIN, Reason: reason, Detail: detail})
			continue
		}
		applyWarnings(rules.table, v, in, &d)
		out = append(out, v)
	}
	d.Included = len(out)
	return out, d
}

func (r Rules) check(v *inventory.Vehicle, in Input, dup map[string]int) (string, string) {
	if dup != nil && dup[inventory.NormalizeVIN(v.VIN)] > 1 {
		return inventory.ReasonDuplicateVIN, fmt.Sprintf("VIN appears %d times", dup[inventory.NormalizeVIN(v.VIN)])
	}
	if r.RequireVIN17 {
		if err := inventory.CheckVIN17(inventory.NormalizeVIN(v.VIN)); err != nil {
			return inventory.ReasonInvalidVIN, err.Error()
		}
	}
	if r.RequirePrice && (v.Price == nil || *v.Price <= 0) {
		return inventory.ReasonMissingPrice, "no price"
	}
	if r.RequireImage && !hasImage(v) {
		return inventory.ReasonMissingImage, "no image URL"
	}
	if r.Check != nil {
		if reason, detail := r.Check(v, in); reason != "" {
			return reason, detail
		}
	}
	return applyExclusions(r.table, v, in)
}

// hasImage reports whether v.AllImages() would be non-empty, without building the list.
func hasImage(v *inventory.Vehicle) bool {
	if strings.TrimSpace(v.ImageURL) != "" {
		return true
	}
	for _, u := range v.Images {
		if strings.TrimSpace(u) != "" {
			return true
		}
	}
	return false
}

// Length bounds applied to every format: no channel or reader takes a 10 MB description, and a
// value that size copied into every format would swell every feed. Channels cut further to
// their own limits.
const (
	maxBoundDescription = 20_000 // characters
	maxBoundText        = 1_000  // characters of any other text field
	maxBoundList        = 200    // features or images
	maxBoundURL         = 2_048  // bytes of one image URL
)

// bounded returns a copy of v with over-long values cut (descriptions at a word boundary) and
// over-long lists shortened, recording a warning for each, and whether it cut anything; v itself
// is shared and never changed. Most vehicles are within bounds and cost a few length tests.
func bounded(v *inventory.Vehicle, d *Diagnostics) (*inventory.Vehicle, bool) {
	if withinBounds(v) {
		return v, false
	}
	c := v.Clone()
	if s, cut := Truncate(c.AIDescription, maxBoundDescription); cut {
		c.AIDescription = s
		d.Warn(v.VIN, "description", "shortened at a word boundary to %d characters", maxBoundDescription)
	}
	for _, f := range boundedFields(&c) {
		if s, cut := Truncate(*f.value, maxBoundText); cut {
			*f.value = s
			d.Warn(v.VIN, f.name, "shortened to %d characters", maxBoundText)
		}
	}
	c.Features = boundList(d, v.VIN, "features", c.Features, maxBoundText)
	c.Images = boundList(d, v.VIN, "images", c.Images, 0)
	if len(c.ImageURL) > maxBoundURL {
		c.ImageURL = ""
		d.Warn(v.VIN, "image_url", "dropped: longer than %d bytes", maxBoundURL)
	}
	return &c, true
}

type boundedField struct {
	name  string
	value *string
}

// boundedFields are the short text fields of v that bounded cuts to maxBoundText.
func boundedFields(v *inventory.Vehicle) []boundedField {
	return []boundedField{
		{"make", &v.Make}, {"model", &v.Model}, {"trim", &v.Trim},
		{"exterior_color", &v.ExteriorColor}, {"interior_color", &v.InteriorColor}, {"engine", &v.Engine},
		{"transmission", &v.Transmission}, {"drivetrain", &v.Drivetrain}, {"fuel_type", &v.FuelType},
		{"body_style", &v.BodyStyle},
	}
}

// withinBounds reports, by byte lengths alone, that bounded has nothing to cut.
func withinBounds(v *inventory.Vehicle) bool {
	if len(v.AIDescription) > maxBoundDescription || len(v.ImageURL) > maxBoundURL ||
		len(v.Features) > maxBoundList || len(v.Images) > maxBoundList {
		return false
	}
	for _, s := range [...]string{v.Make, v.Model, v.Trim, v.ExteriorColor, v.InteriorColor, v.Engine,
		v.Transmission, v.Drivetrain, v.FuelType, v.BodyStyle} {
		if len(s) > maxBoundText {
			return false
		}
	}
	for _, s := range v.Features {
		if len(s) > maxBoundText {
			return false
		}
	}
	for _, s := range v.Images {
		if len(s) > maxBoundURL {
			return false
		}
	}
	return true
}

// boundList keeps at most maxBoundList items; with maxText > 0 each item is cut to maxText
// characters, else (URLs) an item over maxBoundURL bytes is dropped.
func boundList(d *Diagnostics, vin, field string, items []string, maxText int) []string {
	if len(items) > maxBoundList {
		d.Warn(vin, field, "%d dropped: at most %d are kept", len(items)-maxBoundList, maxBoundList)
		items = items[:maxBoundList]
	}
	out := items[:0:0]
	for _, s := range items {
		switch {
		case maxText > 0:
			if cut, ok := Truncate(s, maxText); ok {
				d.Warn(vin, field, "an item shortened to %d characters", maxText)
				s = cut
			}
		case len(s) > maxBoundURL:
			d.Warn(vin, field, "an image URL longer than %d bytes dropped", maxBoundURL)
			continue
		}
		out = append(out, s)
	}
	return out
}
