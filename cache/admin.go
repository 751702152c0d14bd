package cache

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/feedgate/feedgate/internal/stripe"
	"github.com/feedgate/feedgate/inventory"
	"github.com/redis/go-redis/v9"
)

// admit decides what a successful sync puts in service. Same content as before keeps the
// earlier ModifiedAt (so ETag and Last-Modified stay put). A snapshot that shrank below the
// guard is held back, and the previous one is served, re-stamped as confirmed by this sync so
// that upstream is asked again after fresh_for rather than on every request, until an admin
// accepts the smaller one or a sync still sees it ShrinkConfirmAfter after it was first held.
func (c *Cache) admit(st *tenantState, prev, next *inventory.Snapshot, now time.Time) (served *inventory.Snapshot, held bool) {
	if prev != nil && next.Version == prev.Version {
		n := *next
		n.ModifiedAt, n.Vehicles = prev.ModifiedAt, prev.Vehicles
		next = &n
	}
	if !c.shrunk(prev, next) {
		st.mu.Lock()
		st.held, st.heldSince = nil, time.Time{}
		st.mu.Unlock()
		return next, false
	}
	since := c.heldSince(st)
	if !since.IsZero() && now.Sub(since) >= c.opts.ShrinkConfirmAfter {
		c.log.Warn("cache: smaller inventory confirmed; serving it", "tenant", st.tenant,
			"vehicles", next.Len(), "previous", prev.Len(), "held_since", since)
		st.mu.Lock()
		st.held, st.heldSince = nil, time.Time{}
		st.mu.Unlock()
		return next, false
	}
	if since.IsZero() {
		since = now
	}
	st.mu.Lock()
	st.held, st.heldSince = next, since
	st.heldTotal++
	st.mu.Unlock()
	c.ctr.heldBack.Add(1)
	c.log.Warn("cache: sync shrank the inventory; holding it back", "tenant", st.tenant,
		"vehicles", next.Len(), "previous", prev.Len(), "held_since", since)
	c.storeHeld(st, next, since)
	r := *prev
	r.FetchedAt = next.FetchedAt
	return &r, true
}

func (c *Cache) shrunk(prev, next *inventory.Snapshot) bool {
	return c.opts.ShrinkGuard > 0 && prev.Len() > 0 &&
		float64(next.Len()) < c.opts.ShrinkGuard*float64(prev.Len())
}

// heldSince is when a smaller inventory was first held for the tenant, by this process or, per
// Redis, by another replica.
func (c *Cache) heldSince(st *tenantState) time.Time {
	st.mu.Lock()
	since := st.heldSince
	st.mu.Unlock()
	if !since.IsZero() || !c.redisUp() {
		return since
	}
	ctx, cancel := c.redisCtx()
	defer cancel()
	b, ok, err := c.l2.Get(ctx, st.k.heldSince)
	if err != nil {
		c.redisFailed("held", err)
	}
	if !ok {
		return time.Time{}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (c *Cache) storeHeld(st *tenantState, held *inventory.Snapshot, since time.Time) {
	c.storeDurableHeld(st, held, since)
	st.heldRead.Store(nil)
	if !c.redisUp() {
		return
	}
	data, err := c.codec.encodeSnapshot(held)
	if err != nil {
		c.log.Error("cache: encode held snapshot", "tenant", st.tenant, "err", err)
		return
	}
	ttl := c.opts.ServeStaleFor + c.opts.ShrinkConfirmAfter
	ctx, cancel := c.redisCtx()
	defer cancel()
	_, err = c.l2.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, st.k.held, data, ttl)
		p.Set(ctx, st.k.heldSince, strconv.FormatInt(since.UnixNano(), 10), ttl)
		p.Set(ctx, st.k.heldInfo, strconv.Itoa(held.Len())+" "+held.Version, ttl)
		return nil
	})
	if err != nil {
		c.redisFailed("store held", err)
	}
}

