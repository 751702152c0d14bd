package gateway

import (
	"sync"
	"time"
)

// SyncRecord is one finished sync of a tenant, as the admin page charts it.
type SyncRecord struct {
	At       time.Time     `json:"at"`
	Duration time.Duration `json:"duration_ns"`
	Vehicles int           `json:"vehicles"`
	OK       bool          `json:"ok"`
	// Calls is the number of upstream HTTP attempts the sync made.
	Calls int `json:"upstream_calls"`
}

// DefaultSyncHistory is how many syncs per tenant a SyncHistory keeps by default.
const DefaultSyncHistory = 120

// SyncHistory keeps the most recent syncs of each tenant in a ring buffer, in this process. The
// wiring records every sync in it; the admin page reads it. It is safe for concurrent use.
type SyncHistory struct {
	size int
	mu   sync.Mutex
	ring map[string]*syncRing
}

type syncRing struct {
	recs []SyncRecord
	next int
	full bool
}

// NewSyncHistory keeps size syncs per tenant (DefaultSyncHistory when size <= 0).
func NewSyncHistory(size int) *SyncHistory {
	if size <= 0 {
		size = DefaultSyncHistory
	}
	return &SyncHistory{size: size, ring: make(map[string]*syncRing)}
}

// Record adds one sync of tenant, forgetting the oldest when the ring is full.
func (h *SyncHistory) Record(tenant string, r SyncRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ring, ok := h.ring[tenant]
	if !ok {
		ring = &syncRing{recs: make([]SyncRecord, h.size)}
		h.ring[tenant] = ring
	}
	ring.recs[ring.next] = r
	ring.next = (ring.next + 1) % h.size
	if ring.next == 0 {
		ring.full = true
	}
}

// Recent returns tenant's recorded syncs, oldest first, as a copy.
func (h *SyncHistory) Recent(tenant string) []SyncRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	ring, ok := h.ring[tenant]
	if !ok {
		return nil
	}
	if !ring.full {
		return append([]SyncRecord(nil), ring.recs[:ring.next]...)
	}
	out := make([]SyncRecord, 0, h.size)
	out = append(out, ring.recs[ring.next:]...)
	return append(out, ring.recs[:ring.next]...)
}
