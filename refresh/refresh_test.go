package refresh_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/internal/testredis"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/refresh"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// counting is an upstream that counts syncs and can fail with a Retry-After.
type counting struct {
	syncs      atomic.Int32
	retryAfter atomic.Int32 // seconds; > 0 makes every sync fail with a 429
}

func (c *counting) Sync(_ context.Context, tenant string, _ *inventory.Snapshot) (*inventory.Snapshot, error) {
	c.syncs.Add(1)
	if ra := c.retryAfter.Load(); ra > 0 {
		return nil, &inventory.Error{Code: inventory.ERateLimited, Message: "slow down",
			Details: map[string]any{inventory.DetailRetryAfter: int(ra)}}
	}
	return inventory.NewSnapshot(tenant, hriznsim.Generate(1, 5), time.Now(), "test"), nil
}

func newCache(t *testing.T, freshFor time.Duration, up cache.Syncer, r *testredis.Server) *cache.Cache {
	t.Helper()
	var l2 *cache.Redis
	if r != nil {
		l2 = cache.NewRedis(r.Client(), cache.RedisOptions{Prefix: "t:"})
	}
	c, err := cache.New(cache.Options{FreshFor: freshFor, ServeStaleFor: time.Hour, NegativeTTL: time.Millisecond}, nil, l2, up)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newScheduler(t *testing.T, c *cache.Cache, opts refresh.Options) *refresh.Scheduler {
	t.Helper()
	s, err := refresh.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// TestReadersNeverSeeStale: with the schedule running, every read over several freshness windows
// is a fresh hit, and the upstream is asked about once per window, not once per read.
func TestReadersNeverSeeStale(t *testing.T) {
	up := &counting{}
	const freshFor = 600 * time.Millisecond
	c := newCache(t, freshFor, up, nil)
	s := newScheduler(t, c, refresh.Options{Ahead: 300 * time.Millisecond})
	s.Set([]string{"a", "b"})
	deadline := time.Now().Add(5 * time.Second)
	for c.Status("a").Count == 0 || c.Status("b").Count == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the schedule never synced the tenants")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := up.syncs.Load()
	reads, stale := 0, 0
	end := time.Now().Add(5 * freshFor)
	for time.Now().Before(end) {
		for _, tenant := range []string{"a", "b"} {
			_, res, err := c.Snapshot(context.Background(), tenant)
			if err != nil {
				t.Fatal(err)
			}
			reads++
			if res.Outcome != cache.Hit || res.TTL <= 0 {
				stale++
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if stale > 0 {
		t.Errorf("%d of %d reads were not fresh hits", stale, reads)
	}
	syncs := int(up.syncs.Load() - start)
	if syncs < 2*4 || syncs > 2*12 {
		t.Errorf("%d syncs for 2 tenants over 5 windows, want about one per tenant per window", syncs)
	}
	if st, ok := s.Status("a"); !ok || st.Next.IsZero() || st.LastSuccess.IsZero() {
		t.Errorf("status %+v, %v", st, ok)
	}
}

// TestTriggerDebounces: a burst of requested refreshes makes one sync.
func TestTriggerDebounces(t *testing.T) {
	up := &counting{}
	c := newCache(t, time.Hour, up, nil)
	s := newScheduler(t, c, refresh.Options{Debounce: 200 * time.Millisecond})
	s.Set([]string{"a"})
	waitFor(t, func() bool { return up.syncs.Load() == 1 })
	for range 20 {
		if !s.Trigger("a") {
			t.Fatal("Trigger refused a scheduled tenant")
		}
	}
	waitFor(t, func() bool { return up.syncs.Load() >= 2 })
	time.Sleep(600 * time.Millisecond)
	if n := up.syncs.Load(); n != 2 {
		t.Errorf("20 triggers made %d syncs, want 1", n-1)
	}
	if s.Trigger("unknown") {
		t.Error("Trigger accepted a tenant it does not run")
	}
}

// TestRetryAfterIsHonoured: a 429 with Retry-After: 3600 is not retried every few seconds.
func TestRetryAfterIsHonoured(t *testing.T) {
	up := &counting{}
	up.retryAfter.Store(3600)
	c := newCache(t, time.Minute, up, nil)
	s := newScheduler(t, c, refresh.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	s.Set([]string{"a"})
	waitFor(t, func() bool { st, _ := s.Status("a"); return st.LastError != "" })
	time.Sleep(300 * time.Millisecond)
	if n := up.syncs.Load(); n != 1 {
		t.Errorf("%d syncs after a Retry-After of an hour, want 1", n)
	}
	st, _ := s.Status("a")
	if st.Backoff < time.Hour || time.Until(st.Next) < 50*time.Minute {
		t.Errorf("backoff %v, next in %v; want the hour the upstream asked for", st.Backoff, time.Until(st.Next))
	}
}

// TestReplicasShareOneSyncPerWindow: three schedulers over three caches sharing Redis make about
// one sync per window between them, not three.
func TestReplicasShareOneSyncPerWindow(t *testing.T) {
	r := testredis.Start(t)
	up := &counting{}
	const freshFor = 500 * time.Millisecond
	for range 3 {
		c := newCache(t, freshFor, up, r)
		newScheduler(t, c, refresh.Options{Ahead: 200 * time.Millisecond}).Set([]string{"a"})
	}
	time.Sleep(6 * freshFor)
	// One replica alone refreshes every FreshFor-Ahead (300 to 350 ms here): about 10 syncs in
	// 3 s. Three uncoordinated replicas would make about 30.
	if n := up.syncs.Load(); n < 5 || n > 13 {
		t.Errorf("three replicas made %d syncs in 3 s, want about 10 (one replica's cadence)", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