// Accept puts the tenant's held-back snapshot in service (an admin confirmed the smaller
// inventory). With none held it returns an *inventory.Error with code inventory.ENotFound.
func (c *Cache) Accept(ctx context.Context, tenant string) error {
	st := c.state(tenant)
	st.syncMu.Lock()
	defer st.syncMu.Unlock()
	st.mu.Lock()
	held := st.held
	st.mu.Unlock()
	if held == nil && c.redisUp() {
		rctx, cancel := context.WithTimeout(ctx, c.opts.RedisTimeout)
		b, ok, err := c.l2.Get(rctx, st.k.held)
		cancel()
		if err != nil {
			c.redisFailed("held", err)
		} else if ok {
			if held, err = c.codec.decodeSnapshot(b); err != nil {
				held = nil
			}
		}
	}
	if held == nil {
		return inventory.Errorf(inventory.ENotFound, "Tenant %s has no held-back snapshot to accept.", tenant)
	}
	acc := *held
	if cur := c.current(st); cur != nil && cur.FetchedAt.After(acc.FetchedAt) {
		acc.FetchedAt = cur.FetchedAt // stays "newer" for other replicas: same time, new version
	}
	st.mu.Lock()
	st.held, st.heldSince = nil, time.Time{}
	st.mu.Unlock()
	c.install(st, &acc, st.invalGen.Load(), true)
	c.log.Info("cache: held-back snapshot accepted", "tenant", tenant, "vehicles", acc.Len())
	return nil
}

// Refresh syncs the tenant now, whatever its freshness and the negative cache (admin, webhooks),
// still coalesced with other refreshes in this process and across replicas. ctx bounds only the
// wait.
func (c *Cache) Refresh(ctx context.Context, tenant string) (*inventory.Snapshot, error) {
	snap, _, _, err := c.load(ctx, c.state(tenant), loadMode{force: true})
	return snap, err
}

// RefreshAhead syncs the tenant if its snapshot (in this process, or a newer one another replica
// stored in Redis) will stop being fresh within ahead: the scheduled refresh, run before readers
// could see a stale copy. Replicas coordinate through the sync lock as for any load, so N
// replicas make one sync per tenant per window. The negative cache applies; ctx bounds only the
// wait.
func (c *Cache) RefreshAhead(ctx context.Context, tenant string, ahead time.Duration) (*inventory.Snapshot, error) {
	snap, _, _, err := c.load(ctx, c.state(tenant), loadMode{ahead: max(ahead, time.Nanosecond)})
	return snap, err
}

// FreshFor is how long a snapshot is served with no upstream call.
func (c *Cache) FreshFor() time.Duration { return c.opts.FreshFor }

// Invalidate marks the tenant's snapshot stale on every replica, so the next read serves it and
// refreshes in the background (e.g. after a description was written through), and marks vins so
// that the next sync fetches them again whatever their list view says (syncstate.go). A Redis
// failure is counted, not returned: this replica is invalidated and keeps the marks regardless.
func (c *Cache) Invalidate(ctx context.Context, tenant string, vins ...string) error {
	st := c.state(tenant)
	c.addMarks(ctx, st, vins)
	st.invalGen.Add(1)
	c.log.Debug("cache: invalidated", "tenant", tenant, "vins", len(vins))
	if !c.redisUp() {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.RedisTimeout)
	defer cancel()
	var incr *redis.IntCmd
	_, err := c.l2.client.TxPipelined(rctx, func(p redis.Pipeliner) error {
		incr = p.Incr(rctx, st.k.inval)
		p.Expire(rctx, st.k.inval, c.opts.ServeStaleFor)
		return nil
	})
	if err != nil {
		c.redisFailed("invalidate", err)
		return nil
	}
	st.seenInval.Store(incr.Val()) // our own bump is already applied locally
	return nil
}

// Status reports what this process knows of the tenant, and what Redis says another replica
// holds back.
func (c *Cache) Status(tenant string) TenantStatus {
	st := c.state(tenant)
	s := c.localStatus(st)
	c.sharedHeld(st, &s)
	return s
}

