package gateway

import (
	"testing"
	"time"
)

// TestFetchedMovesOncePerSecond: the first fetch is recorded, one within the same second is
// not (the clock shows seconds), one a second later is.
func TestFetchedMovesOncePerSecond(t *testing.T) {
	var c fetchClock
	t0 := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		at   time.Duration
		want time.Duration
	}{{0, 0}, {500 * time.Millisecond, 0}, {999 * time.Millisecond, 0}, {time.Second, time.Second}, {1900 * time.Millisecond, time.Second}, {5 * time.Second, 5 * time.Second}} {
		fetched(&c, t0.Add(step.at))
		if got := lastFetch(&c); !got.Equal(t0.Add(step.want)) {
			t.Errorf("after a fetch at +%v: last fetch +%v, want +%v", step.at, got.Sub(t0), step.want)
		}
	}
	fetched(nil, t0) // a feed or key without a clock: nothing to record, no panic
}
