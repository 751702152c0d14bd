package gateway

import (
	"context"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// Store is the cache as the gateway uses it: snapshots per tenant and documents derived from
// them (the drop-in API's), both coalesced and layered behind it. internal/bridge adapts the
// cache package to it.
type Store interface {
	// Snapshot returns the tenant's snapshot to serve, syncing or refreshing as freshness
	// requires. When nothing can be served it returns an *inventory.Error with code
	// inventory.EUnavailable.
	Snapshot(ctx context.Context, tenant string) (*inventory.Snapshot, Lookup, error)
	// Output returns the document stored under key, calling render once (across concurrent
	// callers) on a miss and storing its result with the ETag and gzip bytes filled in.
	Output(ctx context.Context, key OutputKey, snap *inventory.Snapshot, render func() (Rendered, error)) (Rendered, Lookup, error)
	// Degraded reports that the shared layer (Redis) is unreachable and the store serves from
	// the process alone.
	Degraded() bool
}

// Publisher is the render owner as the gateway uses it (package publish, adapted by
// internal/bridge): it maps a configuration's feeds to writers and options and serves their
// stored outputs. The gateway never renders a feed itself.
type Publisher interface {
	// Prepare builds the feeds of cfg; an error refuses cfg.
	Prepare(cfg *config.Config) (FeedSet, error)
	// Held lists the feeds whose latest render is held back (it would be empty or collapsed),
	// with why, in this process.
	Held() []HeldFeed
}

// HeldFeed is a feed whose latest render is held back: the previous good output keeps serving,
// or, with none, the feed answers 503 saying why.
type HeldFeed struct {
	Tenant, Feed, Reason string
	Since                time.Time
}

// FeedSet is one configuration's feeds, swapped with the gateway's state on reload.
type FeedSet interface {
	// Feed is tenant's feed, false when there is no such feed. The gateway looks each feed up
	// once, when it builds its state, and keeps it: a request does not search the set again.
	Feed(tenant, feed string) (Feed, bool)
}

// Feed is one feed of a FeedSet.
type Feed interface {
	// Writer is the feed's writer, for the extension and content type a request is checked
	// against.
	Writer() transform.Writer
	// Output returns the feed's stored output for the tenant's current snapshot, syncing and
	// rendering as the cache decides. When nothing can be served it returns an
	// *inventory.Error with code inventory.EUnavailable.
	Output(ctx context.Context) (Rendered, Lookup, error)
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
	// Layer is where a hit came from ("memory", "redis", "origin"), for logs.
	Layer string
	// Age is how long ago the snapshot was fetched and TTL the freshness it has left (negative
	// once stale), as the cache that serves it computes them: the gateway keeps no fresh_for of
	// its own, so Cache-Control and Cache-Status always agree with the cache.
	Age, TTL time.Duration
}

// OutputKey names one stored document. Everything that can change the bytes is in it, so an old
// document can never answer for a new snapshot or new code.
type OutputKey struct {
	Tenant      string
	Feed        string
	Format      string // the document's kind and the version of the code that writes it
	Fingerprint string // hash of the settings that shape it
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

// ObserveRender records one feed render's duration; the render owner calls it (wired in
// cmd/feedgate), since the gateway itself renders nothing.
func (m *Metrics) ObserveRender(format string, took time.Duration) { m.observeRender(format, took) }
