package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/redis/go-redis/v9"
)

var (
	errNegative      = errors.New("cache: a recent sync failed; not retrying yet")
	errClosed        = errors.New("cache: closed")
	errFollowTimeout = errors.New("cache: another replica's sync did not finish in time")
	errNoSnapshot    = errors.New("cache: the syncer returned no snapshot")
)

// loadResult is what one coalesced load hands to every caller that waited for it.
type loadResult struct {
	snap  *inventory.Snapshot
	layer Layer
}

// load runs (or joins) the tenant's coalesced load and waits for it, bounded by ctx; the load
// itself runs on its own goroutine and context, so a caller that gives up cancels nothing.
func (c *Cache) load(ctx context.Context, st *tenantState, m loadMode) (*inventory.Snapshot, Layer, bool, error) {
	key := "load\x00" + st.tenant
	switch {
	case m.force:
		key = "force\x00" + st.tenant
	case m.ahead > 0:
		key = "ahead\x00" + st.tenant
	}
	ran := false // written by our function if it is the one that runs; read after the channel
	ch := c.flights.DoChan(key, func() (any, error) {
		ran = true
		return c.runLoad(st, m)
	})
	select {
	case r := <-ch:
		coalesced := !ran
		if coalesced {
			c.ctr.coalescedWaits.Add(1)
		}
		if r.Err != nil {
			return nil, 0, coalesced, unavailable(st.tenant, r.Err)
		}
		lr := r.Val.(*loadResult)
		return lr.snap, lr.layer, coalesced, nil
	case <-ctx.Done():
		return nil, 0, false, unavailable(st.tenant, ctx.Err())
	}
}

// loadMode says what a load is for: a forced one syncs whatever the snapshot's age (admin,
// webhooks); one ahead syncs a snapshot that will stop being fresh within ahead (the scheduled
// refresh, so that readers never see it stale); a plain one syncs only a stale snapshot.
type loadMode struct {
	force bool
	ahead time.Duration
}

func (c *Cache) runLoad(st *tenantState, m loadMode) (*loadResult, error) {
	force := m.force
	if !c.track() {
		return nil, errClosed
	}
	defer c.bg.Done()
	st.inflight.Add(1)
	defer st.inflight.Add(-1)
	st.syncMu.Lock()
	defer st.syncMu.Unlock()

	now := c.opts.Now()
	e := c.entry(st)
	if !force && c.fresh(st, e, now.Add(m.ahead)) {
		return &loadResult{e.snap, LayerMemory}, nil // the load we waited behind stored it
	}
	var prev *inventory.Snapshot
	if e != nil {
		prev = e.snap
	}
	negative := now.UnixNano() < st.negUntil.Load()
	if c.redisUp() {
		ctx, cancel := c.redisCtx()
		vals, err := c.l2.MGet(ctx, st.k.ver, st.k.inval, st.k.neg)
		cancel()
		if err != nil {
			c.redisFailed("load", err)
		} else {
			c.noteInval(st, vals[1])
			if newerStamp(vals[0], prev) {
				if ne := c.readL2(st); ne != nil {
					prev = ne.snap
					if !force && c.fresh(st, ne, now.Add(m.ahead)) {
						return &loadResult{ne.snap, LayerRedis}, nil
					}
				}
			}
			negative = negative || vals[2] != nil
		}
	}
	if negative && !force {
		c.ctr.negativeHits.Add(1)
		return nil, c.negativeErr(st)
	}
	return c.coordinate(st, prev, m)
}

// coordinate takes the tenant's Redis lock and syncs, or follows the replica that holds it.
// Without Redis (or with Redis failing) the in-process coalescing alone applies.
func (c *Cache) coordinate(st *tenantState, prev *inventory.Snapshot, m loadMode) (*loadResult, error) {
	if !c.redisUp() {
		return c.syncNow(st, prev)
	}
	ctx, cancel := c.redisCtx()
	lock, ok, err := c.l2.TryLock(ctx, st.k.lock, c.opts.LockTTL)
	cancel()
	switch {
	case err != nil:
		c.redisFailed("lock", err)
		return c.syncNow(st, prev)
	case !ok:
		c.ctr.lockWaits.Add(1)
		return c.follow(st, prev, m)
	}
	return c.syncLocked(st, prev, lock, m)
}

