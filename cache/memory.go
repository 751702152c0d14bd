package cache

import (
	"container/list"
	"sync"
	"time"
)

// MemoryOptions configures a Memory store.
type MemoryOptions struct {
	// MaxBytes is the budget for the sizes given to Set; past it the least recently used entries
	// are evicted. Zero means 256 MiB.
	MaxBytes int64
	// Now is the clock for entry TTLs; nil means time.Now. Give it the same clock as the Cache.
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

	mu    sync.Mutex
	items map[string]*list.Element
	lru   *list.List // front: most recently used
	used  int64
	evict uint64
}

type memEntry struct {
	key     string
	val     any
	size    int64
	expires int64 // unix nanoseconds; 0 = never
}

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
// allocating, which keeps the output hit path allocation-free.
func (m *Memory) getBytes(key []byte) (any, bool) {
	now := m.now().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookupLocked(m.items[string(key)], now)
}

func (m *Memory) get(key string, now int64) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookupLocked(m.items[key], now)
}

func (m *Memory) lookupLocked(el *list.Element, now int64) (any, bool) {
	if el == nil {
		return nil, false
	}
	e := el.Value.(*memEntry)
	if e.expires != 0 && now >= e.expires {
		m.removeLocked(el)
		return nil, false
	}
	m.lru.MoveToFront(el)
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
	m.items[key] = m.lru.PushFront(&memEntry{key: key, val: v, size: size, expires: expires})
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
