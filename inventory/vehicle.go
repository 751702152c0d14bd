// Package inventory is feedgate's domain: the vehicles a dealership lists, the snapshot of a
// tenant's inventory at one moment, the dealer facts a feed needs, list queries and VIN checks.
//
// It imports nothing else of feedgate's. The JSON names of Vehicle's fields are the upstream
// Hrizn API's, and the wire views in wire.go reproduce the upstream's response shapes exactly,
// so the simulator, the client and the drop-in API all speak the same shapes from one place.
package inventory

import (
	"strconv"
	"strings"
	"time"
)

// Condition is a vehicle's condition as the upstream spells it: "new" or "used".
type Condition string

// The conditions the upstream knows.
const (
	New  Condition = "new"
	Used Condition = "used"
)

// Description statuses the upstream reports for a vehicle's AI description.
const (
	DescriptionCompleted    = "completed"
	DescriptionNotGenerated = "not_generated"
	DescriptionGenerating   = "generating"
	DescriptionFailed       = "failed"
)

// Vehicle is one vehicle of a dealer's inventory with every field the upstream documents across
// its list, details and feed responses. Optional numbers are pointers so that "absent" survives
// a round trip and is never mistaken for zero (a price of 0 would list a car for free).
type Vehicle struct {
	VIN           string    `json:"vin"`
	Year          int       `json:"year"`
	Make          string    `json:"make"`
	Model         string    `json:"model"`
	Trim          string    `json:"trim,omitempty"`
	Condition     Condition `json:"condition"`
	Price         *float64  `json:"price,omitempty"`
	MSRP          *float64  `json:"msrp,omitempty"`
	Mileage       *int      `json:"mileage,omitempty"`
	ExteriorColor string    `json:"exterior_color,omitempty"`
	InteriorColor string    `json:"interior_color,omitempty"`
	Engine        string    `json:"engine,omitempty"`
	Transmission  string    `json:"transmission,omitempty"`
	Drivetrain    string    `json:"drivetrain,omitempty"`
	FuelType      string    `json:"fuel_type,omitempty"`
	BodyStyle     string    `json:"body_style,omitempty"`
	Features      []string  `json:"features,omitempty"`
	ImageURL      string    `json:"image_url,omitempty"`
	Images        []string  `json:"images,omitempty"`
	AIDescription string    `json:"ai_description,omitempty"`
	// DescriptionStatus is one of the Description* constants; empty means unknown (a list or
	// feed sync does not report it), in which case HasDescription falls back to the text.
	DescriptionStatus string `json:"description_status,omitempty"`
	// DescriptionGeneratedAt is known only when the description endpoint was read; the
	// upstream's details response does not carry it.
	DescriptionGeneratedAt *time.Time `json:"description_generated_at,omitempty"`
	// HasDescriptionFlag is the list endpoint's has_description, kept for vehicles whose text
	// was never fetched (a list-only view).
	HasDescriptionFlag bool      `json:"has_description,omitempty"`
	CreatedAt          time.Time `json:"created_at,omitzero"`
	UpdatedAt          time.Time `json:"updated_at,omitzero"`
}

// HasDescription reports whether the vehicle has a completed AI description.
func (v *Vehicle) HasDescription() bool {
	return v.AIDescription != "" || v.DescriptionStatus == DescriptionCompleted || v.HasDescriptionFlag
}

// Title is the human title of a vehicle: year, make, model and trim.
func (v *Vehicle) Title() string {
	parts := make([]string, 0, 4)
	if v.Year > 0 {
		parts = append(parts, strconv.Itoa(v.Year))
	}
	for _, s := range []string{v.Make, v.Model, v.Trim} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// AllImages returns the vehicle's image URLs, main image first, without duplicates or blanks.
func (v *Vehicle) AllImages() []string {
	out := make([]string, 0, len(v.Images)+1)
	seen := make(map[string]bool, len(v.Images)+1)
	add := func(u string) {
		u = strings.TrimSpace(u)
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	add(v.ImageURL)
	for _, u := range v.Images {
		add(u)
	}
	return out
}

// Clone returns a deep copy, so that a caller may change it without touching a vehicle that a
// shared snapshot holds.
func (v *Vehicle) Clone() Vehicle {
	c := *v
	c.Price = clonePtr(v.Price)
	c.MSRP = clonePtr(v.MSRP)
	c.Mileage = clonePtr(v.Mileage)
	c.DescriptionGeneratedAt = clonePtr(v.DescriptionGeneratedAt)
	if v.Features != nil {
		c.Features = append([]string(nil), v.Features...)
	}
	if v.Images != nil {
		c.Images = append([]string(nil), v.Images...)
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Ptr returns a pointer to v; handy for the optional numeric fields.
func Ptr[T any](v T) *T { return &v }
