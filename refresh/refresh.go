// Package refresh keeps every configured tenant fresh on a schedule (refresh-ahead): each tenant
// is synced in the background shortly before its snapshot stops being fresh, whether or not
// anyone asked, so that a marketplace that fetches once a day gets the inventory of at most
// fresh_for ago, as a hit. Tenants are spread with jitter, at most Concurrency sync at once, a
// failing tenant backs off (honouring the upstream's Retry-After) without slowing the others, and
// a burst of refresh requests for one tenant (webhooks, admin) makes one sync.
package refresh

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Cache is what the scheduler drives; *cache.Cache is one.
type Cache interface {
	// RefreshAhead syncs the tenant if its snapshot will stop being fresh within ahead.
	RefreshAhead(ctx context.Context, tenant string, ahead time.Duration) (*inventory.Snapshot, error)
	// Refresh syncs the tenant now, whatever its freshness.
	Refresh(ctx context.Context, tenant string) (*inventory.Snapshot, error)
	// FreshFor is how long the cache serves a snapshot as fresh.
	FreshFor() time.Duration
}

// Options configures a Scheduler.
type Options struct {
	// FreshFor is the freshness window the schedule runs ahead of (default the cache's own,
	// Cache.FreshFor, so the two cannot disagree; set it only to schedule by another window).
	FreshFor time.Duration
	// Concurrency bounds the tenants synced at once (default 4).
	Concurrency int
	// Ahead is how long before a snapshot stops being fresh its refresh starts (default a
	// quarter of FreshFor): the time a sync may take without a reader seeing a stale copy.
	Ahead time.Duration
	// Debounce is how long a requested refresh waits for more requests of the same tenant before
	// it runs (default 2s): a burst of webhooks makes one sync.
	Debounce time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed sync (defaults 5s and 10m; an
	// upstream Retry-After longer than MaxBackoff is honoured all the same).
	MinBackoff, MaxBackoff time.Duration
	// Logger receives failures and back-offs; nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now); timers run in real time.
	Now func() time.Time
}

// Scheduler runs one loop per tenant. It is safe for concurrent use.
type Scheduler struct {
	c    Cache
	opts Options
	sem  chan struct{}

	mu      sync.Mutex
	tenants map[string]*tenant
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// tenant is one tenant's loop state.
type tenant struct {
	id      string
	wake    chan struct{} // a requested refresh
	stop    chan struct{}
	mu      sync.Mutex
	next    time.Time // when the next scheduled sync starts
	last    time.Time // when the last sync succeeded
	lastErr string
	backoff time.Duration
}

// Status is a tenant's schedule, for status pages and metrics.
type Status struct {
	// Next is when the next scheduled sync starts (zero: not scheduled).
	Next time.Time
	// LastSuccess is when a scheduled or requested sync last succeeded in this process.
	LastSuccess time.Time
	// Backoff is the wait after the last failure, zero when the last sync succeeded.
	Backoff time.Duration
	// LastError is the last failure, "" after a success.
	LastError string
}

// New returns a stopped Scheduler; Start runs it.
func New(c Cache, opts Options) (*Scheduler, error) {
	if opts.FreshFor <= 0 {
		opts.FreshFor = c.FreshFor()
	}
	if opts.FreshFor <= 0 {
		return nil, errors.New("refresh: the cache has no freshness window")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Ahead <= 0 || opts.Ahead >= opts.FreshFor {
		opts.Ahead = opts.FreshFor / 4
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 2 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 5 * time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(opts.MinBackoff, 10*time.Minute)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{c: c, opts: opts, sem: make(chan struct{}, opts.Concurrency),
		tenants: make(map[string]*tenant), ctx: ctx, cancel: cancel}, nil
}

// Set makes the scheduler keep exactly these tenants: new ones start (their first sync spread
// over a short window so that a start-up or a Redis flush is no thundering herd), removed ones
// stop. Call it at start-up and on every configuration reload.
func (s *Scheduler) Set(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
		if _, ok := s.tenants[id]; ok {
			continue
		}
		t := &tenant{id: id, wake: make(chan struct{}, 1), stop: make(chan struct{})}
		s.tenants[id] = t
		s.wg.Add(1)
		go s.loop(t, s.startDelay(len(ids)))
	}
	for id, t := range s.tenants {
		if !keep[id] {
			close(t.stop)
			delete(s.tenants, id)
		}
	}
}

// startDelay spreads the first syncs of n tenants: a few per concurrency slot each second at
// most, and never longer than a tenth of the window.
func (s *Scheduler) startDelay(n int) time.Duration {
	spread := min(s.opts.FreshFor/10, time.Duration(n/s.opts.Concurrency+1)*200*time.Millisecond)
	if spread <= 0 {
		return 0
	}
	return rand.N(spread)
}

// Trigger asks for a sync of the tenant soon, whatever its freshness (a webhook said something
// changed, an admin asked). Requests within Debounce of each other make one sync.
func (s *Scheduler) Trigger(id string) bool {
	s.mu.Lock()
	t, ok := s.tenants[id]
	s.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case t.wake <- struct{}{}:
	default: // one is pending already
	}
	return true
}

// Status reports the tenant's schedule; false for a tenant the scheduler does not run.
func (s *Scheduler) Status(id string) (Status, bool) {
	s.mu.Lock()
	t, ok := s.tenants[id]
	s.mu.Unlock()
	if !ok {
		return Status{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return Status{Next: t.next, LastSuccess: t.last, Backoff: t.backoff, LastError: t.lastErr}, true
}

// Stop ends every loop and cancels their waits; a sync already running in the cache finishes on
// its own context (the cache's Close bounds it). Stop returns when the loops have ended.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Scheduler) loop(t *tenant, first time.Duration) {
	defer s.wg.Done()
	wait := first
	for {
		s.setNext(t, wait)
		timer := time.NewTimer(wait)
		forced := false
		select {
		case <-s.ctx.Done():
			timer.Stop()
			return
		case <-t.stop:
			timer.Stop()
			return
		case <-timer.C:
		case <-t.wake:
			timer.Stop()
			forced = true
			if !s.sleep(t, s.opts.Debounce) {
				return
			}
			select { // requests during the debounce are this same sync
			case <-t.wake:
			default:
			}
		}
		wait = s.run(t, forced)
	}
}

// sleep waits d unless the scheduler or the tenant stops first.
func (s *Scheduler) sleep(t *tenant, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-s.ctx.Done():
		return false
	case <-t.stop:
		return false
	case <-timer.C:
		return true
	}
}

// run syncs the tenant (within the concurrency bound) and returns how long to wait for the next.
func (s *Scheduler) run(t *tenant, forced bool) time.Duration {
	select {
	case s.sem <- struct{}{}:
	case <-s.ctx.Done():
		return 0
	case <-t.stop:
		return 0
	}
	var snap *inventory.Snapshot
	var err error
	if forced {
		snap, err = s.c.Refresh(s.ctx, t.id)
	} else {
		snap, err = s.c.RefreshAhead(s.ctx, t.id, s.opts.Ahead)
	}
	<-s.sem
	if s.ctx.Err() != nil {
		return 0
	}
	now := s.opts.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.backoff = min(max(2*t.backoff, s.opts.MinBackoff), s.opts.MaxBackoff)
		if ra := retryAfter(err); ra > t.backoff {
			t.backoff = ra // the upstream said when; asking earlier only spends its patience
		}
		t.lastErr = err.Error()
		s.opts.Logger.Warn("refresh: sync failed; backing off", "tenant", t.id,
			"backoff_ms", t.backoff.Milliseconds(), "err", err.Error())
		return jitter(t.backoff)
	}
	t.backoff, t.lastErr, t.last = 0, "", now
	// The next sync starts Ahead before this snapshot stops being fresh, with a little jitter so
	// that tenants synced together drift apart.
	due := snap.FetchedAt.Add(s.opts.FreshFor - s.opts.Ahead).Sub(now)
	return max(due, 0) + rand.N(s.opts.Ahead/4+1)
}

func (s *Scheduler) setNext(t *tenant, wait time.Duration) {
	t.mu.Lock()
	t.next = s.opts.Now().Add(wait)
	t.mu.Unlock()
}

// retryAfter is the Retry-After an upstream 429 or 503 asked for, if err carries one.
func retryAfter(err error) time.Duration {
	var e *inventory.Error
	if !errors.As(err, &e) {
		return 0
	}
	for ; e != nil; e = nextError(e) {
		switch v := e.Details[inventory.DetailRetryAfter].(type) {
		case int:
			return time.Duration(v) * time.Second
		case float64:
			return time.Duration(v * float64(time.Second))
		}
	}
	return 0
}

// nextError is the next *inventory.Error below e in its chain, nil when there is none.
func nextError(e *inventory.Error) *inventory.Error {
	var next *inventory.Error
	if e.Err != nil && errors.As(e.Err, &next) {
		return next
	}
	return nil
}

// jitter spreads d by up to a tenth either way.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d - d/10 + rand.N(d/5+1)
}
