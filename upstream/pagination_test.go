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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, 157)
			s.SetFaults(tt.faults)
			sy := newTestSyncer(t, s, StrategyFull, nil)
			snap, rep, err := sy.SyncWithReport(context.Background(), tenant, nil)
			if got := s.Stats().Requests[EndpointList]; got != tt.wantLists {
				t.Errorf("%d list calls, want %d", got, tt.wantLists)
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
