// Package bridge converts types between the packages that may not import each other: the cache
// and the render owner (publish) on one side, the interfaces the gateway declares (Store,
// Publisher, Reporter, AdminStore) on the other, and the upstream syncer's report into the
// cache's. It holds no state and makes no decision: each adapter forwards a call and converts
// what comes back. cmd/feedgate's wiring and the gateway's tests use the same adapters.
package bridge

import (
	"context"
	"errors"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/changelog"
	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/localstore"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/refresh"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream"
)

// Store adapts a *cache.Cache to gateway.Store. The Rendered types have the same fields, so
// converting between them copies a few words and no bytes.
type Store struct{ C *cache.Cache }

var (
	_ gateway.Store             = Store{}
	_ gateway.CachedOutputStore = Store{}
)

func lookupOf(r cache.Result) gateway.Lookup {
	l := gateway.Lookup{Outcome: gateway.Hit, Layer: r.Layer.String(), Age: r.Age, TTL: r.TTL}
	switch r.Outcome {
	case cache.Stale:
		l.Outcome = gateway.Stale
	case cache.Miss:
		l.Outcome = gateway.Miss
	}
	return l
}

// Snapshot returns the tenant's snapshot as the cache decides it.
func (s Store) Snapshot(ctx context.Context, tenant string) (*inventory.Snapshot, gateway.Lookup, error) {
	snap, res, err := s.C.Snapshot(ctx, tenant)
	return snap, lookupOf(res), err
}

// Output returns the document stored for key, rendering it once on a miss. The fingerprint is
// the cache key's variant.
func (s Store) Output(ctx context.Context, key gateway.OutputKey, snap *inventory.Snapshot,
	render func() (gateway.Rendered, error)) (gateway.Rendered, gateway.Lookup, error) {
	k := cache.OutputKey{Tenant: key.Tenant, Feed: key.Feed, Format: key.Format, Variant: key.Fingerprint}
	r, res, err := s.C.Output(ctx, k, snap, func() (cache.Rendered, error) {
		out, err := render()
		return cache.Rendered(out), err
	})
	if err != nil {
		return gateway.Rendered{}, lookupOf(res), err
	}
	return gateway.Rendered(*r), lookupOf(res), nil
}

// CachedOutput returns the document stored for key when the cache holds it in memory, as Output
// would, without a render function.
func (s Store) CachedOutput(key gateway.OutputKey, snap *inventory.Snapshot) (gateway.Rendered, gateway.Lookup, bool) {
	k := cache.OutputKey{Tenant: key.Tenant, Feed: key.Feed, Format: key.Format, Variant: key.Fingerprint}
	r, res, ok := s.C.CachedOutput(k, snap)
	if !ok {
		return gateway.Rendered{}, gateway.Lookup{}, false
	}
	return gateway.Rendered(*r), lookupOf(res), true
}

// Publisher adapts a *publish.Publisher to gateway.Publisher: the feeds of a configuration are
// built by publish.Build and served by the publisher, with the types converted.
type Publisher struct {
	P       *publish.Publisher
	Formats publish.Formats
}

var _ gateway.Publisher = Publisher{}

// Prepare builds cfg's feeds.
func (p Publisher) Prepare(cfg *config.Config) (gateway.FeedSet, error) {
	set, err := p.P.Build(cfg, p.Formats)
	if err != nil {
		return nil, err
	}
	return &feedSet{p: p.P, set: set}, nil
}

// Held lists the feeds whose latest render the publisher holds back.
func (p Publisher) Held() []gateway.HeldFeed {
	held := p.P.Held()
	out := make([]gateway.HeldFeed, len(held))
	for i, h := range held {
		out[i] = gateway.HeldFeed(h)
	}
	return out
}

type feedSet struct {
	p   *publish.Publisher
	set *publish.Set
}

func (s *feedSet) Feed(tenant, feed string) (gateway.Feed, bool) {
	f, ok := s.set.Feed(tenant, feed)
	if !ok {
		return nil, false
	}
	return &servedFeed{p: s.p, f: f}, true
}

// servedFeed is one feed of a configuration and the publisher that serves it.
type servedFeed struct {
	p *publish.Publisher
	f *publish.Feed
}

func (s *servedFeed) Writer() transform.Writer { return s.f.Writer }

func (s *servedFeed) Output(ctx context.Context) (gateway.Rendered, gateway.Lookup, error) {
	sv, err := s.p.Output(ctx, s.f)
	if err != nil {
		return gateway.Rendered{}, lookupOf(sv.Result), err
	}
	return gateway.Rendered(*sv.Output), lookupOf(sv.Result), nil
}

// Degraded reports that the cache's Redis is unreachable.
func (s Store) Degraded() bool { return s.C.Degraded() }

// Reporter exports the cache's counters and tenant states for metrics.
type Reporter struct{ C *cache.Cache }

var _ gateway.Reporter = Reporter{}

// Counters are the cache's event counts under the metric's event labels.
func (r Reporter) Counters() map[string]uint64 {
	n := r.C.Counters()
	return map[string]uint64{
		"hit_memory": n.HitsMemory, "hit_redis": n.HitsRedis, "miss": n.Misses, "stale": n.StaleServes,
		"coalesced_wait": n.CoalescedWaits, "lock_wait": n.LockWaits, "sync": n.Syncs,
		"sync_failure": n.SyncFailures, "held_back": n.HeldBack, "negative_hit": n.NegativeHits,
		"redis_error": n.RedisErrors, "render": n.Renders, "output_hit_memory": n.OutputHitsMemory,
		"output_hit_redis": n.OutputHitsRedis,
	}
}

