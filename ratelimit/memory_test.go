package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(MemoryOptions{MaxKeys: 2, IdleAfter: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	for i, want := range []bool{true, true, true, false} {
		allowed, retryAfter, _ := m.Allow(ctx, "a", 3)
		if allowed != want {
			t.Fatalf("request %d: allowed %v", i+1, allowed)
		}
		if !want && (retryAfter <= 0 || retryAfter > 20*time.Second) {
			t.Errorf("RetryAfter %v, want up to 20s (one token at 3/min)", retryAfter)
		}
	}
	now = now.Add(20 * time.Second) // one token back
	if allowed, _, _ := m.Allow(ctx, "a", 3); !allowed {
		t.Error("a refilled token was refused")
	}
	_, _, _ = m.Allow(ctx, "b", 3)
	_, _, _ = m.Allow(ctx, "c", 3) // over MaxKeys: the least recently used goes
	if m.Len() != 2 {
		t.Errorf("%d keys tracked, bound is 2", m.Len())
	}
	if allowed, _, _ := m.Allow(ctx, "z", 0); !allowed {
		t.Error("a zero limit means no limit")
	}
}

// TestMemoryLimiterConcurrent spends one key's budget from many goroutines at one instant: the
// bucket admits exactly its capacity, however the compare-and-swaps interleave.
func TestMemoryLimiterConcurrent(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(MemoryOptions{Now: func() time.Time { return now }})
	const perMinute, goroutines, each = 700_001, 16, 50_000 // a minute is not a multiple of 1/700,001 of it
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if ok, _, _ := m.Allow(context.Background(), "hot", perMinute); ok {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != perMinute {
		t.Errorf("%d of %d requests admitted at one instant, want the capacity %d", got, goroutines*each, perMinute)
	}
}
