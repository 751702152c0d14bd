package ratelimit

import (
	"github.com/feedgate/feedgate/internal/rediskey"

	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// RedisOptions configures a Redis.
type RedisOptions struct {
	// Prefix starts every Redis key (the config's redis.key_prefix).
	Prefix string
	// Timeout bounds one reconciliation round trip (default 100ms).
	Timeout time.Duration
	// SyncEvery caps how many requests a key may admit locally before they are reported to
	// Redis (default 1000). Below the cap a key reports every hundredth of its per-minute limit
	// (at least every request), so that Redis lags each replica by about 1% of the limit.
	SyncEvery int
	// SyncInterval reports a key's locally admitted requests to Redis on its next request once
	// this long has passed since the last report, however few they are (default 50ms).
	SyncInterval time.Duration
	// MaxKeys bounds the number of keys tracked; when full, idle keys are evicted (default 10000).
	MaxKeys int
	// Now is the clock of the local decisions (default time.Now). Redis's GCRA runs on Redis's.
	Now func() time.Time
	// Logger receives one line per failed reconciliation.
	Logger *slog.Logger
	// OnFallback is called each time a reconciliation with Redis fails, so that the requests
	// it carried were decided in process alone (for metrics).
	OnFallback func()
}

// Redis is a limit shared by every replica that decides each request in process. A local
// limiter (a token bucket per key) admits or refuses at once; the requests admitted under a key
// are reported to Redis in batches (GCRA via go-redis/redis_rate's AllowAtMost), every SyncEvery
// requests or SyncInterval, asynchronously, at most one report in flight per key. When Redis
// answers that the key's shared budget is spent, the key is refused here until the Retry-After
// Redis gave. So a hit never waits on Redis, and the limit holds across replicas within the
// tolerance docs/gateway.md states: each replica may admit up to one batch (plus what arrives
// during one round trip) before it learns that the others spent the budget. When Redis fails the
// local limiter alone decides, so each replica still enforces the limit on its own.
type Redis struct {
	opts  RedisOptions
	lim   *redis_rate.Limiter
	local Limiter

	mu       sync.RWMutex // guards keys; a known key is read under the read lock
	keys     map[string]*shared
	inflight sync.WaitGroup
}

// shared is one key's reconciliation state. Its fields are atomic, so that the requests of one
// key on every core never wait for each other: the one whose request makes a report due wins
// the inflight flag and sends it.
type shared struct {
	perMinute   int
	pending     atomic.Int64 // admitted locally, not yet reported
	reportedAt  atomic.Int64 // unix nanoseconds: when the last report started
	inflight    atomic.Bool
	deniedUntil atomic.Int64 // unix nanoseconds: Redis said the shared budget is spent until then
	used        atomic.Int64 // unix nanoseconds of the last request
}

// NewRedis returns a limiter over client whose local decisions are local's (nil: a
// Memory limiter with default options).
func NewRedis(opts RedisOptions, client redis.UniversalClient, local Limiter) *Redis {
	if opts.Timeout <= 0 {
		opts.Timeout = 100 * time.Millisecond
	}
	if opts.SyncEvery <= 0 {
		opts.SyncEvery = 1000
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = 50 * time.Millisecond
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if local == nil {
		local = NewMemory(MemoryOptions{MaxKeys: opts.MaxKeys, Now: opts.Now})
	}
	return &Redis{opts: opts, lim: redis_rate.NewLimiter(client), local: local, keys: make(map[string]*shared)}
}

var _ Limiter = (*Redis)(nil)

// Allow implements Limiter. It never waits on Redis; an error comes only from the local limiter.
func (l *Redis) Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration, error) {
	if perMinute <= 0 {
		return true, 0, nil
	}
	now := l.opts.Now()
	l.mu.RLock()
	sh, ok := l.keys[key]
	l.mu.RUnlock()
	if !ok || sh.perMinute != perMinute {
		sh = l.state(key, perMinute, now)
	}
	touch(&sh.used, now.UnixNano())
	if wait := time.Duration(sh.deniedUntil.Load() - now.UnixNano()); wait > 0 {
		return false, wait, nil
	}

	ok, wait, err := l.local.Allow(ctx, key, perMinute)
	if err != nil || !ok {
		return ok, wait, err
	}

	p := sh.pending.Add(1)
	due := p >= int64(l.batch(perMinute)) || time.Duration(now.UnixNano()-sh.reportedAt.Load()) >= l.opts.SyncInterval
	if due && !sh.inflight.Load() && sh.inflight.CompareAndSwap(false, true) {
		l.startReport(key, sh, now)
	}
	return true, 0, nil
}

// startReport sends what key has pending to Redis in the background; the caller has won sh's
// inflight flag, which the report clears.
func (l *Redis) startReport(key string, sh *shared, now time.Time) {
	n := sh.pending.Swap(0)
	if n == 0 {
		sh.inflight.Store(false)
		return
	}
	sh.reportedAt.Store(now.UnixNano())
	l.inflight.Add(1)
	go l.report(key, sh, sh.perMinute, int(n))
}

// state is key's reconciliation state, made anew when the key or its limit is new.
func (l *Redis) state(key string, perMinute int, now time.Time) *shared {
	l.mu.Lock()
	defer l.mu.Unlock()
	sh, ok := l.keys[key]
	if !ok || sh.perMinute != perMinute {
		if !ok && len(l.keys) >= l.opts.MaxKeys {
			evictIdle(l.keys, now, 10*time.Minute, l.opts.MaxKeys, func(s *shared) time.Time { return time.Unix(0, s.used.Load()) })
		}
		sh = &shared{perMinute: perMinute}
		sh.used.Store(now.UnixNano())
		l.keys[key] = sh
	}
	return sh
}

// batch is how many requests a key admits between reports.
func (l *Redis) batch(perMinute int) int {
	return max(1, min(l.opts.SyncEvery, perMinute/100))
}

// report spends n requests of key's shared budget in Redis, on a context of its own (the request
// that triggered it does not wait for it). Redis charges what is left of the budget; if that is
// less than n, the budget is spent and the key is refused here until it refills.
func (l *Redis) report(key string, sh *shared, perMinute, n int) {
	defer l.inflight.Done()
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout)
	defer cancel()
	// The key's GCRA state lives under the key id's hash tag (internal/rediskey). redis_rate
	// adds its own "rate:" in front, so the tag still decides the Cluster slot.
	res, err := l.lim.AllowAtMost(ctx, rediskey.Key(l.opts.Prefix, key, "rl"), redis_rate.PerMinute(perMinute), n)
	defer sh.inflight.Store(false)
	if err != nil {
		// These requests stay uncounted in Redis: rate limiting must never take the service
		// down, and the local limiter kept each replica within the limit meanwhile.
		l.opts.Logger.Warn("rate limit: redis failed, deciding in process", "err", err.Error())
		if l.opts.OnFallback != nil {
			l.opts.OnFallback()
		}
		return
	}
	if res.Allowed >= n {
		return
	}
	wait := res.RetryAfter
	if wait <= 0 { // the budget is exactly spent: the next request fits after one emission interval
		wait = time.Minute / time.Duration(perMinute)
	}
	sh.deniedUntil.Store(l.opts.Now().Add(wait).UnixNano())
}

// Flush reports every key's pending requests to Redis and waits until no report is in flight
// (or ctx is done): for a graceful shutdown once traffic has stopped, and for tests that need
// the shared state settled.
func (l *Redis) Flush(ctx context.Context) {
	now := l.opts.Now()
	l.mu.RLock()
	for key, sh := range l.keys {
		if sh.pending.Load() > 0 && sh.inflight.CompareAndSwap(false, true) {
			l.startReport(key, sh, now)
		}
	}
	l.mu.RUnlock()
	done := make(chan struct{})
	go func() { l.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
