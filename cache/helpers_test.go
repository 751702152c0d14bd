package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/internal/testredis"
	"github.com/feedgate/feedgate/inventory"
)

func newClock() *testclock.Clock { return testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) }

// script is an in-test Syncer: it counts calls, returns n vehicles (priced by price, so content
// can change), and can be made to fail or to block until released.
type script struct {
	clock *testclock.Clock

	calls   atomic.Int32
	started chan struct{} // receives one value per sync that begins

	mu      sync.Mutex
	n       int
	price   float64
	fail    error
	gate    chan struct{} // when set, a sync blocks until it is closed
	ctxErrs []error       // ctx.Err() as each sync returned
}

func newScript(c *testclock.Clock, n int) *script {
	return &script{clock: c, n: n, price: 10000, started: make(chan struct{}, 4096)}
}

func (s *script) set(f func(s *script)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *script) Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error) {
	s.calls.Add(1)
	s.started <- struct{}{}
	s.mu.Lock()
	gate, n, price, fail := s.gate, s.n, s.price, s.fail
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	s.ctxErrs = append(s.ctxErrs, ctx.Err())
	s.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	return inventory.NewSnapshot(tenant, vehicles(n, price), s.clock.Now(), "test"), nil
}

func vehicles(n int, price float64) []inventory.Vehicle {
	vs := make([]inventory.Vehicle, n)
	for i := range vs {
		vs[i] = inventory.Vehicle{
			VIN: fmt.Sprintf("1HGCM82633A%06d", i), Year: 2020, Make: "Honda", Model: "Accord",
			Condition: inventory.Used, Price: inventory.Ptr(price + float64(i)),
		}
	}
	return vs
}

var errUpstream = errors.New("upstream: 503 Service Unavailable")

// testOptions are short, clock-driven settings; the real-time intervals stay small so tests that
// wait for another replica or for Redis to return do not idle.
func testOptions(c *testclock.Clock) Options {
	return Options{
		FreshFor:           5 * time.Minute,
		ServeStaleFor:      time.Hour,
		ShrinkGuard:        0.5,
		ShrinkConfirmAfter: 30 * time.Minute,
		SyncTimeout:        time.Minute,
		NegativeTTL:        20 * time.Second,
		LockTTL:            3 * time.Second,
		FollowerWait:       time.Minute,
		VersionCheckEvery:  time.Second,
		RedisTimeout:       time.Second,
		Now:                c.Now,
	}
}

// newTestCache builds a Cache over a fresh Memory and, when r is non-nil, a Redis store on it.
func newTestCache(t testing.TB, opts Options, r *testredis.Server, s Syncer) *Cache {
	t.Helper()
	var l2 *Redis
	if r != nil {
		l2 = NewRedis(r.Client(), RedisOptions{Prefix: "test:"})
	}
	c, err := New(opts, NewMemory(MemoryOptions{}), l2, s)
	if err != nil {
		t.Fatal(err)
	}
	c.followPoll = 5 * time.Millisecond
	c.probeEvery = 20 * time.Millisecond
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// setup makes a clock, a syncer returning n vehicles and a Cache over them (and over r when it
// is non-nil).
func setup(t testing.TB, r *testredis.Server, n int) (*testclock.Clock, *script, *Cache) {
	t.Helper()
	clk := newClock()
	s := newScript(clk, n)
	return clk, s, newTestCache(t, testOptions(clk), r, s)
}

// eventually polls cond until it holds; the bound only keeps a broken test from hanging.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// idle waits until no load of tenant runs in c.
func idle(t testing.TB, c *Cache, tenant string) {
	t.Helper()
	st := c.state(tenant)
	eventually(t, "background loads finished", func() bool {
		return st.inflight.Load() == 0 && !st.refreshing.Load()
	})
}

func mustSnapshot(t testing.TB, c *Cache, tenant string) (*inventory.Snapshot, Result) {
	t.Helper()
	s, res, err := c.Snapshot(context.Background(), tenant)
	if err != nil {
		t.Fatalf("Snapshot(%s): %v", tenant, err)
	}
	if s == nil || s.Len() == 0 {
		t.Fatalf("Snapshot(%s) served an empty snapshot", tenant)
	}
	return s, res
}

// backends runs a test once memory-only and once over a real Redis.
var backends = []struct {
	name  string
	redis bool
}{{"memory", false}, {"redis", true}}

func startRedis(t testing.TB, want bool) *testredis.Server {
	if !want {
		return nil
	}
	return testredis.Start(t)
}
