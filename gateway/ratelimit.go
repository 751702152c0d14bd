package gateway

import (
	"context"
	"sync"
	"time"

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
	if b.lim.AllowN(now, 1) { // unlike ReserveN, allocates nothing
		return Decision{Allowed: true}, nil
	}
	r := b.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return Decision{RetryAfter: d}, nil
}

// evict drops idle keys; if none are idle (a flood of distinct keys), the least recently used
// one goes, so the map stays bounded.
func (m *MemoryLimiter) evict(now time.Time) {
	evictIdle(m.keys, now, m.opts.IdleAfter, m.opts.MaxKeys, func(b *bucket) time.Time { return b.used })
}

// evictIdle drops the entries of keys unused for idle; if that leaves max or more, the least
// recently used one goes too, so a flood of distinct keys cannot grow the map without bound.
func evictIdle[V any](keys map[string]V, now time.Time, idle time.Duration, max int, used func(V) time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, v := range keys {
		at := used(v)
		if now.Sub(at) >= idle {
			delete(keys, k)
			continue
		}
		if oldest == "" || at.Before(oldestAt) {
			oldest, oldestAt = k, at
		}
	}
	if len(keys) >= max && oldest != "" {
		delete(keys, oldest)
	}
}

// Len is the number of keys tracked.
func (m *MemoryLimiter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
