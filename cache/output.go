package cache

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Output returns the output named by key for snap, rendering it with render on a miss. A warm L1
// hit does no I/O and allocates nothing. On a miss one render per key runs in this process
// (others wait for it, bounded by their ctx); replicas do not lock around renders: rendering is
// deterministic and cheap next to a sync, so at worst each replica renders a version once and
// they store the same bytes. The cache fills in what render leaves empty: Gzip (compressed once
// here), ETag (StrongETag of Body) and ModifiedAt (snap.ModifiedAt). A render error is returned
// as is and not cached. The returned value is shared: nobody may modify it.
func (c *Cache) Output(ctx context.Context, key OutputKey, snap *inventory.Snapshot, render func() (Rendered, error)) (*Rendered, Result, error) {
	if r, res, ok := c.CachedOutput(key, snap); ok {
		return r, res, nil
	}
	var buf [192]byte
	k := appendOutputKey(buf[:0], key, snap.Version)
	now := c.opts.Now()
	ks := string(k)
	ran := false
	ch := c.renders.DoChan(ks, func() (any, error) {
		ran = true
		return c.loadOutput(ks, key, snap, render)
	})
	select {
	case r := <-ch:
		if !ran {
			c.ctr.coalescedWaits.Add(1)
		}
		if r.Err != nil {
			return nil, Result{Outcome: Miss}, r.Err
		}
		lr := r.Val.(*outputResult)
		res := c.result(Miss, lr.layer, snap, now)
		res.Coalesced = !ran
		if lr.layer != LayerOrigin {
			res.Outcome = Hit
		}
		return lr.out, res, nil
	case <-ctx.Done():
		return nil, Result{Outcome: Miss}, fmt.Errorf("cache: wait for render of %s/%s: %w", key.Tenant, key.Feed, ctx.Err())
	}
}

// CachedOutput is Output's in-process hit alone: the output stored for key and snap in L1, or
// false. It does no I/O and allocates nothing, so a caller can look before it builds a render
// function for Output.
func (c *Cache) CachedOutput(key OutputKey, snap *inventory.Snapshot) (*Rendered, Result, bool) {
	var buf [192]byte
	return c.memoryOutput(appendOutputKey(buf[:0], key, snap.Version), snap, c.opts.Now())
}

// memoryOutput is the L1 read of an output, CachedOutput's and FreshOutput's: the output stored
// under the L1 key k (built by appendOutputKey) for snap, counted as an output hit. now is the
// one clock read for the entry's expiry and the result's age.
func (c *Cache) memoryOutput(k []byte, snap *inventory.Snapshot, now time.Time) (*Rendered, Result, bool) {
	v, ok := c.l1.getBytes(k, now.UnixNano())
	if !ok {
		return nil, Result{}, false
	}
	c.ctr.outputHitsMemory.Inc()
	return v.(*Rendered), c.result(Hit, LayerMemory, snap, now), true
}

type outputResult struct {
	out   *Rendered
	layer Layer
}

// appendOutputKey builds the L1 key; NUL cannot occur in tenant, feed or format names.
func appendOutputKey(b []byte, k OutputKey, version string) []byte {
	b = append(b, "out\x00"...)
	b = append(b, k.Tenant...)
	b = append(b, 0)
	b = append(b, k.Feed...)
	b = append(b, 0)
	b = append(b, k.Format...)
	b = append(b, 0)
	b = append(b, k.Variant...)
	b = append(b, 0)
	return append(b, version...)
}

func (c *Cache) loadOutput(l1Key string, key OutputKey, snap *inventory.Snapshot, render func() (Rendered, error)) (res *outputResult, err error) {
	// A caller that missed L1 just before the flight it would have joined stored the output and
	// ended starts a flight of its own: it takes that stored output rather than reading Redis
	// again and replacing L1's entry with an equal copy.
	if out, _, ok := c.CachedOutput(key, snap); ok {
		return &outputResult{out, LayerMemory}, nil
	}
	var redisKey string
	if c.l2 != nil {
		redisKey = c.l2.Key(key.Tenant, "out", key.Feed, key.Format, key.Variant, snap.Version)
	}
	if c.redisUp() {
		ctx, cancel := c.redisCtx()
		b, ok, err := c.l2.Get(ctx, redisKey)
		cancel()
		if err != nil {
			c.redisFailed("read output", err)
		} else if ok {
			if out, err := decodeOutput(b); err == nil {
				c.ctr.outputHitsRedis.Add(1)
				c.l1.Set(l1Key, out, outputSize(out), c.opts.ServeStaleFor)
				return &outputResult{out, LayerRedis}, nil
			}
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache: render of %s/%s panicked: %v", key.Tenant, key.Feed, p)
		}
	}()
	r, err := render()
	if err != nil {
		return nil, err
	}
	c.ctr.renders.Add(1)
	out := &r
	if out.ETag == "" {
		out.ETag = StrongETag(out.Body)
	}
	if out.ModifiedAt.IsZero() {
		out.ModifiedAt = snap.ModifiedAt
	}
	if out.Gzip == nil {
		if out.Gzip, err = c.codec.gzip(out.Body); err != nil {
			return nil, err
		}
	}
	c.l1.Set(l1Key, out, outputSize(out), c.opts.ServeStaleFor)
	if c.redisUp() {
		ctx, cancel := c.redisCtx()
		defer cancel()
		if err := c.l2.Set(ctx, redisKey, encodeOutput(out), c.opts.ServeStaleFor); err != nil {
			c.redisFailed("store output", err)
		} else {
			c.noteOutput(key.Tenant, redisKey, snap.Version)
		}
	}
	return &outputResult{out, LayerOrigin}, nil
}

// noteOutput remembers an output stored in Redis for a snapshot version, so that it is released
// when a newer snapshot supersedes that version.
func (c *Cache) noteOutput(tenant, redisKey, version string) {
	st := c.state(tenant)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.outKeys == nil {
		st.outKeys = make(map[string]bool)
	}
	st.outKeys[version+"\x00"+redisKey] = true
}

// releaseOutputs deletes from Redis the outputs this process stored for versions other than
// current: nothing reads them again once a newer snapshot is in service, and each would
// otherwise hold its bytes for serve_stale_for. Outputs other replicas stored expire as before.
func (c *Cache) releaseOutputs(st *tenantState, current string) {
	st.mu.Lock()
	var keys []string
	for k := range st.outKeys {
		version, redisKey, _ := strings.Cut(k, "\x00")
		if version != current {
			keys = append(keys, redisKey)
			delete(st.outKeys, k)
		}
	}
	st.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	ctx, cancel := c.redisCtx()
	defer cancel()
	if err := c.l2.Delete(ctx, keys...); err != nil {
		c.redisFailed("release outputs", err)
	}
}
