package cache

import (
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	type op struct {
		set   string // key to set (with size and ttl), or "" for none
		size  int64
		ttl   time.Duration
		get   string // key to read
		adv   time.Duration
		del   string
		want  bool // whether get finds its key
		bytes int64
	}
	tests := []struct {
		name string
		max  int64
		ops  []op
	}{
		{name: "miss", max: 100, ops: []op{{get: "a"}}},
		{name: "set then get", max: 100, ops: []op{{set: "a", size: 10, get: "a", want: true, bytes: 10}}},
		{name: "LRU evicts the least recently used", max: 30, ops: []op{
			{set: "a", size: 10}, {set: "b", size: 10}, {set: "c", size: 10},
			{adv: 2 * time.Second, get: "a", want: true, bytes: 30}, // a is now most recent
			{set: "d", size: 10, get: "b", want: false, bytes: 30},  // b was oldest
			{get: "a", want: true}, {get: "c", want: true}, {get: "d", want: true},
		}},
		{name: "recency is refreshed at most once a second", max: 30, ops: []op{
			{set: "a", size: 10}, {set: "b", size: 10}, {set: "c", size: 10},
			{get: "a", want: true}, // read within the second it was stored: its place stays
			{set: "d", size: 10, get: "a", want: false, bytes: 30},
			{get: "b", want: true}, {get: "c", want: true}, {get: "d", want: true},
		}},
		{name: "budget evicts several for a big entry", max: 30, ops: []op{
			{set: "a", size: 10}, {set: "b", size: 10}, {set: "c", size: 25, get: "a", bytes: 25},
			{get: "b"}, {get: "c", want: true},
		}},
		{name: "larger than the budget is not stored", max: 30, ops: []op{
			{set: "a", size: 10}, {set: "big", size: 31, get: "big", bytes: 10}, {get: "a", want: true},
		}},
		{name: "overwrite recharges", max: 100, ops: []op{
			{set: "a", size: 10}, {set: "a", size: 40, get: "a", want: true, bytes: 40},
		}},
		{name: "TTL expires", max: 100, ops: []op{
			{set: "a", size: 10, ttl: time.Minute, get: "a", want: true, bytes: 10},
			{adv: 59 * time.Second, get: "a", want: true, bytes: 10},
			{adv: time.Second, get: "a", want: false, bytes: 0},
		}},
		{name: "no TTL never expires", max: 100, ops: []op{
			{set: "a", size: 10}, {adv: 1000 * time.Hour, get: "a", want: true, bytes: 10},
		}},
		{name: "delete", max: 100, ops: []op{
			{set: "a", size: 10}, {del: "a", get: "a", bytes: 0}, {del: "missing"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			m := NewMemory(MemoryOptions{MaxBytes: tc.max, Now: clk.Now})
			for i, o := range tc.ops {
				clk.Advance(o.adv)
				if o.set != "" {
					m.Set(o.set, o.set, o.size, o.ttl)
				}
				if o.del != "" {
					m.Delete(o.del)
				}
				if o.get == "" {
					continue
				}
				v, ok := m.Get(o.get)
				if ok != o.want || (ok && v != o.get) || (!ok && v != nil) {
					t.Fatalf("op %d: Get(%q) = %v, %v; want found=%v", i, o.get, v, ok, o.want)
				}
				if o.set != "" || o.del != "" || o.adv != 0 {
					if got := m.Stats().Bytes; got != o.bytes {
						t.Fatalf("op %d: bytes = %d, want %d", i, got, o.bytes)
					}
				}
			}
			if st := m.Stats(); st.Bytes > st.MaxBytes {
				t.Fatalf("over budget: %+v", st)
			}
		})
	}
}