func (c *Cache) syncLocked(st *tenantState, prev *inventory.Snapshot, lock *Lock, m loadMode) (*loadResult, error) {
	stop := c.keepLock(st, lock)
	defer stop()
	if !m.force {
		// Another replica may have stored a snapshot between our look and our lock.
		ctx, cancel := c.redisCtx()
		b, _, err := c.l2.Get(ctx, st.k.ver)
		cancel()
		if err != nil {
			c.redisFailed("load", err)
		} else if newerStamp(b, prev) {
			if ne := c.readL2(st); ne != nil {
				if c.fresh(st, ne, c.opts.Now().Add(m.ahead)) {
					return &loadResult{ne.snap, LayerRedis}, nil
				}
				prev = ne.snap
			}
		}
	}
	return c.syncNow(st, prev)
}

// keepLock renews lock every third of its TTL until the returned function is called; that
// function stops the renewal and releases the lock.
func (c *Cache) keepLock(st *tenantState, lock *Lock) func() {
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(c.opts.LockTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			ctx, cancel := c.redisCtx()
			ok, err := lock.Renew(ctx)
			cancel()
			if err != nil {
				c.redisFailed("lock renew", err)
			} else if !ok {
				c.log.Warn("cache: sync lock lost; another replica may sync too", "tenant", st.tenant)
			}
		}
	}()
	return func() {
		close(stop)
		<-stopped
		ctx, cancel := c.redisCtx()
		defer cancel()
		if err := lock.Release(ctx); err != nil {
			c.redisFailed("lock release", err)
		}
	}
}

// follow waits for the replica holding the lock to store its result, polling the small version
// key. If the holder finishes without a new snapshot or vanishes (its lock expires unrenewed),
// this process takes the lock and syncs itself. A healthy leader is never given up on: while its
// lock is alive (renewed every third of its lease) the wait goes on, however long the sync takes;
// FollowerWait counts only from the moment the lock is gone and cannot be taken, after which it
// falls back to what it has. Each caller's own context still bounds how long it waits.
func (c *Cache) follow(st *tenantState, prev *inventory.Snapshot, m loadMode) (*loadResult, error) {
	force := m.force
	deadline := time.Now().Add(c.opts.FollowerWait)
	t := time.NewTicker(c.followPoll)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return nil, errClosed
		case <-t.C:
		}
		ctx, cancel := c.redisCtx()
		vals, err := c.l2.MGet(ctx, st.k.ver, st.k.lock, st.k.neg)
		cancel()
		if err != nil {
			c.redisFailed("follow", err)
			return c.syncNow(st, prev)
		}
		if newerStamp(vals[0], prev) {
			if ne := c.readL2(st); ne != nil {
				return &loadResult{ne.snap, LayerRedis}, nil
			}
		}
		if vals[1] != nil { // the leader is alive: keep waiting
			deadline = time.Now().Add(c.opts.FollowerWait)
		} else { // the holder is gone
			if vals[2] != nil && !force {
				c.ctr.negativeHits.Add(1)
				return nil, c.negativeErr(st)
			}
			ctx, cancel := c.redisCtx()
			lock, ok, err := c.l2.TryLock(ctx, st.k.lock, c.opts.LockTTL)
			cancel()
			if err != nil {
				c.redisFailed("lock", err)
				return c.syncNow(st, prev)
			}
			if ok {
				return c.syncLocked(st, prev, lock, m)
			}
		}
		if time.Now().After(deadline) {
			if c.servable(prev, c.opts.Now()) {
				return &loadResult{prev, LayerMemory}, nil
			}
			return nil, errFollowTimeout
		}
	}
}

