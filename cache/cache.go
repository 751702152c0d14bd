// Package cache keeps each tenant's inventory snapshot and the feeds rendered from it, in an
// in-process L1 (Memory) in front of an optional shared L2 (Redis), and decides when upstream is
// asked: within fresh_for never; between fresh_for and serve_stale_for the stale copy is served at
// once while one background refresh runs; concurrent loads of a tenant coalesce into one sync per
// process (singleflight) and across replicas (a Redis lock). It also holds back snapshots that
// shrank suspiciously (the shrink guard), remembers failed syncs briefly (the negative cache) and
// keeps serving from memory and upstream while Redis is down.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"golang.org/x/sync/singleflight"
)

// Options configures a Cache; zero fields take the defaults named beside them.
type Options struct {
	// FreshFor is how long a snapshot is served with no upstream call (default 5m).
	FreshFor time.Duration
	// ServeStaleFor is the age up to which a snapshot may still be served, stale, while it is
	// refreshed or while upstream fails (default 24h). Past it a read fails with
	// inventory.EUnavailable rather than serve older data.
	ServeStaleFor time.Duration
	// ShrinkGuard holds back a synced snapshot with fewer than ShrinkGuard × the vehicles of the
	// one in service (e.g. 0.5); zero turns the guard off.
	ShrinkGuard float64
	// ShrinkConfirmAfter promotes a held-back snapshot when a sync still sees the smaller
	// inventory this long after it was first held; zero promotes it at the next sync.
	ShrinkConfirmAfter time.Duration
	// SyncTimeout bounds one upstream sync (default 5m).
	SyncTimeout time.Duration
	// NegativeTTL is how long a failed sync stops further attempts (default 15s).
	NegativeTTL time.Duration
	// LockTTL is the Redis sync lock's lease, renewed every third of it while a sync runs
	// (default 30s), so a crashed holder blocks others for at most this long.
	LockTTL time.Duration
	// FollowerWait bounds how long a replica waits for another replica's sync (default 30s).
	FollowerWait time.Duration
	// VersionCheckEvery is how often a replica asks Redis whether another replica stored a newer
	// snapshot than its L1 holds (default 1s).
	VersionCheckEvery time.Duration
	// RedisTimeout bounds each Redis operation (default 1s).
	RedisTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives sync failures, held-back snapshots and Redis state changes; nil discards.
	Logger *slog.Logger
	// Durable, when set, keeps each tenant's last good snapshot, shrink-guard state and refresh
	// marks on local disk and serves them after a restart (durable.go).
	Durable Durable
	// Prepare, when set, is called with a tenant's new snapshot before it goes into service, so
	// that its feeds are rendered (and stored under the new version) first: a request after the
	// switch is a hit and all the tenant's feeds change together. It must not call Snapshot for
	// the tenant. Its failure is logged; the snapshot goes into service regardless.
	Prepare func(ctx context.Context, tenant string, next *inventory.Snapshot) error
	// Changed, when set, is told each snapshot a sync is about to put in service with the one it
	// replaces (nil on a cold start), before Prepare: the change log records it first, so that
	// feeds rendered from the change log (price drops) show this sync's changes. It runs on the
	// sync's goroutine.
	Changed func(tenant string, prev, next *inventory.Snapshot)
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.FreshFor, 5*time.Minute)
	def(&o.ServeStaleFor, 24*time.Hour)
	def(&o.SyncTimeout, 5*time.Minute)
	def(&o.NegativeTTL, 15*time.Second)
	def(&o.LockTTL, 30*time.Second)
	def(&o.FollowerWait, 30*time.Second)
	def(&o.VersionCheckEvery, time.Second)
	def(&o.RedisTimeout, time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Cache is the snapshot and output cache. It is safe for concurrent use.
type Cache struct {
	opts   Options
	l1     *Memory
	l2     *Redis // nil: memory only
	syncer Syncer
	codec  *codec
	log    *slog.Logger

	flights singleflight.Group // snapshot loads, keyed by tenant
	renders singleflight.Group // output renders, keyed by output key

	// tenants is copied on write (a tenant is added once, at its first use), so that the lookup
	// every request makes takes no lock: a read lock's counter is a cache line both cores write.
	tenantsMu sync.Mutex // serialises additions
	tenants   atomic.Pointer[map[string]*tenantState]

	ctr      counters
	degraded atomic.Bool

	// followPoll and probeEvery are real-time intervals: polling Redis for another replica's
	// result, and probing a Redis that failed.
	followPoll time.Duration
	probeEvery time.Duration

	closeMu sync.RWMutex
	closed  bool
	done    chan struct{}
	bg      sync.WaitGroup
}

// New returns a Cache over l1 (nil: a default Memory), l2 (nil: memory only) and the syncer
// that fetches from upstream. l1 is set to run on the cache's clock (Options.Now): a hit reads
// the clock once for the cache and l1 both, so their expiries must be measured alike; l1 belongs
// to this Cache from then on.
func New(opts Options, l1 *Memory, l2 *Redis, s Syncer) (*Cache, error) {
	if s == nil {
		return nil, errors.New("cache: a Syncer is required")
	}
	opts.setDefaults()
	if l1 == nil {
		l1 = NewMemory(MemoryOptions{})
	}
	l1.now = opts.Now
	cd, err := newCodec()
	if err != nil {
		return nil, err
	}
	return &Cache{
		opts: opts, l1: l1, l2: l2, syncer: s, codec: cd, log: opts.Logger,
		followPoll: 50 * time.Millisecond,
		probeEvery: 500 * time.Millisecond,
		done:       make(chan struct{}),
	}, nil
}

// tenantState is this process's bookkeeping for one tenant, and its current snapshot.
type tenantState struct {
	tenant string
	k      redisKeys // empty without Redis

	// cur is the snapshot in service in this process. It is held here rather than in the L1
	// store so that rendered outputs can never evict it: it is the last good inventory that a
	// failing upstream falls back on, and with no Redis it exists nowhere else. One snapshot per
	// tenant is kept, outside the L1 byte budget.
	cur atomic.Pointer[snapEntry]

	lastCheck  atomic.Int64  // unix nanos of the last Redis version check
	invalGen   atomic.Uint64 // bumped by Invalidate; entries from an older generation are stale
	seenInval  atomic.Int64  // the Redis invalidation counter last seen; -1 before the first
	negUntil   atomic.Int64  // unix nanos until which no sync is tried
	refreshing atomic.Bool   // a background refresh is running
	inflight   atomic.Int32

	// syncMu serialises this process's loads of the tenant (a normal load and a forced refresh),
	// so that a load that waited re-checks what the previous one stored instead of syncing again.
	syncMu sync.Mutex

	// log holds the tenant's refresh marks and sync history (syncstate.go).
	log syncLog
	// durable loads the tenant's records from disk once, on first use.
	durable sync.Once
	// outKeys are the Redis keys of outputs stored for the snapshot in service, released when a
	// new snapshot supersedes it (guarded by mu).
	outKeys map[string]bool
	// heldRead remembers Redis's answer about a held-back snapshot for status reads (admin.go).
	heldRead atomic.Pointer[heldRead]

	mu        sync.Mutex // guards the fields below
	held      *inventory.Snapshot
	heldSince time.Time
	heldTotal uint64
	// lastCause is the error of the last sync when it failed, nil after a success; when, how
	// long and the message are in the history's last record (log), not kept twice.
	lastCause error
	failures  int
}

// snapEntry is the L1 value of a tenant: the decoded snapshot and the invalidation generation
// it was loaded under.
type snapEntry struct {
	snap *inventory.Snapshot
	gen  uint64
}

func (c *Cache) state(tenant string) *tenantState {
	var st *tenantState
	if m := c.tenants.Load(); m != nil {
		st = (*m)[tenant]
	}
	if st == nil {
		st = c.newState(tenant)
	}
	if c.opts.Durable != nil {
		st.durable.Do(func() { c.loadDurable(st) })
	}
	return st
}

// Preload reads each tenant's stored records now (the embedded default's snapshots on disk), so
// that the first request after a restart finds them in memory.
func (c *Cache) Preload(tenants ...string) {
	for _, t := range tenants {
		c.state(t)
	}
}

func (c *Cache) newState(tenant string) *tenantState {
	c.tenantsMu.Lock()
	defer c.tenantsMu.Unlock()
	old := c.tenants.Load()
	if old != nil {
		if st := (*old)[tenant]; st != nil {
			return st
		}
	}
	st := &tenantState{tenant: tenant}
	st.seenInval.Store(-1)
	if c.l2 != nil {
		st.k = newRedisKeys(c.l2, tenant)
	}
	next := make(map[string]*tenantState, 1)
	if old != nil {
		next = maps.Clone(*old)
	}
	next[tenant] = st
	c.tenants.Store(&next)
	return st
}

func (c *Cache) entry(st *tenantState) *snapEntry {
	return st.cur.Load()
}

func (c *Cache) current(st *tenantState) *inventory.Snapshot {
	if e := c.entry(st); e != nil {
		return e.snap
	}
	return nil
}

// fresh reports whether e is fresh at now (a later time asks whether it will still be).
func (c *Cache) fresh(st *tenantState, e *snapEntry, now time.Time) bool {
	return e != nil && now.Sub(e.snap.FetchedAt) < c.opts.FreshFor && e.gen >= st.invalGen.Load()
}

func (c *Cache) servable(s *inventory.Snapshot, now time.Time) bool {
	return s != nil && now.Sub(s.FetchedAt) < c.opts.ServeStaleFor
}

func (c *Cache) result(o Outcome, l Layer, s *inventory.Snapshot, now time.Time) Result {
	age := now.Sub(s.FetchedAt)
	ttl := c.opts.FreshFor - age
	if o == Stale && ttl > 0 {
		ttl = 0 // invalidated before its time
	}
	return Result{Outcome: o, Layer: l, Age: age, TTL: ttl}
}

// Snapshot returns the tenant's snapshot in service. A fresh L1 hit does no I/O beyond a small
// Redis version check at most every VersionCheckEvery, no decoding and no allocation. A stale copy
// is returned at once while one background refresh runs. With nothing servable the caller waits
// for the (coalesced) load, bounded by ctx; cancelling ctx never cancels the load. When upstream
// has failed and nothing younger than ServeStaleFor exists, the error is an *inventory.Error with
// code inventory.EUnavailable.
func (c *Cache) Snapshot(ctx context.Context, tenant string) (*inventory.Snapshot, Result, error) {
	st := c.state(tenant)
	now := c.opts.Now()
	e, fresh := c.freshHit(st, now)
	if fresh {
		c.ctr.hitsMemory.Inc()
		return e.snap, c.result(Hit, LayerMemory, e.snap, now), nil
	}
	if e != nil && c.servable(e.snap, now) {
		c.ctr.staleServes.Add(1)
		c.refreshInBackground(st)
		return e.snap, c.result(Stale, LayerMemory, e.snap, now), nil
	}
	// Nothing servable in L1: another replica may have stored one.
	if c.redisUp() {
		if e := c.fill(ctx, st); e != nil && c.servable(e.snap, now) {
			c.ctr.hitsRedis.Add(1)
			if c.fresh(st, e, now) {
				return e.snap, c.result(Hit, LayerRedis, e.snap, now), nil
			}
			c.ctr.staleServes.Add(1)
			c.refreshInBackground(st)
			return e.snap, c.result(Stale, LayerRedis, e.snap, now), nil
		}
	}
	c.ctr.misses.Add(1)
	snap, layer, coalesced, err := c.load(ctx, st, loadMode{})
	if err != nil {
		return nil, Result{Outcome: Miss}, err
	}
	res := c.result(Miss, layer, snap, c.opts.Now())
	res.Coalesced = coalesced
	return snap, res, nil
}

// freshHit is the decision of a hit from memory, Snapshot's and FreshOutput's: the tenant's
// entry in this process, after the Redis version check when one is due, and whether it is
// servable and fresh at now. The entry is returned either way (nil when there is none).
func (c *Cache) freshHit(st *tenantState, now time.Time) (*snapEntry, bool) {
	e := c.entry(st)
	if e != nil && c.redisUp() {
		e = c.checkVersion(st, e, now)
	}
	return e, e != nil && c.servable(e.snap, now) && c.fresh(st, e, now)
}

// refreshInBackground starts one load of the tenant on a context of its own, unless one is
// already running.
func (c *Cache) refreshInBackground(st *tenantState) {
	if !st.refreshing.CompareAndSwap(false, true) {
		return
	}
	if !c.track() {
		st.refreshing.Store(false)
		return
	}
	go func() {
		defer c.bg.Done()
		defer st.refreshing.Store(false)
		_, _, _, err := c.load(context.Background(), st, loadMode{})
		if err != nil && !errors.Is(err, errNegative) {
			c.log.Warn("cache: background refresh failed", "tenant", st.tenant, "err", err)
		}
	}()
}

// track registers work that Close must wait for; false once Close has begun.
func (c *Cache) track() bool {
	c.closeMu.RLock()
	defer c.closeMu.RUnlock()
	if c.closed {
		return false
	}
	c.bg.Add(1)
	return true
}

// Degraded reports whether Redis is failing; the cache then serves from memory and upstream and
// probes Redis in the background until it answers again.
func (c *Cache) Degraded() bool { return c.degraded.Load() }

func (c *Cache) redisUp() bool { return c.l2 != nil && !c.degraded.Load() }

// redisFailed counts a failed Redis operation and, on the first, enters degraded mode and starts
// the probe that leaves it.
func (c *Cache) redisFailed(op string, err error) {
	c.ctr.redisErrors.Add(1)
	if !c.degraded.CompareAndSwap(false, true) {
		return
	}
	c.log.Warn("cache: redis failed; serving from memory until it answers", "op", op, "err", err)
	if !c.track() {
		return
	}
	go c.probe()
}

func (c *Cache) probe() {
	defer c.bg.Done()
	t := time.NewTicker(c.probeEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.RedisTimeout)
		err := c.l2.Ping(ctx)
		cancel()
		if err == nil {
			c.degraded.Store(false)
			c.log.Info("cache: redis answers again")
			return
		}
	}
}

func (c *Cache) redisCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.opts.RedisTimeout)
}

// Close waits for background refreshes and stops the Redis probe. Reads that need no load keep
// working; loads after Close fail.
func (c *Cache) Close() error {
	c.closeMu.Lock()
	if c.closed {
		c.closeMu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	c.closeMu.Unlock()
	c.bg.Wait()
	c.codec.close()
	return nil
}

// unavailable is the error of a read that has nothing to serve.
func unavailable(tenant string, cause error) error {
	return &inventory.Error{
		Code:    inventory.EUnavailable,
		Message: fmt.Sprintf("The inventory of %s is unavailable right now; try again later.", tenant),
		Err:     fmt.Errorf("cache: load %s: %w", tenant, cause),
	}
}