// Status is the tenant's vehicle count, snapshot time and shrink-guard state.
func (r Reporter) Status(tenant string) gateway.Status {
	s := r.C.Status(tenant)
	st := gateway.Status{HeldBack: s.Held}
	if s.HasSnapshot {
		st.Vehicles, st.FetchedAt = s.Count, s.FetchedAt
	}
	return st
}

// Admin adapts the cache (and, with scheduled refresh, the scheduler) to the admin, webhook and
// write routes.
type Admin struct {
	C *cache.Cache
	// Scheduler, when set, runs the scheduled refresh: a marked tenant is synced soon, a burst
	// of marks (webhooks) making one sync.
	Scheduler *refresh.Scheduler
}

var _ gateway.AdminStore = Admin{}

// MarkForRefresh marks the VINs for the next sync and the snapshot stale.
func (a Admin) MarkForRefresh(ctx context.Context, tenant string, vins []string) error {
	return a.C.Invalidate(ctx, tenant, vins...)
}

// Schedule asks the scheduler for a sync soon; false without one.
func (a Admin) Schedule(tenant string) bool {
	return a.Scheduler != nil && a.Scheduler.Trigger(tenant)
}

// Refresh syncs the tenant now.
func (a Admin) Refresh(ctx context.Context, tenant string) error {
	_, err := a.C.Refresh(ctx, tenant)
	return err
}

// Accept promotes the tenant's held-back snapshot.
func (a Admin) Accept(ctx context.Context, tenant string) error { return a.C.Accept(ctx, tenant) }

// TenantStatus is the cache's view of the tenant, its recent syncs included.
func (a Admin) TenantStatus(tenant string) gateway.TenantStatus {
	s := a.C.Status(tenant)
	out := gateway.TenantStatus{
		HasSnapshot: s.HasSnapshot, Vehicles: s.Count, Version: s.Version, FetchedAt: s.FetchedAt,
		ModifiedAt: s.ModifiedAt, Stale: s.Stale, InFlight: s.InFlight, LastSync: s.LastSync,
		LastSyncOK: s.LastSyncOK, LastSyncError: s.LastSyncError, LastSyncDuration: s.LastSyncDuration,
		ConsecutiveFailures: s.ConsecutiveFailures, Held: s.Held, HeldVehicles: s.HeldCount,
		HeldVersion: s.HeldVersion, HeldSince: s.HeldSince, UpstreamCalls: s.LastSyncCalls,
	}
	if a.Scheduler != nil {
		if sched, ok := a.Scheduler.Status(tenant); ok {
			out.NextSync = sched.Next
		}
	}
	for _, r := range a.C.History(tenant) {
		out.History = append(out.History, gateway.SyncRecord{At: r.At, Duration: r.Duration, Vehicles: r.Vehicles, OK: r.OK, Calls: r.Calls})
	}
	return out
}

// Syncer adapts an *upstream.Syncer to cache.ReportingSyncer, so that the cache records each
// sync's upstream calls in the tenant's history.
type Syncer struct{ S *upstream.Syncer }

var _ cache.ReportingSyncer = Syncer{}

// Sync runs one sync.
func (s Syncer) Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error) {
	return s.S.Sync(ctx, tenant, prev)
}

// SyncReport runs one sync and converts its report.
func (s Syncer) SyncReport(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, cache.SyncReport, error) {
	snap, rep, err := s.S.SyncWithReport(ctx, tenant, prev)
	out := cache.SyncReport{Calls: rep.Calls}
	for _, q := range rep.Quarantined {
		out.Quarantined = append(out.Quarantined, cache.Quarantined{VIN: q.VIN, Field: q.Field, Reason: q.Reason, Kept: q.Kept})
	}
	return snap, out, err
}

// Durable adapts a *localstore.Store to cache.Durable, quarantining a record the cache found
// corrupt so that it is reported once and the next write replaces it.
type Durable struct{ S *localstore.Store }

var _ cache.Durable = Durable{}

// Get reads a record.
func (d Durable) Get(tenant, name string) ([]byte, bool, error) { return d.S.Get(tenant, name) }

// Put writes a record atomically.
func (d Durable) Put(tenant, name string, data []byte) error { return d.S.Put(tenant, name, data) }

// Delete removes a record.
func (d Durable) Delete(tenant, name string) error { return d.S.Delete(tenant, name) }

// QuarantineErr renames the file behind a corrupt record aside.
func (d Durable) QuarantineErr(err error) {
	var ce *localstore.CorruptError
	if errors.As(err, &ce) {
		_, _ = d.S.Quarantine(ce)
	}
}

// Changes adapts a *changelog.Log to gateway.ChangeLog.
type Changes struct{ L *changelog.Log }

var _ gateway.ChangeLog = Changes{}

// Changes reads one page of the tenant's change log.
func (c Changes) Changes(ctx context.Context, tenant, cursor string, limit int) ([]gateway.ChangeEntry, string, error) {
	entries, next, err := c.L.List(ctx, tenant, cursor, limit)
	if errors.Is(err, changelog.ErrBadCursor) {
		return nil, "", &inventory.Error{Code: inventory.EValidation, Message: "cursor is not one this gateway issued",
			Details: map[string]any{"parameter": "cursor"}, Err: err}
	}
	if err != nil {
		return nil, "", err
	}
	out := make([]gateway.ChangeEntry, len(entries))
	for i, e := range entries {
		out[i] = gateway.ChangeEntry(e)
	}
	return out, next, nil
}
