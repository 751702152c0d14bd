package cache

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// seeingSyncer records the VINs of each prev it is handed and answers with base (or fails).
type seeingSyncer struct {
	base *inventory.Snapshot
	mu   sync.Mutex
	seen [][]string
	fail bool
	rep  SyncReport
}

func (s *seeingSyncer) Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error) {
	snap, _, err := s.SyncReport(ctx, tenant, prev)
	return snap, err
}

func (s *seeingSyncer) SyncReport(_ context.Context, _ string, prev *inventory.Snapshot) (*inventory.Snapshot, SyncReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var vins []string
	if prev != nil {
		for _, v := range prev.Vehicles {
			vins = append(vins, v.VIN)
		}
	}
	s.seen = append(s.seen, vins)
	if s.fail {
		return nil, s.rep, errUpstream
	}
	return s.base, s.rep, nil
}

// TestMarkedVINsAreFetchedAgain: after Invalidate with VINs, the next sync is handed prev without
// them (so it re-fetches their details), prev itself is untouched, a failed sync keeps the marks
// and a successful one clears them. With Redis one replica marks and another syncs.
func TestMarkedVINsAreFetchedAgain(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			r := startRedis(t, b.redis)
			clk := newClock()
			base := inventory.NewSnapshot("sunset", []inventory.Vehicle{{VIN: "AAA11111111"}, {VIN: "BBB22222222"}, {VIN: "CCC33333333"}},
				clk.Now(), "full")
			sy := &seeingSyncer{base: base}
			syncing := newTestCache(t, testOptions(clk), r, sy)
			marker := syncing
			if r != nil {
				marker = newTestCache(t, testOptions(clk), r, sy)
			}
			ctx := context.Background()
			if _, err := syncing.Refresh(ctx, "sunset"); err != nil {
				t.Fatal(err)
			}
			if err := marker.Invalidate(ctx, "sunset", "bbb22222222"); err != nil {
				t.Fatal(err)
			}
			if got := syncing.PendingMarks("sunset"); !slices.Equal(got, []string{"BBB22222222"}) {
				t.Fatalf("pending marks %v", got)
			}
			sy.fail = true
			_, _ = syncing.Refresh(ctx, "sunset") // a failed sync keeps the mark
			sy.fail = false
			for range 2 {
				if _, err := syncing.Refresh(ctx, "sunset"); err != nil {
					t.Fatal(err)
				}
			}
			all, without := []string{"AAA11111111", "BBB22222222", "CCC33333333"}, []string{"AAA11111111", "CCC33333333"}
			want := [][]string{nil, without, without, all}
			if len(sy.seen) != len(want) {
				t.Fatalf("%d syncs, want %d: %v", len(sy.seen), len(want), sy.seen)
			}
			for i := range want {
				if !slices.Equal(sy.seen[i], want[i]) {
					t.Fatalf("sync %d saw %v, want %v", i, sy.seen[i], want[i])
				}
			}
			if base.Len() != 3 {
				t.Fatal("prev was changed")
			}
			if p := marker.PendingMarks("sunset"); len(p) != 0 {
				t.Fatalf("marks left: %v", p)
			}
		})
	}
}

// TestSyncHistoryKeepsTheLatest: the cache records every sync with its upstream calls and keeps
// the most recent DefaultHistory, oldest first.
func TestSyncHistoryKeepsTheLatest(t *testing.T) {
	clk := newClock()
	sy := &seeingSyncer{base: inventory.NewSnapshot("t", vehicles(4, 1), clk.Now(), "test"),
		rep: SyncReport{Calls: map[string]int{"list": 1, "details": 4}}}
	c := newTestCache(t, testOptions(clk), nil, sy)
	ctx := context.Background()
	for i := range DefaultHistory + 5 {
		sy.fail = i == DefaultHistory+4
		_, _ = c.Refresh(ctx, "t")
	}
	h := c.History("t")
	if len(h) != DefaultHistory {
		t.Fatalf("%d records, want %d", len(h), DefaultHistory)
	}
	last := h[len(h)-1]
	if last.OK || last.Error == "" || !h[len(h)-2].OK || h[len(h)-2].Vehicles != 4 || h[len(h)-2].Calls != 5 {
		t.Errorf("last two records %+v, %+v", h[len(h)-2], last)
	}
	if st := c.Status("t"); st.LastSyncCalls["details"] != 4 {
		t.Errorf("status calls %v", st.LastSyncCalls)
	}
	// Status's last sync is the history's last record, a failure and then a success.
	if st := c.Status("t"); st.LastSync != last.At || st.LastSyncOK || st.LastSyncError != last.Error ||
		st.LastSyncDuration != last.Duration || st.ConsecutiveFailures != 1 {
		t.Errorf("status %+v does not report the last record %+v", st, last)
	}
	sy.fail = false
	clk.Advance(time.Second)
	if _, err := c.Refresh(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	h = c.History("t")
	last = h[len(h)-1]
	if st := c.Status("t"); !last.OK || st.LastSync != last.At || !st.LastSyncOK || st.LastSyncError != "" ||
		st.LastSyncDuration != last.Duration || st.ConsecutiveFailures != 0 {
		t.Errorf("status %+v does not report the last record %+v", st, last)
	}
	if len(c.History("none")) != 0 {
		t.Error("unknown tenant has history")
	}
}
