// Package ratelimit holds the per-key rate limiters the gateway uses: a token bucket per key in
// this process (Memory), and a limit shared by every replica through Redis that still decides
// each request in process (Redis). Both implement the gateway's Limiter interface.
package ratelimit

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/feedgate/feedgate/internal/stripe"
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

// Memory is a token bucket per key held in this process: the limit is per replica. The bucket
// refills at perMinute/60 per second and holds perMinute tokens, as redis_rate.PerMinute does,
// and is kept the way redis_rate keeps it (GCRA: one "theoretical arrival time" per key), so both
// limiters agree. That time is one atomic word: a key's requests on every core update it with a
// compare-and-swap and never wait for each other, where a mutex per key (golang.org/x/time/rate)
// made every request of one hot key queue for the others once a feed's hits ran on two cores.
type Memory struct {
	opts MemoryOptions
	mu   stripe.RWMutex // guards keys; a known key is read under one stripe's read lock
	keys map[string]*bucket
}

type bucket struct {
	perMinute int
	interval  int64        // nanoseconds between two requests at the steady rate
	window    int64        // perMinute intervals (a minute, less the division's remainder)
	tat       atomic.Int64 // theoretical arrival time (unix nanoseconds) of the next request
	used      atomic.Int64 // unix nanoseconds of the last request
}

// take admits one request at now unless the bucket is empty, then reporting how long until it
// holds one again. A request is admitted while the theoretical arrival time, pushed one interval
// later, stays within the window (perMinute intervals: the bucket's capacity) of now.
func (b *bucket) take(now int64) (bool, time.Duration) {
	for {
		old := b.tat.Load()
		next := max(old, now) + b.interval
		if wait := next - b.window - now; wait > 0 {
			return false, time.Duration(wait)
		}
		if b.tat.CompareAndSwap(old, next) {
			return true, 0
		}
	}
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
	// Every request of a key reads its bucket: under a read lock, striped so that requests on
	// other cores neither queue for the map nor share the lock's cache line; only a new key or a
	// new limit takes the write lock.
	r := m.mu.RLock()
	b, ok := m.keys[key]
	r.RUnlock()
	if !ok || b.perMinute != perMinute {
		b = m.bucket(key, perMinute, now)
	}
	touch(&b.used, now.UnixNano())
	ok, wait := b.take(now.UnixNano())
	return ok, wait, nil
}

// bucket returns key's bucket for perMinute, made anew when the key or its limit is new. When
// the map is full, idle keys are evicted first; if none are idle (a flood of distinct keys), the
// least recently used one goes, so the map stays bounded.
func (m *Memory) bucket(key string, perMinute int, now time.Time) *bucket {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.keys[key]
	if ok && b.perMinute == perMinute {
		return b // made by a concurrent request
	}
	if !ok && len(m.keys) >= m.opts.MaxKeys {
		evictIdle(m.keys, now, m.opts.IdleAfter, m.opts.MaxKeys, func(b *bucket) time.Time { return time.Unix(0, b.used.Load()) })
	}
	interval := int64(time.Minute) / int64(perMinute)
	b = &bucket{perMinute: perMinute, interval: interval, window: interval * int64(perMinute)}
	b.used.Store(now.UnixNano()) // not idle to an eviction before its first request
	m.keys[key] = b
	return b
}

// touch records a use at now (unix nanoseconds) once the recorded one is a second or more old:
// idleness is judged in minutes, and a word that every request of a hot key wrote would move
// between the cores serving it on each request.
func touch(used *atomic.Int64, now int64) {
	if now-used.Load() >= int64(time.Second) {
		used.Store(now)
	}
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
	r := m.mu.RLock()
	defer r.RUnlock()
	return len(m.keys)
}
