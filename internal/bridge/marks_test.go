package bridge

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/internal/testredis"
	"github.com/feedgate/feedgate/inventory"
)

// TestMarkingSyncerDropsMarkedVINs: the syncer sees prev without the marked VINs, prev itself is
// untouched, and the marks are cleared only by a successful sync.
func TestMarkingSyncerDropsMarkedVINs(t *testing.T) {
	rs := testredis.Start(t)
	for name, pair := range map[string][2]*Marks{
		"memory": {NewMarks(nil, "t:"), nil},
		// Two replicas sharing Redis: one marks, the other syncs.
		"redis": {NewMarks(rs.Client(), "t:"), NewMarks(rs.Client(), "t:")},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			marker, syncing := pair[0], pair[1]
			if syncing == nil {
				syncing = marker
			}
			prev := inventory.NewSnapshot("sunset", []inventory.Vehicle{{VIN: "AAA11111111"}, {VIN: "BBB22222222"}, {VIN: "CCC33333333"}},
				time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "full")
			var seen [][]string
			fail := false
			sy := MarkingSyncer{Marks: syncing, Next: cache.SyncFunc(func(_ context.Context, _ string, p *inventory.Snapshot) (*inventory.Snapshot, error) {
				var vins []string
				for _, v := range p.Vehicles {
					vins = append(vins, v.VIN)
				}
				seen = append(seen, vins)
				if fail {
					return nil, context.DeadlineExceeded
				}
				return prev, nil
			})}
			if err := marker.add(ctx, "sunset", []string{"BBB22222222"}); err != nil {
				t.Fatal(err)
			}
			fail = true
			_, _ = sy.Sync(ctx, "sunset", prev) // a failed sync keeps the mark
			fail = false
			if _, err := sy.Sync(ctx, "sunset", prev); err != nil {
				t.Fatal(err)
			}
			if _, err := sy.Sync(ctx, "sunset", prev); err != nil {
				t.Fatal(err)
			}
			want := [][]string{{"AAA11111111", "CCC33333333"}, {"AAA11111111", "CCC33333333"}, {"AAA11111111", "BBB22222222", "CCC33333333"}}
			for i := range want {
				if !slices.Equal(seen[i], want[i]) {
					t.Fatalf("sync %d saw %v, want %v", i, seen[i], want[i])
				}
			}
			if prev.Len() != 3 {
				t.Fatal("prev was changed")
			}
			if p := marker.Pending(ctx, "sunset"); len(p) != 0 {
				t.Fatalf("marks left: %v", p)
			}
		})
	}
}
