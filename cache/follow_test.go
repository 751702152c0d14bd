package cache

import (
	"context"
	"testing"
	"time"
)

// TestFollowerWaitsForALiveLeader: a replica whose cold request waits for another replica's sync
// keeps waiting while that sync's lock is alive and renewed, however much longer than
// FollowerWait the sync takes, and then serves its result (before, it gave up after FollowerWait
// and answered 503 while the leader was healthy).
func TestFollowerWaitsForALiveLeader(t *testing.T) {
	r := startRedis(t, true)
	clk := newClock()
	slow := newScript(clk, 20)
	gate := make(chan struct{})
	slow.set(func(s *script) { s.gate = gate })
	opts := testOptions(clk)
	opts.LockTTL, opts.FollowerWait = 300*time.Millisecond, 200*time.Millisecond
	leader := newTestCache(t, opts, r, slow)
	follower := newTestCache(t, opts, r, newScript(clk, 20))

	go func() { _, _ = leader.Refresh(context.Background(), "t") }()
	<-slow.started // the leader holds the lock and syncs
	done := make(chan error, 1)
	go func() {
		_, _, err := follower.Snapshot(context.Background(), "t")
		done <- err
	}()
	time.Sleep(5 * opts.FollowerWait) // the sync outlasts FollowerWait several times over
	select {
	case err := <-done:
		t.Fatalf("the follower gave up while the leader's sync was alive: %v", err)
	default:
	}
	close(gate)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the follower failed: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the follower never got the leader's snapshot")
	}
	if n := follower.Counters().Syncs; n != 0 {
		t.Errorf("the follower synced %d times itself", n)
	}
}
