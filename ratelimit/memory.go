// Package ratelimit holds the per-key rate limiters the gateway uses: a token bucket per key in
// this process (Memory), and a limit shared by every replica through Redis that still decides
// each request in process (Redis). Both implement the gateway's Limiter interface.
package ratelimit

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter decides whether one more request under a key fits its per-minute budget: the shape
// of gateway.Limiter, which both limiters here implement.
type Limiter interface {
	// Allow spends one request of key's budget; when it is spent, retryAfter says when to try
	// again. An error means the limiter could not decide; the caller lets the request through.
	Allow(ctx context.Context, key string, perMinute int) (allowed bool, retryAfter time.Duration, err error)
}

// MemoryOptions configures a Memory.
type MemoryOptions struct {
	// MaxKeys bounds the number of keys tracked; when full, idle keys are evicted (default 10000).
	MaxKeys int
	// IdleAfter is how long a key must go unused before it may be evicted (default 10m).
	IdleAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Memory is a token bucket per key (golang.org/x/time/rate) held in this process: the
// limit is per replica. The bucket refills at perMinute/60 per second and holds perMinute
// tokens, as redis_rate.PerMinute does, so both limiters agree.
type Memory struct {
	opts MemoryOptions
	mu   sync.Mutex
	keys map[string]*bucket
}

type bucket struct {
	lim       *rate.Limiter
	perMinute int
	used      time.Time
}

// NewMemory returns an empty Memory limiter.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 10000
	}
	if opts.IdleAfter <= 0 {
		opts.IdleAfter = 10 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Memory{opts: opts, keys: make(map[string]*bucket)}
}

var _ Limiter = (*Memory)(nil)

// Allow implements Limiter; it never fails.
func (m *Memory) Allow(_ context.Context, key string, perMinute int) (bool, time.Duration, error) {
	if perMinute <= 0 {
		return true, 0, nil
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
		return true, 0, nil
	}
	r := b.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return false, d, nil
}

// evict drops idle keys; if none are idle (a flood of distinct keys), the least recently used
// one goes, so the map stays bounded.
func (m *Memory) evict(now time.Time) {
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
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
