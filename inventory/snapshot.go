package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"
)

// Snapshot is a tenant's whole inventory as one sync saw it. A snapshot is immutable once built:
// it is shared by every request that reads it, so nobody may change its vehicles in place
// (use Vehicle.Clone to derive a changed copy and build a new snapshot).
type Snapshot struct {
	Tenant string `json:"tenant"`
	// Vehicles are sorted by VIN, the order the upstream's cursor pagination walks.
	Vehicles []Vehicle `json:"vehicles"`
	// FetchedAt is when the sync that produced this content finished; freshness counts from it.
	FetchedAt time.Time `json:"fetched_at"`
	// ModifiedAt is when the content last changed: a re-sync that finds the same vehicles keeps
	// the earlier time, so Last-Modified and ETag stay put. Renderers take their times from it,
	// never from the clock, so every replica renders the same bytes.
	ModifiedAt time.Time `json:"modified_at"`
	// Version identifies the content (a hash of the vehicles); outputs are keyed by it.
	Version string `json:"version"`
	// Source names the sync strategy that produced the snapshot ("full", "feed", ...).
	Source string `json:"source,omitempty"`
}

// NewSnapshot sorts the vehicles by VIN, computes the content version and returns the snapshot.
// It takes ownership of the slice.
func NewSnapshot(tenant string, vehicles []Vehicle, fetchedAt time.Time, source string) *Snapshot {
	SortByVIN(vehicles)
	fetchedAt = fetchedAt.UTC()
	return &Snapshot{
		Tenant:     tenant,
		Vehicles:   vehicles,
		FetchedAt:  fetchedAt,
		ModifiedAt: fetchedAt,
		Version:    ContentVersion(vehicles),
		Source:     source,
	}
}

// SortByVIN orders vehicles by VIN, ties (duplicate VINs) keeping their order.
func SortByVIN(vs []Vehicle) {
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].VIN < vs[j].VIN })
}

// ContentVersion is a stable hash of the vehicles' content: 32 hex characters.
func ContentVersion(vs []Vehicle) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for i := range vs {
		// Encoding a Vehicle cannot fail: it holds only strings, numbers, times and slices.
		_ = enc.Encode(&vs[i])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Len is the number of vehicles; a nil snapshot has none.
func (s *Snapshot) Len() int {
	if s == nil {
		return 0
	}
	return len(s.Vehicles)
}

// Find returns the vehicle with the VIN (case-insensitive), or false.
func (s *Snapshot) Find(vin string) (*Vehicle, bool) {
	if s == nil {
		return nil, false
	}
	vin = NormalizeVIN(vin)
	i := sort.Search(len(s.Vehicles), func(i int) bool { return s.Vehicles[i].VIN >= vin })
	if i < len(s.Vehicles) && s.Vehicles[i].VIN == vin {
		return &s.Vehicles[i], true
	}
	// A snapshot built from hand-made data may hold lower-case VINs; fall back to a scan.
	for i := range s.Vehicles {
		if NormalizeVIN(s.Vehicles[i].VIN) == vin {
			return &s.Vehicles[i], true
		}
	}
	return nil, false
}

// Age is how long ago the snapshot was fetched, as seen at now.
func (s *Snapshot) Age(now time.Time) time.Duration {
	return now.Sub(s.FetchedAt)
}
