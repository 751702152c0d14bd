package cache

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestRedisOutageServesFromMemoryAndRecovers(t *testing.T) {
	r := startRedis(t, true)
	clk := newClock()
	s := newScript(clk, 10)
	c := newTestCache(t, testOptions(clk), r, s)
	mustSnapshot(t, c, "t1")
	if c.Degraded() {
		t.Fatal("degraded with Redis up")
	}

	r.Stop()
	clk.Advance(2 * time.Second) // the next hit checks Redis and finds it gone
	if _, res := mustSnapshot(t, c, "t1"); res.Outcome != Hit {
		t.Fatalf("hit with Redis down: %v", res)
	}
	if !c.Degraded() {
		t.Fatal("not degraded with Redis down")
	}
	// Stale, then a refresh from upstream without Redis, then a cold tenant: all still served,
	// and concurrent cold requests still make one sync.
	clk.Advance(6 * time.Minute)
	mustSnapshot(t, c, "t1")
	idle(t, c, "t1")
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { mustSnapshot(t, c, "t2") })
	}
	wg.Wait()
	if got := s.calls.Load(); got != 3 {
		t.Fatalf("syncs = %d, want 3 (t1 twice, t2 once)", got)
	}

	r.Restart()
	eventually(t, "the cache leaves degraded mode", func() bool { return !c.Degraded() })
	clk.Advance(6 * time.Minute)
	mustSnapshot(t, c, "t1")
	idle(t, c, "t1")
	n, err := r.Client().Exists(context.Background(), "test:{t1}:snap", "test:{t1}:ver").Result()
	if err != nil || n != 2 {
		t.Fatalf("after recovery the refreshed snapshot is not in Redis: %d %v", n, err)
	}
	if c.Counters().RedisErrors == 0 {
		t.Fatal("redis errors not counted")
	}
}

func TestRedisLockOwnership(t *testing.T) {
	r := startRedis(t, true)
	st := NewRedis(r.Client(), RedisOptions{Prefix: "p:"})
	ctx := context.Background()
	key := st.Key("t1", "lock")
	if key != "p:{t1}:lock" {
		t.Fatalf("key = %q", key)
	}
	a, ok, err := st.TryLock(ctx, key, time.Minute)
	if err != nil || !ok {
		t.Fatalf("first TryLock: %v %v", ok, err)
	}
	if _, ok, err := st.TryLock(ctx, key, time.Minute); err != nil || ok {
		t.Fatalf("second TryLock while held: %v %v", ok, err)
	}
	// An owner whose lock expired and was taken by another cannot renew or release it.
	r.Client().Del(ctx, key)
	b, ok, _ := st.TryLock(ctx, key, time.Minute)
	if !ok {
		t.Fatal("TryLock after expiry failed")
	}
	if ok, err := a.Renew(ctx); err != nil || ok {
		t.Fatalf("stale owner renewed: %v %v", ok, err)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := st.Get(ctx, key); !ok || string(v) != b.token {
		t.Fatal("stale owner's release deleted the new owner's lock")
	}
	if ok, err := b.Renew(ctx); err != nil || !ok {
		t.Fatalf("owner renew: %v %v", ok, err)
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Get(ctx, key); ok {
		t.Fatal("owner's release left the lock")
	}
	if v, ok, err := st.Get(ctx, "p:{t1}:missing"); v != nil || ok || err != nil {
		t.Fatalf("miss = (%v, %v, %v), want (nil, false, nil)", v, ok, err)
	}
}
