package cache

import (
	"context"
	"testing"
	"time"
)

// TestFreshOutputIsSnapshotAndCachedOutput: the one-call hit answers exactly when Snapshot would
// answer a fresh hit from memory and CachedOutput would find the output, with the same output,
// result and counts; any other answer (stale, invalidated, another version, nothing rendered
// yet) is left to them.
func TestFreshOutputIsSnapshotAndCachedOutput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			r := startRedis(t, b.redis)
			clk, sy, c := setup(t, r, 10)
			ctx := context.Background()
			key := OutputKey{Tenant: "t1", Feed: "google", Format: "google-vehicle-ads@1", Variant: "v"}
			hk := NewHitKey(key)
			var rd renderer
			fresh := func() bool {
				_, _, _, ok := c.FreshOutput(hk)
				return ok
			}

			if fresh() {
				t.Fatal("a hit before anything was loaded")
			}
			snap, _ := mustSnapshot(t, c, "t1")
			if fresh() {
				t.Fatal("a hit before the output was rendered")
			}
			out, _, err := c.Output(ctx, key, snap, rd.for_(snap))
			if err != nil {
				t.Fatal(err)
			}
			mustSnapshot(t, c, "t1") // with Redis, the version check a first load leaves due

			clk.Advance(time.Minute)
			want, wres, ok := c.CachedOutput(key, snap)
			if !ok {
				t.Fatal("CachedOutput misses the rendered output")
			}
			before := c.Counters()
			gsnap, got, res, ok := c.FreshOutput(hk)
			if !ok || gsnap != snap || got != want || got != out || res != wres {
				t.Fatalf("FreshOutput = %v, %+v; want the output CachedOutput found, %+v", ok, res, wres)
			}
			if after := c.Counters(); after.HitsMemory != before.HitsMemory+1 || after.OutputHitsMemory != before.OutputHitsMemory+1 {
				t.Errorf("counted %+v then %+v; want one snapshot hit and one output hit", before, after)
			}

			// An invalidation: Snapshot answers stale, so FreshOutput answers nothing.
			if err := c.Invalidate(ctx, "t1"); err != nil {
				t.Fatal(err)
			}
			if fresh() {
				t.Fatal("a hit after an invalidation")
			}
			idle(t, c, "t1")
			_, _ = mustSnapshot(t, c, "t1")
			idle(t, c, "t1")

			// A new snapshot in service: its output is not rendered yet.
			sy.set(func(s *script) { s.price = 20000 })
			next, err := c.Refresh(ctx, "t1")
			if err != nil {
				t.Fatal(err)
			}
			if next.Version == snap.Version || fresh() {
				t.Fatal("a hit for a version whose output was not rendered")
			}
			if _, _, err := c.Output(ctx, key, next, rd.for_(next)); err != nil {
				t.Fatal(err)
			}
			mustSnapshot(t, c, "t1")
			if !fresh() {
				t.Fatal("no hit once the new version's output is rendered")
			}

			// Past fresh_for: stale, left to Snapshot.
			clk.Advance(5*time.Minute + time.Second)
			if fresh() {
				t.Fatal("a hit past fresh_for")
			}
		})
	}
}
