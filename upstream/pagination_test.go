package upstream

import (
	"context"
	"errors"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestWalkCrossChecksTotalCount: a walk whose pages disagree with total_count is walked again
// and, if the disagreement persists, fails the sync instead of being taken for a smaller (or
// larger) inventory. Page 1 of 2 answering has_more:false while total_count says 157 is the
// red-team finding of issue 13.
//
// The walk's cost is bounded too: a cursor that changes on every page cannot make a sync call
// the list without end. With total_count 1e9 (issue 13: 6,665 list calls in one sync, until the
// sync's timeout) the walk stops at the first page; with a plausible total_count each of the
// sync's walks stops at ceil(total_count / 100) + WalkSlackPages pages.
func TestWalkCrossChecksTotalCount(t *testing.T) {
	tests := []struct {
		name      string
		faults    hriznsim.Faults
		wantErr   error // nil: the sync succeeds with every vehicle
		wantLists int
	}{
		{"page 1 of 2 says has_more:false, always", hriznsim.Faults{ListStopEarly: true}, ErrCountMismatch, 2},
		{"page 1 of 2 says has_more:false, once", hriznsim.Faults{ListStopEarlyNext: 1}, nil, 1 + 2},
		{"total_count below what the pages hold", hriznsim.Faults{ListTotalCount: 120}, ErrCountMismatch, 2 * 2},
		{"total_count above what the pages hold", hriznsim.Faults{ListTotalCount: 200}, ErrCountMismatch, 2 * 2},
		{"churning cursor, total_count 1e9", hriznsim.Faults{ListCursorChurn: true, ListTotalCount: 1e9}, ErrImplausibleTotal, 1},
		{"churning cursor, true total_count", hriznsim.Faults{ListCursorChurn: true}, ErrTooManyPages, WalkAttempts * (2 + WalkSlackPages)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, 157)
			s.SetFaults(tt.faults)
			sy := newTestSyncer(t, s, StrategyFull, nil)
			snap, rep, err := sy.SyncWithReport(context.Background(), tenant, nil)
			if got := s.Stats().Requests[EndpointList]; got != tt.wantLists || rep.Calls[EndpointList] != tt.wantLists {
				t.Errorf("%d list calls (report: %d), want %d", got, rep.Calls[EndpointList], tt.wantLists)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				s.SetFaults(hriznsim.Faults{})
				sameAs(t, StrategyFull, snap, s.Vehicles(mainSite))
				return
			}
			if snap != nil || !errors.Is(err, tt.wantErr) || inventory.ErrorCode(err) != inventory.EUnavailable {
				t.Fatalf("Sync = %d vehicles, %v; want no snapshot and %v as upstream_unavailable", snap.Len(), err, tt.wantErr)
			}
			if rep.Vehicles != 0 || rep.Err == "" {
				t.Errorf("report %+v", rep)
			}
		})
	}
}
