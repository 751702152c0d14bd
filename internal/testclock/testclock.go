// Package testclock is a clock that tests move by hand, for the Now options of the cache, the
// gateway and the simulator: time-dependent behaviour is tested by advancing it, never by sleeping.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use (the code under test reads it from its own
// goroutines).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock standing at t.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time; pass the method value as a Now option.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
