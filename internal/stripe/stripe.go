// Package stripe has a counter and a read-write lock that the cores of a busy server rarely
// share a cache line of. A single atomic counter, or a sync.RWMutex's reader count, that every
// request writes is one cache line passed between the cores on every request; striped, each
// write goes to one of sixteen stripes on lines of their own, picked by the runtime's per-thread
// random source (math/rand/v2), and the rare whole-value operations (a read of the count, a
// write lock) visit every stripe.
package stripe

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// n is the number of stripes; a power of two.
const n = 16

// Counter is a striped count. The zero value is 0.
type Counter struct {
	stripes [n]struct {
		v atomic.Uint64
		_ [56]byte
	}
}

// Inc adds one.
func (c *Counter) Inc() { c.stripes[rand.Uint32()&(n-1)].v.Add(1) }

// IncAt adds one to stripe i modulo the stripes: for a caller that knows a stripe its core keeps
// (a per-core pooled object's), which beats a random pick.
func (c *Counter) IncAt(i int) { c.stripes[i&(n-1)].v.Add(1) }

// Load is the count so far: the sum of the stripes.
func (c *Counter) Load() uint64 {
	var t uint64
	for i := range c.stripes {
		t += c.stripes[i].v.Load()
	}
	return t
}

// RWMutex is a striped read-write lock: a reader takes one stripe's read lock (RLock returns
// it, for the reader's RUnlock), a writer every stripe's write lock, in order. For data read on
// every request and written rarely. The zero value is unlocked.
type RWMutex struct {
	stripes [n]struct {
		sync.RWMutex
		_ [40]byte // a sync.RWMutex is 24 bytes: one stripe a cache line
	}
}

// RLock read-locks one stripe and returns it.
func (l *RWMutex) RLock() *sync.RWMutex {
	r := &l.stripes[rand.Uint32()&(n-1)].RWMutex
	r.RLock()
	return r
}

// Lock write-locks every stripe.
func (l *RWMutex) Lock() {
	for i := range l.stripes {
		l.stripes[i].Lock()
	}
}

// Unlock releases every stripe.
func (l *RWMutex) Unlock() {
	for i := len(l.stripes) - 1; i >= 0; i-- {
		l.stripes[i].Unlock()
	}
}
