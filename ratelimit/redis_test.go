package ratelimit

import (
	"github.com/feedgate/feedgate/internal/rediskey"

	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/feedgate/feedgate/internal/testredis"
)

// newReplicaLimiters builds n Rediss sharing one Redis, each with its own connection pool
// and its own local limiter on a frozen clock, as n replicas would be.
func newReplicaLimiters(t *testing.T, srv *testredis.Server, n int, opts RedisOptions) []*Redis {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opts.Now = func() time.Time { return now }
	if opts.Prefix == "" {
		opts.Prefix = "test:" + t.Name() + ":"
	}
	out := make([]*Redis, n)
	for i := range out {
		local := NewMemory(MemoryOptions{Now: opts.Now})
		out[i] = NewRedis(opts, srv.Client(), local)
	}
	return out
}

// settle waits for every report in flight, so that a test's requests and reports interleave in
// one fixed order.
func settle(ls ...*Redis) {
	for _, l := range ls {
		l.inflight.Wait()
	}
}

func TestRedisSharesTheLimitAcrossReplicas(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		replicas  int
		perMinute int
		syncEvery int
	}{
		{"two replicas, batches of 5", 2, 1000, 5},
		{"three replicas, batches of 8", 3, 900, 8},
		{"two replicas, a hundredth of the limit per batch", 2, 600, 1000},
		{"two replicas, small limit reconciles every request", 2, 10, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls := newReplicaLimiters(t, srv, tc.replicas, RedisOptions{SyncEvery: tc.syncEvery, SyncInterval: time.Hour})
			batch := ls[0].batch(tc.perMinute)
			start := time.Now()
			admitted, perReplica := 0, make([]int, tc.replicas)
			var lastRefusal decision
			for i := range 4 * tc.perMinute {
				r := i % tc.replicas
				d, err := allow(ls[r], ctx, "k", tc.perMinute)
				if err != nil {
					t.Fatal(err)
				}
				if d.Allowed {
					admitted++
					perReplica[r]++
				} else {
					lastRefusal = d
				}
				settle(ls...)
			}
			// Redis's GCRA runs on Redis's clock, which kept refilling while the test ran.
			refill := int(math.Ceil(time.Since(start).Minutes() * float64(tc.perMinute)))
			tolerance := tc.replicas * batch // docs/gateway.md: R replicas × one batch each
			if admitted < tc.perMinute || admitted > tc.perMinute+tolerance+refill {
				t.Errorf("admitted %d (per replica %v), want %d to %d+%d (tolerance)+%d (refill)",
					admitted, perReplica, tc.perMinute, tc.perMinute, tolerance, refill)
			}
			if lastRefusal.RetryAfter <= 0 {
				t.Errorf("a refusal carries no Retry-After: %+v", lastRefusal)
			}
		})
	}
}

func TestRedisFallsBackToLocalLimits(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	var fallbacks atomic.Int32
	ls := newReplicaLimiters(t, srv, 2, RedisOptions{SyncEvery: 1, OnFallback: func() { fallbacks.Add(1) }})
	srv.Stop()
	for _, l := range ls {
		admitted := 0
		for range 30 {
			d, err := allow(l, ctx, "k", 10)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				admitted++
			}
			settle(l)
		}
		if admitted != 10 {
			t.Errorf("with Redis down a replica admitted %d of 30 at 10/min, want its local 10", admitted)
		}
	}
	if fallbacks.Load() == 0 {
		t.Error("failed reconciliations were not counted")
	}

	// Redis back: the shared budget applies again (one replica's 10 are spent locally, so a fresh
	// key shows it).
	srv.Restart()
	admitted := 0
	for i := range 40 {
		if d, _ := allow(ls[i%2], ctx, "fresh", 10); d.Allowed {
			admitted++
		}
		settle(ls...)
	}
	if admitted < 10 || admitted > 10+2*ls[0].batch(10)+1 {
		t.Errorf("after Redis returned, %d admitted across two replicas at 10/min", admitted)
	}
}

func TestRedisFlushReportsPending(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	ls := newReplicaLimiters(t, srv, 2, RedisOptions{SyncEvery: 50, SyncInterval: time.Hour})
	a, b := ls[0], ls[1]
	start := time.Now()
	for range 60 { // the first request is reported at once, the next 50 as a batch, 9 stay pending
		if d, _ := allow(a, ctx, "k", 6000); !d.Allowed {
			t.Fatal("refused under the limit")
		}
		settle(a)
	}
	a.Flush(ctx)
	// All 60 are now charged in Redis: asking for more than the limit gets what is left (plus
	// the refill while the test ran).
	res, err := b.lim.AllowAtMost(ctx, rediskey.Key(b.opts.Prefix, "k", "rl"), redis_rate.PerMinute(6000), 10000)
	if err != nil {
		t.Fatal(err)
	}
	refill := int(math.Ceil(time.Since(start).Minutes() * 6000))
	if res.Allowed < 6000-60 || res.Allowed > 6000-60+refill {
		t.Errorf("Redis had %d left of 6000 after 60 reported (refill up to %d)", res.Allowed, refill)
	}
	if d, _ := allow(a, ctx, "none", 0); !d.Allowed {
		t.Error("a zero limit means no limit")
	}
}

// decision is one answer of a limiter, for tests that keep it.
type decision struct {
	Allowed    bool
	RetryAfter time.Duration
}

func allow(l Limiter, ctx context.Context, key string, perMinute int) (decision, error) {
	ok, wait, err := l.Allow(ctx, key, perMinute)
	return decision{Allowed: ok, RetryAfter: wait}, err
}
