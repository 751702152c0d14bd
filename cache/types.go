package cache

import (
	"context"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Syncer fetches a tenant's whole inventory from upstream. prev is the last good snapshot (nil on
// a cold start), for strategies that only fetch what changed; it must not be modified.
type Syncer interface {
	Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error)
}

// SyncFunc adapts a function to Syncer.
type SyncFunc func(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error)

// Sync calls f.
func (f SyncFunc) Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error) {
	return f(ctx, tenant, prev)
}

// Outcome says how a read was answered, in the terms of RFC 9211 Cache-Status.
type Outcome uint8

// The outcomes of a read.
const (
	// Hit is a fresh cached value.
	Hit Outcome = iota + 1
	// Stale is a cached value past fresh_for, served while a refresh runs (or upstream is down).
	Stale
	// Miss had to be loaded: synced from upstream, rendered, or read from Redis after a sync that
	// another caller or replica ran.
	Miss
)

// String is the outcome's lower-case name, as Cache-Status and metrics labels spell it.
func (o Outcome) String() string {
	switch o {
	case Hit:
		return "hit"
	case Stale:
		return "stale"
	case Miss:
		return "miss"
	}
	return "unknown"
}

// Layer says where a value came from.
type Layer uint8

// The layers a value can come from.
const (
	// LayerMemory is the in-process L1.
	LayerMemory Layer = iota + 1
	// LayerRedis is the shared L2.
	LayerRedis
	// LayerOrigin is a sync from upstream or a fresh render.
	LayerOrigin
)

// String is the layer's lower-case name, for metrics labels and logs.
func (l Layer) String() string {
	switch l {
	case LayerMemory:
		return "memory"
	case LayerRedis:
		return "redis"
	case LayerOrigin:
		return "origin"
	}
	return "unknown"
}

// Result describes how a read was answered, for Cache-Status, Age and metrics.
type Result struct {
	Outcome Outcome
	Layer   Layer
	// Age is how long ago the snapshot was fetched.
	Age time.Duration
	// TTL is the freshness left: negative for a stale serve (Cache-Status "ttl=-42").
	TTL time.Duration
	// Coalesced is true when the caller waited for a load another caller started.
	Coalesced bool
}

// OutputKey names a rendered output. The snapshot version completes the key, so a new snapshot
// makes every older output unreachable without a purge.
type OutputKey struct {
	Tenant string
	Feed   string
	// Format names the format and the version of its rendering code or template, e.g.
	// "google-vehicle-ads@3"; bump it when the same snapshot would render differently.
	Format string
	// Variant distinguishes renders of one format with different settings (a hash of the
	// feed's options, filter and dealer details), so a changed configuration renders anew.
	Variant string
}

// Rendered is a rendered feed, stored once and shared by every caller: nobody may modify it.
type Rendered struct {
	Body []byte
	// Gzip is Body gzip-compressed once at store time.
	Gzip []byte
	// ETag is strong, from Body (StrongETag); a caller serving Gzip may derive its own variant.
	ETag        string
	ContentType string
	// ModifiedAt is the snapshot's ModifiedAt, for Last-Modified.
	ModifiedAt time.Time
	// Meta is opaque to the cache: the caller's render diagnostics, stored alongside.
	Meta []byte
}

// Counters are cumulative event counts since the Cache was made, for metrics.
type Counters struct {
	HitsMemory       uint64 // snapshot reads answered fresh from L1
	HitsRedis        uint64 // snapshot loads answered from Redis
	Misses           uint64 // snapshot reads that had to wait for a load
	StaleServes      uint64 // snapshot reads answered with a stale copy
	CoalescedWaits   uint64 // reads that joined a load or render another caller started
	LockWaits        uint64 // loads that found another replica holding the sync lock
	Syncs            uint64 // upstream syncs run by this process
	SyncFailures     uint64 // of which failed
	HeldBack         uint64 // synced snapshots held back by the shrink guard
	NegativeHits     uint64 // loads refused by the negative cache instead of syncing
	RedisErrors      uint64 // failed Redis operations
	Renders          uint64 // outputs rendered by this process
	OutputHitsMemory uint64 // outputs answered from L1
	OutputHitsRedis  uint64 // outputs answered from Redis
}

// TenantStatus is what this process knows about a tenant's cache, for the admin API and metrics.
type TenantStatus struct {
	Tenant string
	// HasSnapshot says whether a snapshot is in service here; the fields below describe it.
	HasSnapshot bool
	Version     string
	Count       int
	FetchedAt   time.Time
	ModifiedAt  time.Time
	Age         time.Duration
	Stale       bool

	// LastSync is when this process last finished a sync of the tenant.
	LastSync         time.Time
	LastSyncOK       bool
	LastSyncError    string
	LastSyncDuration time.Duration
	// LastSyncCalls counts the last sync's upstream HTTP attempts by endpoint.
	LastSyncCalls map[string]int
	// Quarantined are the vehicles the last sync could not take as the upstream described them.
	Quarantined []Quarantined
	// ConsecutiveFailures counts failed syncs since the last success.
	ConsecutiveFailures int
	// NegativeUntil is when syncs may be tried again after a failure (zero: not blocked).
	NegativeUntil time.Time

	// Held says a synced snapshot is held back by the shrink guard; HeldCount, HeldVersion and
	// HeldSince (when a smaller inventory was first seen) describe it.
	Held        bool
	HeldCount   int
	HeldVersion string
	HeldSince   time.Time
	// HeldBackTotal counts the syncs of this tenant that were held back.
	HeldBackTotal uint64

	InFlight    bool
	Invalidated bool
}
