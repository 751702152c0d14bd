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
}

// Select applies the feed's filter and the channel's rules to the snapshot, in the snapshot's
// order, and returns the vehicles to write (pointers into the shared snapshot: read only) with
// diagnostics for the rest. Included is set to the number returned; a writer that leaves out
// more later must adjust it.
func Select(in Input, rules Rules) ([]*inventory.Vehicle, Diagnostics) {
	var d Diagnostics
	var vs []inventory.Vehicle
	if in.Snapshot != nil {
		vs = in.Snapshot.Vehicles
	}
	passed := make([]*inventory.Vehicle, 0, len(vs))
	for i := range vs {
		v := &vs[i]
		if ok, _ := in.Options.Filter.Match(v); !ok {
			d.Filtered++
			continue
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
		return r.Check(v, in)
	}
	return "", ""
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
