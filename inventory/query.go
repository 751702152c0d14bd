package inventory

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Query is the upstream list endpoint's filter: make and model match case-insensitively as
// substrings, year exactly, condition exactly. Zero values match everything.
type Query struct {
	Make      string
	Model     string
	Year      int
	Condition Condition
}

// Match reports whether v passes the query.
func (q Query) Match(v *Vehicle) bool {
	if q.Make != "" && !containsFold(v.Make, q.Make) {
		return false
	}
	if q.Model != "" && !containsFold(v.Model, q.Model) {
		return false
	}
	if q.Year != 0 && v.Year != q.Year {
		return false
	}
	if q.Condition != "" && !strings.EqualFold(string(v.Condition), string(q.Condition)) {
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Page is one page of a list walk.
type Page struct {
	Items      []Vehicle
	HasMore    bool
	NextCursor string // "" when HasMore is false
	TotalCount int    // vehicles matching the query, over all pages
}

// List answers a list request over vehicles sorted by VIN the way the upstream does: the
// matching vehicles after the cursor's VIN, at most limit of them. The cursor is keyset-based,
// so a walk sees every VIN exactly once even if vehicles come and go between pages. The items
// share memory with vs; callers must not change them.
func List(vs []Vehicle, q Query, cursor string, limit int) (Page, error) {
	after, err := DecodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	var p Page
	for i := range vs {
		v := &vs[i]
		if !q.Match(v) {
			continue
		}
		p.TotalCount++
		if after != "" && v.VIN <= after {
			continue
		}
		if len(p.Items) < limit {
			p.Items = append(p.Items, *v)
		} else {
			p.HasMore = true
		}
	}
	if p.HasMore && len(p.Items) > 0 {
		p.NextCursor = EncodeCursor(p.Items[len(p.Items)-1].VIN)
	}
	if p.Items == nil {
		p.Items = []Vehicle{}
	}
	return p, nil
}

// ErrBadCursor is returned for a cursor that is not one List produced.
var ErrBadCursor = errors.New("cursor is not a valid base64-encoded cursor from a previous response")

type cursorBody struct {
	VIN string `json:"vin"`
}

// EncodeCursor makes the upstream's cursor form: standard base64 of {"vin":"<last VIN>"}.
func EncodeCursor(lastVIN string) string {
	b, _ := json.Marshal(cursorBody{VIN: lastVIN})
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeCursor returns the VIN a cursor points after; "" for an empty cursor.
func DecodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		// Cursors travel in URLs; accept the URL-safe alphabet and missing padding too.
		raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(cursor, "="))
		if err != nil {
			return "", ErrBadCursor
		}
	}
	var c cursorBody
	if err := json.Unmarshal(raw, &c); err != nil || c.VIN == "" {
		return "", ErrBadCursor
	}
	return c.VIN, nil
}

// FeedFilter narrows a feed to part of the inventory; it comes from a feed's configuration.
// Zero values match everything.
type FeedFilter struct {
	Condition          Condition // new or used
	Makes              []string  // case-insensitive exact makes; empty = any
	YearMin, YearMax   int       // inclusive bounds; 0 = open
	RequirePrice       bool
	RequireImage       bool
	RequireDescription bool
}

// Filter reasons, stable strings used in diagnostics and status.
const (
	ReasonFilteredCondition   = "filtered_condition"
	ReasonFilteredMake        = "filtered_make"
	ReasonFilteredYear        = "filtered_year"
	ReasonMissingPrice        = "missing_price"
	ReasonMissingImage        = "missing_image"
	ReasonMissingDescription  = "missing_description"
	ReasonInvalidVIN          = "invalid_vin"
	ReasonDuplicateVIN        = "duplicate_vin"
	ReasonMissingMileage      = "missing_mileage"
	ReasonMissingField        = "missing_field"
	ReasonNewVehicleHighMiles = "new_vehicle_high_mileage"
)

// Match reports whether v passes the filter and, if not, the first reason it fails.
func (f FeedFilter) Match(v *Vehicle) (ok bool, reason string) {
	if f.Condition != "" && !strings.EqualFold(string(v.Condition), string(f.Condition)) {
		return false, ReasonFilteredCondition
	}
	if len(f.Makes) > 0 {
		found := false
		for _, m := range f.Makes {
			if strings.EqualFold(strings.TrimSpace(v.Make), strings.TrimSpace(m)) {
				found = true
				break
			}
		}
		if !found {
			return false, ReasonFilteredMake
		}
	}
	if (f.YearMin != 0 && v.Year < f.YearMin) || (f.YearMax != 0 && v.Year > f.YearMax) {
		return false, ReasonFilteredYear
	}
	if f.RequirePrice && (v.Price == nil || *v.Price <= 0) {
		return false, ReasonMissingPrice
	}
	if f.RequireImage && len(v.AllImages()) == 0 {
		return false, ReasonMissingImage
	}
	if f.RequireDescription && strings.TrimSpace(v.AIDescription) == "" {
		return false, ReasonMissingDescription
	}
	return true, ""
}

// Stats is the upstream's inventory summary.
type Stats struct {
	TotalVehicles          int `json:"total_vehicles"`
	WithAIDescription      int `json:"with_ai_description"`
	WithoutAIDescription   int `json:"without_ai_description"`
	NewVehicles            int `json:"new_vehicles"`
	UsedVehicles           int `json:"used_vehicles"`
	DescriptionCoveragePct int `json:"description_coverage_pct"`
}

// ComputeStats summarises vehicles the way the upstream's stats endpoint does. The coverage
// percentage is rounded to the nearest whole number (156 vehicles with 142 described give 91).
func ComputeStats(vs []Vehicle) Stats {
	var s Stats
	for i := range vs {
		v := &vs[i]
		s.TotalVehicles++
		if v.HasDescription() {
			s.WithAIDescription++
		} else {
			s.WithoutAIDescription++
		}
		switch Condition(strings.ToLower(string(v.Condition))) {
		case New:
			s.NewVehicles++
		case Used:
			s.UsedVehicles++
		}
	}
	if s.TotalVehicles > 0 {
		s.DescriptionCoveragePct = (s.WithAIDescription*100 + s.TotalVehicles/2) / s.TotalVehicles
	}
	return s
}
