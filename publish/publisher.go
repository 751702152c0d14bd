package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// PublisherOptions configures a Publisher.
type PublisherOptions struct {
	// OnRender, when set, is told each render's format and duration (for metrics).
	OnRender func(format string, took time.Duration)
	// ShrinkGuard holds back a render with fewer than ShrinkGuard × the items of the feed's
	// previous good render (the cache's shrink_guard; 0 turns the per-feed guard off). A render
	// that includes nothing while the channel excluded vehicles is held back whatever it is.
	ShrinkGuard float64
	// Logger receives held-back renders; nil discards.
	Logger *slog.Logger
	// PriceDrops, when set, reads a tenant's most recent price reductions (the change log) for
	// the writers that render them (transform.ChangeReader).
	PriceDrops func(ctx context.Context, tenant string, limit int) ([]transform.PriceDrop, error)
}

// Publisher serves feeds' stored outputs through the cache, rendering one on a miss, and
// pre-renders a tenant's feeds for a new snapshot before it goes into service.
type Publisher struct {
	cache *cache.Cache
	opts  PublisherOptions
	// current is the configuration's feeds most recently built, which Prerender renders.
	current atomic.Pointer[Set]
	guard   *guard
}

// Build prepares every feed of cfg (see Build) and makes them the set Prerender renders. The
// shrink guard forgets the feeds cfg no longer has.
func (p *Publisher) Build(cfg *config.Config, formats Formats) (*Set, error) {
	set, err := Build(cfg, formats)
	if err != nil {
		return nil, err
	}
	p.current.Store(set)
	p.guard.retain(set)
	return set, nil
}

// Prerender renders every feed of tenant over snap and stores the outputs under snap's version,
// one feed at a time (so a tenant's renders never hold more than one output in flight): the
// cache's Prepare hook, run before snap goes into service, so that the first fetch after a change
// is a hit and all of a tenant's feeds switch together. A feed that fails to render is reported
// and left to render on request; the others are stored all the same.
func (p *Publisher) Prerender(ctx context.Context, tenant string, snap *inventory.Snapshot) error {
	set := p.current.Load()
	if set == nil {
		return nil
	}
	var errs []error
	for _, f := range set.Tenant(tenant) {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, res, err := p.cache.Output(ctx, f.OutputKey(), snap, p.renderFunc(f, snap))
		var held *errCollapsed
		switch {
		case errors.As(err, &held):
			p.guard.hold(f, snap.Version, held.reason, time.Now())
		case err != nil:
			errs = append(errs, err)
		case res.Layer != cache.LayerMemory:
			p.guard.accepted(f, out, snap.Version)
		}
	}
	return errors.Join(errs...)
}

func (p *Publisher) renderFunc(f *Feed, snap *inventory.Snapshot) func() (cache.Rendered, error) {
	return func() (cache.Rendered, error) {
		start := time.Now()
		in := f.Input(snap)
		if cr, ok := f.Writer.(transform.ChangeReader); ok && p.opts.PriceDrops != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			drops, err := p.opts.PriceDrops(ctx, f.Tenant, cr.PriceDropsWanted())
			cancel()
			if err != nil {
				return cache.Rendered{}, fmt.Errorf("publish: %s/%s: reading the change log: %w", f.Tenant, f.Name, err)
			}
			in.PriceDrops = drops
		}
		r, d, err := renderInput(f, in)
		if p.opts.OnRender != nil {
			p.opts.OnRender(f.Writer.Name(), time.Since(start))
		}
		if err != nil {
			return r, err
		}
		if err := p.guard.check(f, snap, d); err != nil {
			p.opts.Logger.Warn("publish: render held back; the previous good output keeps serving",
				"tenant", f.Tenant, "feed", f.Name, "err", err.Error())
			return cache.Rendered{}, err
		}
		return r, nil
	}
}

// NewPublisher serves feeds from c.
func NewPublisher(c *cache.Cache, opts PublisherOptions) *Publisher {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Publisher{cache: c, opts: opts, guard: newGuard(opts.ShrinkGuard)}
}

// Served is a feed's stored output and how the cache answered for it.
type Served struct {
	// Output is shared with every other caller: nobody may modify it.
	Output *cache.Rendered
	// Result folds the snapshot's and the output's lookups: stale when the inventory is stale, a
	// miss when anything was synced or rendered, a hit otherwise. Age and TTL are the snapshot's,
	// as the cache that serves it computes them.
	Result cache.Result
}

// Output returns f's output for its tenant's current snapshot, syncing and rendering as the
// cache decides. Errors are the cache's (an *inventory.Error with code upstream_unavailable when
// nothing can be served) or a render failure.
func (p *Publisher) Output(ctx context.Context, f *Feed) (Served, error) {
	// Most requests: a fresh snapshot whose output is in memory, and no render held back in this
	// process (a held render answers with the previous output, below). One cache call.
	if f.hit != nil && p.guard.nHeld.Load() == 0 {
		if _, out, res, ok := p.cache.FreshOutput(f.hit); ok {
			return Served{Output: out, Result: res}, nil
		}
	}
	snap, sres, err := p.cache.Snapshot(ctx, f.Tenant)
	if err != nil {
		return Served{Result: sres}, err
	}
	if reason := p.guard.heldReason(f, snap.Version); reason != "" {
		return p.servePrevious(f, snap, sres, reason)
	}
	key := f.OutputKey()
	out, ores, ok := p.cache.CachedOutput(key, snap) // the hit path builds no render function
	if !ok {
		out, ores, err = p.cache.Output(ctx, key, snap, p.renderFunc(f, snap))
		if err != nil {
			var held *errCollapsed
			if errors.As(err, &held) {
				p.guard.hold(f, snap.Version, held.reason, time.Now())
				return p.servePrevious(f, snap, sres, held.reason)
			}
			return Served{Result: sres}, err
		}
	}
	if ores.Layer != cache.LayerMemory {
		p.guard.accepted(f, out, snap.Version)
	}
	res := sres
	res.Coalesced = sres.Coalesced || ores.Coalesced
	switch {
	case sres.Outcome == cache.Stale:
		res.Outcome = cache.Stale
	case sres.Outcome == cache.Miss || ores.Outcome == cache.Miss:
		res.Outcome = cache.Miss
	default:
		res.Outcome = cache.Hit
	}
	if ores.Outcome == cache.Miss {
		res.Layer = ores.Layer
	}
	return Served{Output: out, Result: res}, nil
}

// servePrevious answers for a held render: the feed's previous good output, marked stale, or 503
// saying why when this process has none.
func (p *Publisher) servePrevious(f *Feed, snap *inventory.Snapshot, sres cache.Result, reason string) (Served, error) {
	prev, ok := p.guard.hold(f, snap.Version, reason, time.Now())
	if !ok {
		return Served{Result: sres}, collapsedError(f, reason)
	}
	res := sres
	res.Outcome = cache.Stale
	if res.TTL > 0 {
		res.TTL = 0
	}
	return Served{Output: prev, Result: res}, nil
}
