package cache

import (
	"sync/atomic"

	"github.com/feedgate/feedgate/inventory"
)

// A HitKey is an OutputKey prepared for FreshOutput: its L1 key up to the snapshot's version,
// built once, and the tenant's state in a Cache, found once (a Cache never drops a tenant's
// state). Build it with NewHitKey when the feed is built; it is safe for concurrent use.
type HitKey struct {
	tenant string
	prefix []byte // appendOutputKey's bytes before the version
	state  atomic.Pointer[hitState]
}

type hitState struct {
	c  *Cache
	st *tenantState
}

// NewHitKey prepares key for FreshOutput.
func NewHitKey(key OutputKey) *HitKey {
	return &HitKey{tenant: key.Tenant, prefix: appendOutputKey(nil, key, "")}
}

// tenantState is the key's tenant state in c.
func (k *HitKey) tenantState(c *Cache) *tenantState {
	if hs := k.state.Load(); hs != nil && hs.c == c {
		return hs.st
	}
	st := c.state(k.tenant)
	k.state.Store(&hitState{c: c, st: st})
	return st
}

// FreshOutput is Snapshot and CachedOutput in one call, for the case that makes most requests:
// the tenant's snapshot is fresh in memory and the output for it is in L1. It decides freshness
// exactly as Snapshot does (freshHit, the same code), reads the clock once and builds the L1 key
// from the prepared prefix. Anything else (stale, missing, a Redis fill, an output to render)
// returns false, and the caller asks Snapshot and Output, which decide as always. It does no I/O
// beyond Snapshot's version check and allocates nothing.
func (c *Cache) FreshOutput(k *HitKey) (*inventory.Snapshot, *Rendered, Result, bool) {
	st := k.tenantState(c)
	now := c.opts.Now()
	e, ok := c.freshHit(st, now)
	if !ok {
		return nil, nil, Result{}, false
	}
	var buf [192]byte
	out, res, ok := c.memoryOutput(append(append(buf[:0], k.prefix...), e.snap.Version...), e.snap, now)
	if !ok {
		return nil, nil, Result{}, false
	}
	c.ctr.hitsMemory.Inc()
	return e.snap, out, res, true
}