// syncNow asks upstream, on a context of its own bounded by SyncTimeout, then applies the shrink
// guard and stores the result in L1 and L2.
func (c *Cache) syncNow(st *tenantState, prev *inventory.Snapshot) (*loadResult, error) {
	gen := st.invalGen.Load() // an Invalidate during the sync leaves the result stale
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.SyncTimeout)
	defer cancel()
	marks := c.pendingMarks(st)
	began := time.Now()
	next, rep, err := c.runSync(ctx, st.tenant, withoutVINs(prev, marks))
	dur := time.Since(began)
	c.ctr.syncs.Add(1)
	now := c.opts.Now()
	if err == nil && next == nil {
		err = errNoSnapshot
	}
	rec := SyncRecord{At: now, Duration: dur, OK: err == nil, Calls: totalCalls(rep.Calls), CallsByEndpoint: rep.Calls,
		Quarantined: rep.Quarantined}
	if err != nil {
		rec.Error = err.Error()
		c.syncFailed(st, rec, err)
		return nil, fmt.Errorf("cache: sync %s: %w", st.tenant, err)
	}
	inventory.Compact(next) // shares repeated strings before the snapshot is shared (inventory/intern.go)
	rec.Vehicles = next.Len()
	c.clearMarks(st, marks)
	served, held := c.admit(st, prev, next, now)
	if !held && c.opts.Changed != nil {
		c.opts.Changed(st.tenant, prev, served)
	}
	if !held && c.opts.Prepare != nil && (prev == nil || served.Version != prev.Version) {
		if err := c.opts.Prepare(ctx, st.tenant, served); err != nil {
			c.log.Warn("cache: pre-rendering the new snapshot failed; feeds render on request", "tenant", st.tenant, "err", err)
		}
	}
	c.install(st, served, gen, !held)
	st.mu.Lock()
	st.log.record(rec) // under mu, with the failure count, so that status reads them together
	st.lastCause, st.failures = nil, 0
	st.mu.Unlock()
	st.negUntil.Store(0)
	return &loadResult{served, LayerOrigin}, nil
}

// syncFailed records the failed sync rec (whose Error is err's message) and starts the negative
// cache.
func (c *Cache) syncFailed(st *tenantState, rec SyncRecord, err error) {
	c.ctr.syncFailures.Add(1)
	st.mu.Lock()
	st.log.record(rec)
	st.lastCause = err
	st.failures++
	st.mu.Unlock()
	st.negUntil.Store(rec.At.Add(c.opts.NegativeTTL).UnixNano())
	c.log.Warn("cache: sync failed; serving the last good snapshot", "tenant", st.tenant, "err", err)
	if c.redisUp() {
		ctx, cancel := c.redisCtx()
		defer cancel()
		if err := c.l2.Set(ctx, st.k.neg, []byte("1"), c.opts.NegativeTTL); err != nil {
			c.redisFailed("negative", err)
		}
	}
}

// install puts snap in service: L1, then Redis with its version key in one transaction (which
// also lifts the negative cache and, unless the sync was held back, drops any held snapshot).
func (c *Cache) install(st *tenantState, snap *inventory.Snapshot, gen uint64, dropHeld bool) {
	c.setCurrent(st, snap, gen)
	c.storeDurableSnapshot(st, snap, dropHeld)
	if dropHeld {
		st.heldRead.Store(nil)
	}
	if !c.redisUp() {
		return
	}
	c.releaseOutputs(st, snap.Version)
	data, err := c.codec.encodeSnapshot(snap)
	if err != nil {
		c.log.Error("cache: encode snapshot", "tenant", st.tenant, "err", err)
		return
	}
	// Kept a further serve_stale_for past its last use, as the base of the next sync.
	ttl := max(2*c.opts.ServeStaleFor-c.opts.Now().Sub(snap.FetchedAt), time.Second)
	ctx, cancel := c.redisCtx()
	defer cancel()
	_, err = c.l2.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, st.k.snap, data, ttl)
		p.Set(ctx, st.k.ver, stampOf(snap), ttl)
		p.Del(ctx, st.k.neg)
		if dropHeld {
			p.Del(ctx, st.k.held, st.k.heldSince, st.k.heldInfo)
		}
		return nil
	})
	if err != nil {
		c.redisFailed("store snapshot", err)
	}
}