// localStatus is what this process alone knows of the tenant.
func (c *Cache) localStatus(st *tenantState) TenantStatus {
	now := c.opts.Now()
	s := TenantStatus{
		Tenant:        st.tenant,
		InFlight:      st.inflight.Load() > 0,
		NegativeUntil: unixTime(st.negUntil.Load()),
	}
	if e := c.entry(st); e != nil {
		s.HasSnapshot = true
		s.Version, s.Count = e.snap.Version, e.snap.Len()
		s.FetchedAt, s.ModifiedAt = e.snap.FetchedAt, e.snap.ModifiedAt
		s.Age = now.Sub(e.snap.FetchedAt)
		s.Stale = !c.fresh(st, e, now)
		s.Invalidated = e.gen < st.invalGen.Load()
	}
	if !s.NegativeUntil.After(now) {
		s.NegativeUntil = time.Time{}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s.ConsecutiveFailures = st.failures
	if r, ok := st.log.lastRecord(); ok {
		s.LastSync, s.LastSyncOK, s.LastSyncError, s.LastSyncDuration = r.At, r.OK, r.Error, r.Duration
		s.LastSyncCalls, s.Quarantined = r.CallsByEndpoint, r.Quarantined
	}
	s.HeldBackTotal = st.heldTotal
	if st.held != nil {
		s.Held, s.HeldCount, s.HeldVersion, s.HeldSince = true, st.held.Len(), st.held.Version, st.heldSince
	}
	return s
}

// sharedHeld makes s's held-back fields what Redis says: a snapshot held back by any replica's
// sync is held for every replica, and once any replica accepted or promoted it, it is held for
// none, so status, metrics and /readyz agree on all of them. Without Redis (or with it failing)
// this process's own view stands.
//
// Status is read per tenant at every metrics scrape, so Redis is asked at most once every
// VersionCheckEvery per tenant (the same bound as the snapshot's version check); this process's
// own hold or release forgets the remembered answer at once.
func (c *Cache) sharedHeld(st *tenantState, s *TenantStatus) {
	if !c.redisUp() {
		return
	}
	now := c.opts.Now().UnixNano()
	r := st.heldRead.Load()
	if r == nil || now-r.at >= int64(c.opts.VersionCheckEvery) || now < r.at {
		ctx, cancel := c.redisCtx()
		vals, err := c.l2.MGet(ctx, st.k.heldInfo, st.k.heldSince)
		cancel()
		if err != nil {
			c.redisFailed("held status", err)
			return
		}
		r = &heldRead{at: now, info: vals[0], since: vals[1]}
		st.heldRead.Store(r)
	}
	vals := [2][]byte{r.info, r.since}
	if vals[0] == nil {
		if s.Held { // another replica accepted or promoted it
			st.mu.Lock()
			st.held, st.heldSince = nil, time.Time{}
			st.mu.Unlock()
		}
		s.Held, s.HeldCount, s.HeldVersion, s.HeldSince = false, 0, "", time.Time{}
		return
	}
	count, version, _ := strings.Cut(string(vals[0]), " ")
	n, err := strconv.Atoi(count)
	if err != nil {
		return
	}
	s.Held, s.HeldCount, s.HeldVersion = true, n, version
	if vals[1] != nil {
		if ns, err := strconv.ParseInt(string(vals[1]), 10, 64); err == nil {
			s.HeldSince = time.Unix(0, ns).UTC()
		}
	}
}

func unixTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// counters are the atomic counts behind Counters.
type counters struct {
	// The two that every hit adds to are striped (internal/stripe); the rest count rare events.
	hitsMemory, outputHitsMemory                              stripe.Counter
	hitsRedis, misses, staleServes, coalescedWaits, lockWaits atomic.Uint64
	syncs, syncFailures, heldBack, negativeHits, redisErrors  atomic.Uint64
	renders, outputHitsRedis                                  atomic.Uint64
}

// Counters returns the cumulative counts since the Cache was made.
func (c *Cache) Counters() Counters {
	k := &c.ctr
	return Counters{
		HitsMemory: k.hitsMemory.Load(), HitsRedis: k.hitsRedis.Load(), Misses: k.misses.Load(),
		StaleServes: k.staleServes.Load(), CoalescedWaits: k.coalescedWaits.Load(), LockWaits: k.lockWaits.Load(),
		Syncs: k.syncs.Load(), SyncFailures: k.syncFailures.Load(), HeldBack: k.heldBack.Load(),
		NegativeHits: k.negativeHits.Load(), RedisErrors: k.redisErrors.Load(), Renders: k.renders.Load(),
		OutputHitsMemory: k.outputHitsMemory.Load(), OutputHitsRedis: k.outputHitsRedis.Load(),
	}
}

// heldRead is the last answer Redis gave about a tenant's held-back snapshot.
type heldRead struct {
	at          int64 // unix nanos, by the cache's clock
	info, since []byte
}
