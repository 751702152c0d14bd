package publish

import (
	"context"
	"time"

	"github.com/feedgate/feedgate/cache"
)

// PublisherOptions configures a Publisher.
type PublisherOptions struct {
	// OnRender, when set, is told each render's format and duration (for metrics).
	OnRender func(format string, took time.Duration)
}

// Publisher serves feeds' stored outputs through the cache, rendering one on a miss.
type Publisher struct {
	cache *cache.Cache
	opts  PublisherOptions
}

// NewPublisher serves feeds from c.
func NewPublisher(c *cache.Cache, opts PublisherOptions) *Publisher {
	return &Publisher{cache: c, opts: opts}
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
	snap, sres, err := p.cache.Snapshot(ctx, f.Tenant)
	if err != nil {
		return Served{Result: sres}, err
	}
	out, ores, err := p.cache.Output(ctx, f.OutputKey(), snap, func() (cache.Rendered, error) {
		start := time.Now()
		r, _, err := Render(f, snap)
		if p.opts.OnRender != nil {
			p.opts.OnRender(f.Writer.Name(), time.Since(start))
		}
		return r, err
	})
	if err != nil {
		return Served{Result: sres}, err
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
