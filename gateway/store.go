package gateway

import (
	"context"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Store is the cache as the gateway uses it: snapshots per tenant and rendered outputs, both
// coalesced and layered behind it. cmd/feedgate adapts the cache package to it.
type Store interface {
	// Snapshot returns the tenant's snapshot to serve, syncing or refreshing as freshness
	// requires. When nothing can be served it returns an *inventory.Error with code
	// inventory.EUnavailable.
	Snapshot(ctx context.Context, tenant string) (*inventory.Snapshot, Lookup, error)
	// Output returns the output stored under key, calling render once (across concurrent
	// callers) on a miss and storing its result with the ETag and gzip bytes filled in.
	Output(ctx context.Context, key OutputKey, snap *inventory.Snapshot, render func() (Rendered, error)) (Rendered, Lookup, error)
	// Degraded reports that the shared layer (Redis) is unreachable and the store serves from
	// the process alone.
	Degraded() bool
}

// Outcome is how a cache answered a lookup.
type Outcome int

// Outcomes of a lookup.
const (
	// Hit is a fresh value from the cache.
	Hit Outcome = iota
	// Miss is a value computed now (synced or rendered) and stored.
	Miss
	// Stale is a value past its freshness, served while a refresh runs or upstream fails.
	Stale
)

// String is the outcome's metric label.
func (o Outcome) String() string {
	switch o {
	case Hit:
		return "hit"
	case Miss:
		return "miss"
	case Stale:
		return "stale"
	}
	return "unknown"
}

// Lookup describes one cache lookup.
type Lookup struct {
	Outcome Outcome
	// Layer is where a hit came from ("l1", "l2"), for logs.
	Layer string
}

// OutputKey names one rendered output. Everything that can change the bytes is in it, so an old
// output can never answer for a new snapshot or a new configuration.
type OutputKey struct {
	Tenant      string
	Feed        string
	Format      string
	Fingerprint string // hash of the feed's options, filter and dealer information
	Version     string // the snapshot's content version
}

// Rendered is one rendered feed output as stored. Stored outputs are shared: nobody may change
// the slices.
type Rendered struct {
	Body        []byte
	Gzip        []byte // Body gzip-compressed once at store time; nil if the store keeps none
	ETag        string // strong, from Body
	ContentType string
	ModifiedAt  time.Time
	// Meta is the render's diagnostics as JSON (transform.Diagnostics).
	Meta []byte
}

// Status is a tenant's cache state, for metrics.
type Status struct {
	Vehicles  int
	FetchedAt time.Time // zero when there is no snapshot
	// HeldBack reports a snapshot held back by the shrink guard.
	HeldBack bool
}

// Reporter is what the cache tells metrics, read at scrape time.
type Reporter interface {
	// Counters are the cache's event counts by name (e.g. "l1_hit", "sync", "sync_failure").
	Counters() map[string]uint64
	// Status is a tenant's cache state.
	Status(tenant string) Status
}
