package ratelimit

import (
	"github.com/feedgate/feedgate/internal/rediskey"

	"context"
	"log/slog"
	"sync"
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

	mu       sync.Mutex
	keys     map[string]*shared
	inflight sync.WaitGroup
}

// shared is one key's reconciliation state.
type shared struct {
	perMinute   int
	pending     int       // admitted locally, not yet reported
	reportedAt  time.Time // when the last report started
	inflight    bool
	deniedUntil time.Time // Redis said the shared budget is spent until then
	used        time.Time
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
	l.mu.Lock()
	sh := l.state(key, perMinute, now)
	if wait := sh.deniedUntil.Sub(now); wait > 0 {
		l.mu.Unlock()
		return false, wait, nil
	}
	l.mu.Unlock()

	ok, wait, err := l.local.Allow(ctx, key, perMinute)
	if err != nil || !ok {
		return ok, wait, err
	}

	l.mu.Lock()
	sh.pending++
	n := 0
	if !sh.inflight && (sh.pending >= l.batch(perMinute) || now.Sub(sh.reportedAt) >= l.opts.SyncInterval) {
		n = sh.pending
		sh.pending, sh.inflight, sh.reportedAt = 0, true, now
		l.inflight.Add(1)
	}
	l.mu.Unlock()
	if n > 0 {
		go l.report(key, sh, perMinute, n)
	}
	return true, 0, nil
}

// state is key's reconciliation state, new when the key or its limit is; l.mu is held.
func (l *Redis) state(key string, perMinute int, now time.Time) *shared {
	sh, ok := l.keys[key]
	if !ok || sh.perMinute != perMinute {
		if !ok && len(l.keys) >= l.opts.MaxKeys {
			evictIdle(l.keys, now, 10*time.Minute, l.opts.MaxKeys, func(s *shared) time.Time { return s.used })
		}
		sh = &shared{perMinute: perMinute}
		l.keys[key] = sh
	}
	sh.used = now
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
	l.mu.Lock()
	defer l.mu.Unlock()
	sh.inflight = false
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
	sh.deniedUntil = l.opts.Now().Add(wait)
}

// Flush reports every key's pending requests to Redis and waits until no report is in flight
// (or ctx is done): for a graceful shutdown once traffic has stopped, and for tests that need
// the shared state settled.
func (l *Redis) Flush(ctx context.Context) {
	now := l.opts.Now()
	l.mu.Lock()
	for key, sh := range l.keys {
		if sh.inflight || sh.pending == 0 {
			continue
		}
		n := sh.pending
		sh.pending, sh.inflight, sh.reportedAt = 0, true, now
		l.inflight.Add(1)
		go l.report(key, sh, sh.perMinute, n)
	}
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
