package cache

import (
	"container/list"
	"sync/atomic"
	"time"

	"github.com/feedgate/feedgate/internal/stripe"
)

// MemoryOptions configures a Memory store.
type MemoryOptions struct {
	// MaxBytes is the budget for the sizes given to Set; past it the least recently used entries
	// are evicted. Zero means 256 MiB.
	MaxBytes int64
	// Now is the clock for entry TTLs; nil means time.Now. A Cache replaces it with its own.
	Now func() time.Time
}

// DefaultMemoryBytes is the Memory budget when MemoryOptions.MaxBytes is zero.
const DefaultMemoryBytes = 256 << 20

// Memory is a bounded in-process store of decoded values: a byte budget (the sizes callers
// declare), least-recently-used eviction and a TTL per entry. It is the embedded cache when no
// Redis is configured and the L1 in front of Redis otherwise. It is safe for concurrent use; its
// lock is never held across I/O, and a hit allocates nothing.
type Memory struct {
	max int64
	now func() time.Time

	mu    stripe.RWMutex // a hit takes one stripe's read lock; Set, Delete, expiry and recency all
	items map[string]*list.Element
	lru   *list.List // front: most recently used
	used  int64
	evict uint64
}

type memEntry struct {
	key     string
	val     any
	size    int64
	expires int64        // unix nanoseconds; 0 = never
	touched atomic.Int64 // unix nanoseconds of its last move to the front of the LRU list
}

// touchEvery is how stale an entry's place in the LRU order may get: a hit moves its entry to
// the front (under the write lock) only when it was last moved longer ago than this, so that
// the hits of one hot feed on every core share the read lock. Eviction order is then exact to
// within touchEvery, which a byte budget filled over minutes does not notice.
const touchEvery = int64(time.Second)

// NewMemory returns an empty Memory store.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMemoryBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Memory{max: opts.MaxBytes, now: opts.Now, items: make(map[string]*list.Element), lru: list.New()}
}

// Get returns the value stored under key, or (nil, false) when it is missing or expired.
func (m *Memory) Get(key string) (any, bool) {
	return m.get(key, m.now().UnixNano())
}

// getBytes is Get for a key built in a caller's buffer: the map lookup converts it without
// allocating, which keeps the output hit path allocation-free. now is the caller's clock reading
// (the Cache's, which New makes this store's), so that one hit reads the clock once.
func (m *Memory) getBytes(key []byte, now int64) (any, bool) {
	r := m.mu.RLock()
	el := m.items[string(key)]
	r.RUnlock()
	return m.lookup(el, now)
}

func (m *Memory) get(key string, now int64) (any, bool) {
	r := m.mu.RLock()
	el := m.items[key]
	r.RUnlock()
	return m.lookup(el, now)
}

// lookup returns the value of the element a key mapped to, nil if it has expired (and is then
// removed); it refreshes the element's recency at most once per touchEvery.
func (m *Memory) lookup(el *list.Element, now int64) (any, bool) {
	if el == nil {
		return nil, false
	}
	e := el.Value.(*memEntry) // Value never changes once the element is in the list
	expired := e.expires != 0 && now >= e.expires
	if !expired && now-e.touched.Load() < touchEvery {
		return e.val, true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items[e.key] != el {
		// Replaced or removed since the read: what was read is still a consistent value, but
		// an expired one is not served.
		if expired {
			return nil, false
		}
		return e.val, true
	}
	if expired {
		m.removeLocked(el)
		return nil, false
	}
	m.lru.MoveToFront(el)
	e.touched.Store(now)
	return e.val, true
}

// Set stores v under key with the size it is charged against the budget and a TTL (zero or
// negative: no expiry). A value larger than the whole budget is not stored.
func (m *Memory) Set(key string, v any, size int64, ttl time.Duration) {
	if size < 1 {
		size = 1
	}
	var expires int64
	if ttl > 0 {
		expires = m.now().Add(ttl).UnixNano()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.removeLocked(el)
	}
	if size > m.max {
		return
	}
	for m.used+size > m.max {
		m.removeLocked(m.lru.Back())
		m.evict++
	}
	e := &memEntry{key: key, val: v, size: size, expires: expires}
	e.touched.Store(m.now().UnixNano())
	m.items[key] = m.lru.PushFront(e)
	m.used += size
}

// Delete removes key; a missing key is not an error.
func (m *Memory) Delete(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.removeLocked(el)
	}
}

func (m *Memory) removeLocked(el *list.Element) {
	e := m.lru.Remove(el).(*memEntry)
	delete(m.items, e.key)
	m.used -= e.size
}

// MemoryStats describes a Memory store's occupancy.
type MemoryStats struct {
	Entries   int
	Bytes     int64
	MaxBytes  int64
	Evictions uint64
}

// Stats reports the store's entries, bytes used and evictions so far.
func (m *Memory) Stats() MemoryStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MemoryStats{Entries: len(m.items), Bytes: m.used, MaxBytes: m.max, Evictions: m.evict}
}
