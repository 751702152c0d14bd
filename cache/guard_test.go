package cache

import (
	"context"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
)

func TestShrinkGuard(t *testing.T) {
	tests := []struct {
		name     string
		next     int                                                // vehicles the second sync returns
		then     func(t *testing.T, c *Cache, clk *testclock.Clock) // what happens after the hold
		want     int                                                // vehicles served at the end
		wantHeld bool
	}{
		{name: "above the guard is served", next: 60, want: 60},
		{name: "held until accepted", next: 10, want: 10, then: func(t *testing.T, c *Cache, clk *testclock.Clock) {
			if err := c.Accept(context.Background(), "t1"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "held while younger than confirm-after", next: 10, want: 100, wantHeld: true,
			then: func(t *testing.T, c *Cache, clk *testclock.Clock) {
				clk.Advance(20 * time.Minute) // held at +6m; confirm after 30m
				if _, err := c.Refresh(context.Background(), "t1"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "promoted by a sync after confirm-after", next: 10, want: 10,
			then: func(t *testing.T, c *Cache, clk *testclock.Clock) {
				clk.Advance(31 * time.Minute)
				if _, err := c.Refresh(context.Background(), "t1"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "empty after non-empty is held", next: 0, want: 100, wantHeld: true},
	}
	for _, b := range backends {
		for _, tc := range tests {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				clk, s, c := setup(t, startRedis(t, b.redis), 100)
				good, _ := mustSnapshot(t, c, "t1")

				s.set(func(s *script) { s.n = tc.next })
				clk.Advance(6 * time.Minute)
				served, err := c.Refresh(context.Background(), "t1")
				if err != nil {
					t.Fatal(err)
				}
				held := tc.next < 50
				if st := c.Status("t1"); st.Held != held || (held && (st.HeldCount != tc.next || st.HeldSince.IsZero())) {
					t.Fatalf("status after the shrunk sync: %+v", st)
				}
				if held {
					if served.Version != good.Version || !served.ModifiedAt.Equal(good.ModifiedAt) {
						t.Fatalf("a held-back sync changed what is served: %s", served.Version)
					}
					if got := c.Counters().HeldBack; got != 1 {
						t.Fatalf("held-back counter = %d", got)
					}
				}
				if tc.then != nil {
					tc.then(t, c, clk)
				}
				snap, _, err := c.Snapshot(context.Background(), "t1")
				if err != nil || snap.Len() != tc.want {
					t.Fatalf("serving %d vehicles (%v), want %d", snap.Len(), err, tc.want)
				}
				if st := c.Status("t1"); st.Held != tc.wantHeld {
					t.Fatalf("held = %v, want %v", st.Held, tc.wantHeld)
				}
			})
		}
	}
}

func TestAcceptOnAnotherReplicaAndWithNothingHeld(t *testing.T) {
	r := startRedis(t, true)
	clk, s, a := setup(t, r, 100)
	b := newTestCache(t, testOptions(clk), r, s)
	mustSnapshot(t, a, "t1")

	if err := b.Accept(context.Background(), "t1"); inventory.ErrorCode(err) != inventory.ENotFound {
		t.Fatalf("Accept with nothing held: %v, want not_found", err)
	}
	s.set(func(s *script) { s.n = 5 })
	if _, err := a.Refresh(context.Background(), "t1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Accept(context.Background(), "t1"); err != nil {
		t.Fatalf("Accept on the replica that did not sync: %v", err)
	}
	clk.Advance(2 * time.Second) // a's next version check
	for _, c := range []*Cache{a, b} {
		if snap, _ := mustSnapshot(t, c, "t1"); snap.Len() != 5 {
			t.Fatalf("serving %d vehicles after Accept, want 5", snap.Len())
		}
	}
}

// TestHeldStateIsShared: a snapshot one replica's sync held back shows as held on every replica
// sharing Redis (before, another replica's status said held_back: null), and accepting it on
// either clears it for both.
func TestHeldStateIsShared(t *testing.T) {
	r := startRedis(t, true)
	clk, s, a := setup(t, r, 100)
	b := newTestCache(t, testOptions(clk), r, s)
	mustSnapshot(t, a, "t1")
	mustSnapshot(t, b, "t1")
	s.set(func(s *script) { s.n = 10 })
	clk.Advance(6 * time.Minute)
	if _, err := a.Refresh(context.Background(), "t1"); err != nil {
		t.Fatal(err)
	}
	if st := b.Status("t1"); !st.Held || st.HeldCount != 10 || st.HeldSince.IsZero() {
		t.Fatalf("the other replica's status %+v, want the snapshot held back", st)
	}
	if err := b.Accept(context.Background(), "t1"); err != nil {
		t.Fatal(err)
	}
	if st := a.Status("t1"); st.Held {
		t.Errorf("still held after the other replica accepted: %+v", st)
	}
}
