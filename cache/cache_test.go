package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

func TestColdRequestsMakeOneSync(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			_, s, c := setup(t, startRedis(t, b.redis), 50)

			const n = 1000
			var wg sync.WaitGroup
			versions := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					snap, _, err := c.Snapshot(context.Background(), "t1")
					errs[i] = err
					if snap != nil {
						versions[i] = snap.Version
					}
				})
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil || versions[i] != versions[0] {
					t.Fatalf("request %d: version %q err %v; want %q", i, versions[i], errs[i], versions[0])
				}
			}
			if got := s.calls.Load(); got != 1 {
				t.Fatalf("syncs = %d, want 1", got)
			}
		})
	}
}

func TestReplicasSharingRedisMakeOneSync(t *testing.T) {
	r := startRedis(t, true)
	clk := newClock()
	s := newScript(clk, 50)
	gate := make(chan struct{})
	s.set(func(s *script) { s.gate = gate })
	a := newTestCache(t, testOptions(clk), r, s)
	b := newTestCache(t, testOptions(clk), r, s)

	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			if _, _, err := c.Snapshot(context.Background(), "t1"); err != nil {
				errs <- err
			}
		})
	}
	<-s.started
	// Hold the sync until the other replica is seen following the lock holder.
	eventually(t, "one replica follows the other", func() bool {
		return a.Counters().LockWaits+b.Counters().LockWaits > 0
	})
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := s.calls.Load(); got != 1 {
		t.Fatalf("syncs across two replicas = %d, want 1", got)
	}
	sa, _ := mustSnapshot(t, a, "t1")
	sb, _ := mustSnapshot(t, b, "t1")
	if sa.Version != sb.Version {
		t.Fatalf("replicas serve %s and %s", sa.Version, sb.Version)
	}
}

func TestStaleServedAtOnceWhileOneRefreshRuns(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			clk, s, c := setup(t, startRedis(t, b.redis), 20)
			old, _ := mustSnapshot(t, c, "t1")
			<-s.started

			gate := make(chan struct{})
			s.set(func(s *script) { s.gate, s.price = gate, 20000 })
			clk.Advance(6 * time.Minute)
			// Every read returns while the refresh is still blocked upstream: served at once.
			for range 100 {
				snap, res, err := c.Snapshot(context.Background(), "t1")
				if err != nil || snap.Version != old.Version || res.Outcome != Stale {
					t.Fatalf("got %v %v %v; want the stale copy", snap.Version, res, err)
				}
				if res.TTL >= 0 {
					t.Fatalf("stale TTL = %v, want negative", res.TTL)
				}
			}
			<-s.started // the refresh is running
			if got := s.calls.Load(); got != 2 {
				t.Fatalf("syncs = %d, want 2 (one refresh)", got)
			}
			if !c.Status("t1").InFlight {
				t.Fatal("status does not show the refresh in flight")
			}
			close(gate)
			idle(t, c, "t1")
			snap, res := mustSnapshot(t, c, "t1")
			if snap.Version == old.Version || res.Outcome != Hit {
				t.Fatalf("after refresh: %s %v, want the new version as a hit", snap.Version, res)
			}
			if got := c.Counters().StaleServes; got != 100 {
				t.Fatalf("stale serves = %d, want 100", got)
			}
		})
	}
}

func TestCallerCancelDoesNotCancelSharedSync(t *testing.T) {
	clk := newClock()
	s := newScript(clk, 10)
	gate := make(chan struct{})
	s.set(func(s *script) { s.gate = gate })
	c := newTestCache(t, testOptions(clk), nil, s)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, _, err := c.Snapshot(ctx, "t1")
		done <- err
	}()
	<-s.started
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || inventory.ErrorCode(err) != inventory.EUnavailable {
		t.Fatalf("cancelled caller got %v", err)
	}
	close(gate)
	idle(t, c, "t1")
	mustSnapshot(t, c, "t1")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ctxErrs) != 1 || s.ctxErrs[0] != nil {
		t.Fatalf("the sync saw ctx errors %v, want one sync with a live context", s.ctxErrs)
	}
	if s.calls.Load() != 1 {
		t.Fatalf("syncs = %d, want 1", s.calls.Load())
	}
}

func TestUpstreamDownServesStaleUntilTheLimit(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			clk, s, c := setup(t, startRedis(t, b.redis), 10)
			good, _ := mustSnapshot(t, c, "t1")
			s.set(func(s *script) { s.fail = errUpstream })

			for _, step := range []time.Duration{6 * time.Minute, 20 * time.Minute, 30 * time.Minute} {
				clk.Advance(step)
				snap, res := mustSnapshot(t, c, "t1")
				if snap.Version != good.Version || res.Outcome != Stale {
					t.Fatalf("after %v: %s %v, want the last good snapshot, stale", step, snap.Version, res)
				}
				idle(t, c, "t1")
			}
			st := c.Status("t1")
			if st.LastSyncOK || st.LastSyncError == "" || st.ConsecutiveFailures == 0 {
				t.Fatalf("status does not report the failure: %+v", st)
			}
			clk.Advance(10 * time.Minute) // past serve_stale_for (1h)
			snap, _, err := c.Snapshot(context.Background(), "t1")
			if snap != nil || inventory.ErrorCode(err) != inventory.EUnavailable || !errors.Is(err, errUpstream) {
				t.Fatalf("past the limit: %v, %v; want no snapshot and upstream_unavailable", snap, err)
			}
		})
	}
}

