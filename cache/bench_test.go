package cache

import (
	"context"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testclock"
)

// BenchmarkHitPath measures what serves every marketplace fetch: Snapshot then Output on a warm
// L1, memory-only and in front of Redis (where a version check reaches Redis once a second).
func BenchmarkHitPath(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			clk := testclock.New(time.Now()) // the syncer stamps snapshots as fetched now, by the real clock
			opts := testOptions(clk)
			opts.Now = time.Now
			c := newTestCache(b, opts, startRedis(b, be.redis), newScript(clk, 500))
			ctx := context.Background()
			snap, _ := mustSnapshot(b, c, "t1")
			key := OutputKey{Tenant: "t1", Feed: "google", Format: "google-vehicle-ads@1"}
			var rd renderer
			render := rd.for_(snap)
			if _, _, err := c.Output(ctx, key, snap, render); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s, _, err := c.Snapshot(ctx, "t1")
					if err != nil {
						b.Fatal(err)
					}
					if _, _, err := c.Output(ctx, key, s, render); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
