package stripe

import (
	"sync"
	"testing"
	"unsafe"
)

func TestCounterCountsEveryInc(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10000 {
				c.Inc()
			}
		})
	}
	wg.Wait()
	if got := c.Load(); got != 80000 {
		t.Errorf("count %d, want 80000", got)
	}
}

// TestRWMutexExcludesWritersFromEveryStripe: readers on any stripe never see a writer's
// half-done update of a pair that must stay equal.
func TestRWMutexExcludesWritersFromEveryStripe(t *testing.T) {
	var l RWMutex
	var a, b int
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := l.RLock()
				if a != b {
					t.Errorf("reader saw %d != %d", a, b)
				}
				r.RUnlock()
			}
		})
	}
	for range 2000 {
		l.Lock()
		a++
		b++
		l.Unlock()
	}
	close(stop)
	wg.Wait()
}

func TestStripesFillCacheLines(t *testing.T) {
	var c Counter
	var l RWMutex
	if s := unsafe.Sizeof(c.stripes[0]); s != 64 {
		t.Errorf("a counter stripe is %d bytes, want 64", s)
	}
	if s := unsafe.Sizeof(l.stripes[0]); s != 64 {
		t.Errorf("a lock stripe is %d bytes, want 64", s)
	}
}
