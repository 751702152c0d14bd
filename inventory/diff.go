package inventory

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Changes is what changed between two snapshots of one tenant's inventory. Vehicles are matched
// by normalized VIN (trimmed, upper-case), and every list is sorted by it.
type Changes struct {
	// Added are the VINs in the new snapshot only.
	Added []string `json:"added"`
	// Removed are the VINs in the old snapshot only: sold, or taken off the lot.
	Removed []string `json:"removed"`
	// PriceChanges are the vehicles in both whose price differs, including one that gained or
	// lost its price.
	PriceChanges []PriceChange `json:"price_changes"`
	// OtherChanged counts the vehicles in both with a change in any field other than the price
	// (a vehicle whose price and mileage both changed is counted here and listed above).
	OtherChanged int `json:"other_changed"`
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.PriceChanges) == 0 && c.OtherChanged == 0
}

// PriceChange is one vehicle's price before and after; either may be nil (no price listed).
type PriceChange struct {
	VIN string   `json:"vin"`
	Old *float64 `json:"old"`
	New *float64 `json:"new"`
}

// Drop reports whether the price went down from one listed price to another.
func (p PriceChange) Drop() bool {
	return p.Old != nil && p.New != nil && *p.New < *p.Old
}

// Diff compares the snapshot in service (prev; nil when there was none, so every vehicle counts
// as added) with the next one. A VIN that appears more than once in a snapshot is compared by its
// first vehicle, as Snapshot.Find would return it; a vehicle with a blank VIN cannot be matched
// and is left out. A change of the VIN's letter case alone is no change.
func Diff(prev, next *Snapshot) Changes {
	c := Changes{Added: []string{}, Removed: []string{}, PriceChanges: []PriceChange{}}
	if prev != nil && next != nil && prev.Version != "" && prev.Version == next.Version {
		return c // the version is a hash of the vehicles: same content, nothing to compare
	}
	before := byVIN(prev)
	after := byVIN(next)
	for vin, n := range after {
		p, ok := before[vin]
		if !ok {
			c.Added = append(c.Added, vin)
			continue
		}
		if !samePrice(p.Price, n.Price) {
			c.PriceChanges = append(c.PriceChanges, PriceChange{VIN: vin, Old: clonePtr(p.Price), New: clonePtr(n.Price)})
		}
		if !sameExceptPrice(p, n) {
			c.OtherChanged++
		}
	}
	for vin := range before {
		if _, ok := after[vin]; !ok {
			c.Removed = append(c.Removed, vin)
		}
	}
	slices.Sort(c.Added)
	slices.Sort(c.Removed)
	slices.SortFunc(c.PriceChanges, func(a, b PriceChange) int { return strings.Compare(a.VIN, b.VIN) })
	return c
}

// byVIN indexes a snapshot's vehicles by normalized VIN, keeping the first of duplicates.
func byVIN(s *Snapshot) map[string]*Vehicle {
	m := make(map[string]*Vehicle, s.Len())
	if s == nil {
		return m
	}
	for i := range s.Vehicles {
		vin := NormalizeVIN(s.Vehicles[i].VIN)
		if _, dup := m[vin]; vin != "" && !dup {
			m[vin] = &s.Vehicles[i]
		}
	}
	return m
}

func samePrice(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b || math.IsNaN(*a) && math.IsNaN(*b)
}

// sameExceptPrice compares every field but the price (and the VIN's case). A field added to
// Vehicle must be added here; TestDiffSeesEveryField fails until it is.
func sameExceptPrice(a, b *Vehicle) bool {
	return a.Year == b.Year && a.Make == b.Make && a.Model == b.Model && a.Trim == b.Trim &&
		a.Condition == b.Condition && samePrice(a.MSRP, b.MSRP) && samePtr(a.Mileage, b.Mileage) &&
		a.ExteriorColor == b.ExteriorColor && a.InteriorColor == b.InteriorColor &&
		a.Engine == b.Engine && a.Transmission == b.Transmission && a.Drivetrain == b.Drivetrain &&
		a.FuelType == b.FuelType && a.BodyStyle == b.BodyStyle &&
		slices.Equal(a.Features, b.Features) && a.ImageURL == b.ImageURL && slices.Equal(a.Images, b.Images) &&
		a.AIDescription == b.AIDescription && a.DescriptionStatus == b.DescriptionStatus &&
		sameTime(a.DescriptionGeneratedAt, b.DescriptionGeneratedAt) &&
		a.HasDescriptionFlag == b.HasDescriptionFlag &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func samePtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
