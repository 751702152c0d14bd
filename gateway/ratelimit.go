package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Limiter decides whether one more request under a key fits its per-minute budget.
type Limiter interface {
	// Allow spends one request of key's budget. A Decision that is not Allowed says when to
	// retry. An error means the limiter could not decide; the caller lets the request through.
	Allow(ctx context.Context, key string, perMinute int) (Decision, error)
}

// Decision is a Limiter's answer.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
}

// MemoryLimiterOptions configures a MemoryLimiter.
type MemoryLimiterOptions struct {
	// MaxKeys bounds the number of keys tracked; when full, idle keys are evicted (default 10000).
	MaxKeys int
	// IdleAfter is how long a key must go unused before it may be evicted (default 10m).
	IdleAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// MemoryLimiter is a token bucket per key (golang.org/x/time/rate) held in this process: the
// limit is per replica. The bucket refills at perMinute/60 per second and holds perMinute
// tokens, as redis_rate.PerMinute does, so both limiters agree.
type MemoryLimiter struct {
	opts MemoryLimiterOptions
	mu   sync.Mutex
	keys map[string]*bucket
}

type bucket struct {
	lim       *rate.Limiter
	perMinute int
	used      time.Time
}

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter(opts MemoryLimiterOptions) *MemoryLimiter {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 10000
	}
	if opts.IdleAfter <= 0 {
		opts.IdleAfter = 10 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &MemoryLimiter{opts: opts, keys: make(map[string]*bucket)}
}

var _ Limiter = (*MemoryLimiter)(nil)

// Allow implements Limiter; it never fails.
func (m *MemoryLimiter) Allow(_ context.Context, key string, perMinute int) (Decision, error) {
	if perMinute <= 0 {
		return Decision{Allowed: true}, nil
	}
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.keys[key]
	if !ok || b.perMinute != perMinute {
		if !ok && len(m.keys) >= m.opts.MaxKeys {
			m.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute), perMinute: perMinute}
		m.keys[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return Decision{RetryAfter: d}, nil
	}
	return Decision{Allowed: true}, nil
}

// evict drops idle keys; if none are idle (a flood of distinct keys), the least recently used
// one goes, so the map stays bounded.
func (m *MemoryLimiter) evict(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, b := range m.keys {
		if now.Sub(b.used) >= m.opts.IdleAfter {
			delete(m.keys, k)
			continue
		}
		if oldest == "" || b.used.Before(oldestAt) {
			oldest, oldestAt = k, b.used
		}
	}
	if len(m.keys) >= m.opts.MaxKeys && oldest != "" {
		delete(m.keys, oldest)
	}
}

// Len is the number of keys tracked.
func (m *MemoryLimiter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// RedisLimiterOptions configures a RedisLimiter.
type RedisLimiterOptions struct {
	// Prefix starts every Redis key (the config's redis.key_prefix).
	Prefix string
	// Timeout bounds one Redis round trip (default 100ms): a slow Redis must not slow serving.
	Timeout time.Duration
	// Logger receives one line per Redis failure.
	Logger *slog.Logger
	// OnFallback is called each time Redis fails and the fallback decides (for metrics).
	OnFallback func()
}

// RedisLimiter is a limit shared by every replica (GCRA in Redis via go-redis/redis_rate). When
// Redis fails it falls back to an in-process limiter rather than reject traffic.
type RedisLimiter struct {
	opts     RedisLimiterOptions
	lim      *redis_rate.Limiter
	fallback Limiter
}

// NewRedisLimiter returns a limiter over client, falling back to fallback when Redis errors.
func NewRedisLimiter(opts RedisLimiterOptions, client redis.UniversalClient, fallback Limiter) *RedisLimiter {
	if opts.Timeout <= 0 {
		opts.Timeout = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &RedisLimiter{opts: opts, lim: redis_rate.NewLimiter(client), fallback: fallback}
}

var _ Limiter = (*RedisLimiter)(nil)

// Allow implements Limiter.
func (l *RedisLimiter) Allow(ctx context.Context, key string, perMinute int) (Decision, error) {
	if perMinute <= 0 {
		return Decision{Allowed: true}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.opts.Timeout)
	defer cancel()
	// A cluster keeps each key's GCRA state in the slot of its hash tag.
	res, err := l.lim.Allow(ctx, l.opts.Prefix+"rl:{"+key+"}", redis_rate.PerMinute(perMinute))
	if err != nil {
		l.opts.Logger.Warn("rate limit: redis failed, using the in-process limiter", "err", err.Error())
		if l.opts.OnFallback != nil {
			l.opts.OnFallback()
		}
		d, ferr := l.fallback.Allow(ctx, key, perMinute)
		if ferr != nil {
			return Decision{Allowed: true}, fmt.Errorf("gateway: rate limit: %w", ferr)
		}
		return d, nil
	}
	if res.Allowed > 0 {
		return Decision{Allowed: true}, nil
	}
	return Decision{RetryAfter: res.RetryAfter}, nil
}