// setCurrent puts snap in service in this process unless a strictly newer one is (a concurrent Redis read
// and a local sync may race to store).
func (c *Cache) setCurrent(st *tenantState, snap *inventory.Snapshot, gen uint64) *snapEntry {
	st.mu.Lock()
	defer st.mu.Unlock()
	if cur := c.entry(st); cur != nil && cur.snap.FetchedAt.After(snap.FetchedAt) {
		return cur
	}
	e := &snapEntry{snap: snap, gen: gen}
	// Past serve_stale_for a snapshot is no longer served, but it stays the base of the next
	// sync (ModifiedAt, the shrink guard, incremental strategies) until a newer one replaces it.
	st.cur.Store(e)
	return e
}

// readL2 loads the tenant's snapshot from Redis into L1; nil when Redis has none (or fails).
func (c *Cache) readL2(st *tenantState) *snapEntry {
	ctx, cancel := c.redisCtx()
	b, ok, err := c.l2.Get(ctx, st.k.snap)
	cancel()
	if err != nil {
		c.redisFailed("read snapshot", err)
		return nil
	}
	if !ok {
		return nil
	}
	snap, err := c.codec.decodeSnapshot(b)
	if err != nil {
		c.log.Warn("cache: unreadable snapshot in redis; ignoring it", "tenant", st.tenant, "err", err)
		return nil
	}
	return c.setCurrent(st, snap, st.invalGen.Load())
}

// fill is the coalesced read of Redis for a tenant this process has nothing servable of.
func (c *Cache) fill(ctx context.Context, st *tenantState) *snapEntry {
	ch := c.flights.DoChan("fill\x00"+st.tenant, func() (any, error) {
		return c.readL2(st), nil
	})
	select {
	case r := <-ch:
		e, _ := r.Val.(*snapEntry)
		return e
	case <-ctx.Done():
		return nil
	}
}

// checkVersion asks Redis, at most every VersionCheckEvery, whether another replica stored a newer
// snapshot (or invalidated the tenant). One caller does the check; the others go on with L1.
func (c *Cache) checkVersion(st *tenantState, e *snapEntry, now time.Time) *snapEntry {
	last := st.lastCheck.Load()
	if now.UnixNano()-last < int64(c.opts.VersionCheckEvery) || !st.lastCheck.CompareAndSwap(last, now.UnixNano()) {
		return e
	}
	ctx, cancel := c.redisCtx()
	vals, err := c.l2.MGet(ctx, st.k.ver, st.k.inval)
	cancel()
	if err != nil {
		c.redisFailed("version check", err)
		return e
	}
	c.noteInval(st, vals[1])
	if newerStamp(vals[0], e.snap) {
		if ne := c.readL2(st); ne != nil {
			return ne
		}
	}
	return e
}

// noteInval bumps the local invalidation generation when the shared counter changed since last
// seen; the first sighting only records it.
func (c *Cache) noteInval(st *tenantState, b []byte) {
	n, _ := strconv.ParseInt(string(b), 10, 64)
	for {
		seen := st.seenInval.Load()
		if n == seen {
			return
		}
		if st.seenInval.CompareAndSwap(seen, n) {
			if seen >= 0 {
				st.invalGen.Add(1)
			}
			return
		}
	}
}

// stampOf is the value of a tenant's version key: when the snapshot was fetched, and its version.
func stampOf(s *inventory.Snapshot) string {
	return strconv.FormatInt(s.FetchedAt.UnixNano(), 10) + " " + s.Version
}

// newerStamp reports whether the version key's value b names a snapshot newer than s: fetched
// later, or fetched at the same time with other content (an accepted held-back snapshot).
func newerStamp(b []byte, s *inventory.Snapshot) bool {
	if b == nil {
		return false
	}
	if s == nil {
		return true
	}
	at, version, _ := strings.Cut(string(b), " ")
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return false
	}
	mine := s.FetchedAt.UnixNano()
	return n > mine || (n == mine && version != s.Version)
}

// negativeErr is errNegative with the failure behind it, when this process saw it.
func (c *Cache) negativeErr(st *tenantState) error {
	st.mu.Lock()
	cause := st.lastCause
	st.mu.Unlock()
	if cause == nil {
		return errNegative
	}
	return fmt.Errorf("%w: %w", errNegative, cause)
}
