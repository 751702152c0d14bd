package cache

import (
	"context"
	"sync"
	"testing"
)

// TestStripedHitCountersCountEveryHit: memory hits counted from many goroutines at once, on
// striped counters, add up exactly.
func TestStripedHitCountersCountEveryHit(t *testing.T) {
	_, _, c := setup(t, nil, 20)
	if _, _, err := c.Snapshot(context.Background(), "t1"); err != nil { // the one miss
		t.Fatal(err)
	}
	const goroutines, each = 16, 500
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				if _, res, err := c.Snapshot(context.Background(), "t1"); err != nil || res.Outcome != Hit {
					t.Errorf("snapshot: %v %v", res.Outcome, err)
					return
				}
			}
		})
	}
	wg.Wait()
	n := c.Counters()
	if n.HitsMemory != goroutines*each || n.Misses != 1 {
		t.Errorf("hits %d, misses %d; want %d and 1", n.HitsMemory, n.Misses, goroutines*each)
	}
}