func TestNegativeCacheLimitsSyncAttempts(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			clk := newClock()
			s := newScript(clk, 10)
			s.set(func(s *script) { s.fail = errUpstream })
			r := startRedis(t, b.redis)
			c := newTestCache(t, testOptions(clk), r, s)
			replicas := []*Cache{c}
			if r != nil {
				replicas = append(replicas, newTestCache(t, testOptions(clk), r, s))
			}
			for i := range 20 {
				_, _, err := replicas[i%len(replicas)].Snapshot(context.Background(), "t1")
				if inventory.ErrorCode(err) != inventory.EUnavailable {
					t.Fatalf("request %d: %v, want upstream_unavailable", i, err)
				}
			}
			if got := s.calls.Load(); got != 1 {
				t.Fatalf("syncs while negative = %d, want 1", got)
			}
			clk.Advance(21 * time.Second)
			if r != nil {
				r.Client().Del(context.Background(), "test:{t1}:neg") // Redis expires it in real time
			}
			s.set(func(s *script) { s.fail = nil })
			mustSnapshot(t, c, "t1")
			if got := s.calls.Load(); got != 2 {
				t.Fatalf("syncs after the negative TTL = %d, want 2", got)
			}
		})
	}
}

func TestResyncWithSameContentKeepsModifiedAt(t *testing.T) {
	clk, _, c := setup(t, nil, 10)
	first, _ := mustSnapshot(t, c, "t1")
	clk.Advance(time.Hour + time.Minute) // past serve_stale_for: a blocking re-sync
	again, res := mustSnapshot(t, c, "t1")
	if res.Outcome != Miss || !again.FetchedAt.After(first.FetchedAt) {
		t.Fatalf("re-sync: %v fetched %v", res, again.FetchedAt)
	}
	if again.Version != first.Version || !again.ModifiedAt.Equal(first.ModifiedAt) {
		t.Fatalf("same content: modified %v → %v", first.ModifiedAt, again.ModifiedAt)
	}
}

func TestRefreshAndInvalidate(t *testing.T) {
	r := startRedis(t, true)
	clk, s, a := setup(t, r, 10)
	b := newTestCache(t, testOptions(clk), r, s)
	old, _ := mustSnapshot(t, a, "t1")
	mustSnapshot(t, b, "t1")

	// A forced refresh on one replica reaches the other through the version key.
	s.set(func(s *script) { s.price = 30000 })
	clk.Advance(time.Second)
	fresh, err := a.Refresh(context.Background(), "t1")
	if err != nil || fresh.Version == old.Version {
		t.Fatalf("Refresh: %v %v", fresh, err)
	}
	clk.Advance(2 * time.Second)
	got, res := mustSnapshot(t, b, "t1")
	if got.Version != fresh.Version || res.Outcome != Hit {
		t.Fatalf("replica b serves %s (%v), want %s", got.Version, res, fresh.Version)
	}
	if n := s.calls.Load(); n != 2 {
		t.Fatalf("syncs = %d, want 2", n)
	}

	// Invalidate on a, with no read on a: b's next read after its version check is stale and
	// b refreshes.
	s.set(func(s *script) { s.price = 40000 })
	if err := a.Invalidate(context.Background(), "t1", "1HGCM82633A000001"); err != nil {
		t.Fatal(err)
	}
	if st := a.Status("t1"); !st.Invalidated || !st.Stale {
		t.Fatalf("a's status after Invalidate: %+v", st)
	}
	clk.Advance(2 * time.Second)
	if _, res := mustSnapshot(t, b, "t1"); res.Outcome != Stale {
		t.Fatalf("b after a's Invalidate: %v, want stale", res)
	}
	idle(t, b, "t1")
	if n := s.calls.Load(); n != 3 {
		t.Fatalf("syncs = %d, want 3", n)
	}
	got, res = mustSnapshot(t, b, "t1")
	if got.Version == fresh.Version || res.Outcome != Hit {
		t.Fatalf("b after its refresh: %s %v", got.Version, res)
	}
	// a picks b's refresh up through the version key, without a sync of its own.
	clk.Advance(2 * time.Second)
	if again, res := mustSnapshot(t, a, "t1"); again.Version != got.Version || res.Outcome != Hit {
		t.Fatalf("a serves %s (%v), want b's %s", again.Version, res, got.Version)
	}
	if n := s.calls.Load(); n != 3 {
		t.Fatalf("syncs = %d, want 3", n)
	}
}

// TestOutputsNeverEvictTheLastGoodSnapshot: with no Redis the snapshot exists only in this
// process; rendered outputs filling the L1 budget must not push it out, or a failing upstream
// would turn into a 503 while a good inventory had been in hand.
func TestOutputsNeverEvictTheLastGoodSnapshot(t *testing.T) {
	clk := newClock()
	s := newScript(clk, 50)
	opts := testOptions(clk)
	c, err := New(opts, NewMemory(MemoryOptions{MaxBytes: 64 << 10, Now: opts.Now}), nil, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	good, _ := mustSnapshot(t, c, "t1")

	big := make([]byte, 48<<10) // each output takes most of the budget, evicting the one before
	for i := range 20 {
		key := OutputKey{Tenant: "t1", Feed: fmt.Sprintf("f%d", i), Format: "csv"}
		if _, _, err := c.Output(context.Background(), key, good, func() (Rendered, error) {
			return Rendered{Body: big, ContentType: "text/csv"}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if ev := c.l1.Stats().Evictions; ev == 0 {
		t.Fatal("the outputs did not fill the budget; the test proves nothing")
	}

	s.set(func(s *script) { s.fail = errUpstream })
	clk.Advance(10 * time.Minute) // stale, and upstream fails
	snap, res := mustSnapshot(t, c, "t1")
	if snap.Version != good.Version || res.Outcome != Stale {
		t.Fatalf("got %s %v, want the last good snapshot served stale", snap.Version, res)
	}
	idle(t, c, "t1")
	if calls := s.calls.Load(); calls != 2 {
		t.Fatalf("%d syncs, want the first and one background refresh", calls)
	}
}
