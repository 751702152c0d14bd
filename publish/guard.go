package publish

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// A feed that collapses is never served silently. A full feed fetched empty removes every item
// from Merchant Center, and one fetched with a fraction of its items delists the rest, so a
// render that includes nothing while the channel excluded vehicles (a dealer config gap: no store
// code, no address, no vdp_url), or far fewer than the feed's previous good render (the shrink
// guard, per feed), is held back: the previous good output keeps serving, marked stale, and with
// none the answer is 503 with a message saying why. The feed's own filter leaving nothing is not
// a collapse: the dealer asked for it.

// HeldFeed is a feed whose latest render is held back.
type HeldFeed struct {
	Tenant, Feed string
	// Reason says why, for status pages and logs.
	Reason string
	// Since is when this render was first held.
	Since time.Time
}

// errCollapsed is a render held back; the cache does not store it.
type errCollapsed struct{ reason string }

func (e *errCollapsed) Error() string { return "publish: render held back: " + e.reason }

// guard remembers each feed's last good output and the renders held back.
type guard struct {
	shrink float64
	mu     sync.Mutex
	good   map[string]goodOutput // by tenant/feed
	held   map[string]heldRender // by tenant/feed
	// nHeld is len(held), read without the lock so that a hit, when nothing is held (the normal
	// case), never takes the guard's mutex.
	nHeld atomic.Int32
}

// heldRender is a feed's held render: what Held reports, and the snapshot version it was
// rendered over (a render over another version is judged afresh).
type heldRender struct {
	HeldFeed
	version string
}

type goodOutput struct {
	tenant, feed string
	out          *cache.Rendered
	included     int
	version      string
}

func newGuard(shrink float64) *guard {
	return &guard{shrink: shrink, good: map[string]goodOutput{}, held: map[string]heldRender{}}
}

func feedID(f *Feed) string {
	if f.id != "" {
		return f.id
	}
	return f.Tenant + "/" + f.Name
}

// check decides whether a fresh render of f over snap may be served.
func (g *guard) check(f *Feed, snap *inventory.Snapshot, d transform.Diagnostics) error {
	if d.Included == 0 && snap.Len() > 0 && len(d.Excluded) > 0 {
		return &errCollapsed{fmt.Sprintf("the %s feed would be empty: the channel excluded all %d vehicles (first reason: %s: %s)",
			f.Writer.Name(), len(d.Excluded), d.Excluded[0].Reason, d.Excluded[0].Detail)}
	}
	g.mu.Lock()
	prev, ok := g.good[feedID(f)]
	g.mu.Unlock()
	if ok && g.shrink > 0 && prev.version != snap.Version && float64(d.Included) < g.shrink*float64(prev.included) {
		return &errCollapsed{fmt.Sprintf("the feed would shrink from %d to %d items", prev.included, d.Included)}
	}
	return nil
}

// accepted records out as the feed's last good output, read from its stored diagnostics.
func (g *guard) accepted(f *Feed, out *cache.Rendered, version string) {
	var d transform.Diagnostics
	if json.Unmarshal(out.Meta, &d) != nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	id := feedID(f)
	if cur, ok := g.good[id]; ok && cur.version == version {
		return
	}
	g.good[id] = goodOutput{tenant: f.Tenant, feed: f.Name, out: out, included: d.Included, version: version}
	delete(g.held, id)
	g.nHeld.Store(int32(len(g.held)))
}

// hold records a held render and returns the output to serve instead, if any.
func (g *guard) hold(f *Feed, version string, reason string, now time.Time) (*cache.Rendered, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := feedID(f)
	if h, ok := g.held[id]; !ok || h.version != version {
		g.held[id] = heldRender{HeldFeed{Tenant: f.Tenant, Feed: f.Name, Reason: reason, Since: now}, version}
		g.nHeld.Store(int32(len(g.held)))
	}
	prev, ok := g.good[id]
	return prev.out, ok
}

// retain forgets the feeds that set does not have: a removed feed's last good output would
// otherwise stay in memory for good, and its held render would keep Held listing it and every
// hit of every feed taking the guard's mutex (nHeld > 0).
func (g *guard) retain(set *Set) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, h := range g.held {
		if _, ok := set.Feed(h.Tenant, h.Feed); !ok {
			delete(g.held, id)
		}
	}
	for id, o := range g.good {
		if _, ok := set.Feed(o.tenant, o.feed); !ok {
			delete(g.good, id)
		}
	}
	g.nHeld.Store(int32(len(g.held)))
}

// heldReason is why the render of f for version is held back, "" when it is not.
func (g *guard) heldReason(f *Feed, version string) string {
	if g.nHeld.Load() == 0 {
		return ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if h, ok := g.held[feedID(f)]; ok && h.version == version {
		return h.Reason
	}
	return ""
}

// Held lists the feeds whose latest render is held back, in this process.
func (p *Publisher) Held() []HeldFeed {
	p.guard.mu.Lock()
	defer p.guard.mu.Unlock()
	out := make([]HeldFeed, 0, len(p.guard.held))
	for _, h := range p.guard.held {
		out = append(out, h.HeldFeed)
	}
	return out
}

// collapsedError is the answer for a held render with no previous output to serve.
func collapsedError(f *Feed, reason string) error {
	return &inventory.Error{Code: inventory.EUnavailable,
		Message: fmt.Sprintf("The %s feed is held back: %s. Fix the dealer configuration (see feedgate check) or the inventory; nothing is served rather than an empty or collapsed feed.", f.Name, reason),
		Err:     errors.New(reason)}
}
