package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/feedgate/feedgate/inventory"
)

func TestWalkListSeesEveryVINOnce(t *testing.T) {
	s := newSim(t, 250)
	all := s.Vehicles(mainSite)
	tests := []struct {
		name     string
		q        inventory.Query
		pageSize int
	}{
		{"all, odd page size", inventory.Query{}, 7},
		{"all, full pages", inventory.Query{}, 100},
		{"used only", inventory.Query{Condition: inventory.Used}, 13},
		{"one make", inventory.Query{Make: all[0].Make}, 5},
		{"matches nothing", inventory.Query{Year: 1901}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for i := range all {
				if tt.q.Match(&all[i]) {
					want = append(want, all[i].VIN)
				}
			}
			c, rec := newTestClient(t, s.URL, keyRead, nil)
			seen := map[string]int{}
			var order []string
			err := c.WalkList(context.Background(), tt.q, tt.pageSize, func(items []inventory.ListItem) error {
				for _, it := range items {
					seen[it.VIN]++
					order = append(order, it.VIN)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(order) != len(want) {
				t.Fatalf("walked %d VINs, want %d", len(order), len(want))
			}
			for i, vin := range want {
				if order[i] != vin || seen[vin] != 1 {
					t.Fatalf("VIN %d: got %s (seen %d times), want %s once", i, order[i], seen[vin], vin)
				}
			}
			wantPages := max(1, (len(want)+tt.pageSize-1)/tt.pageSize)
			if n := len(rec.statuses()); n != wantPages {
				t.Errorf("%d list calls, want %d", n, wantPages)
			}
		})
	}
}

func TestWalkListStopsOnCallbackError(t *testing.T) {
	s := newSim(t, 50)
	c, rec := newTestClient(t, s.URL, keyRead, nil)
	stop := errors.New("enough")
	err := c.WalkList(context.Background(), inventory.Query{}, 10, func([]inventory.ListItem) error { return stop })
	if !errors.Is(err, stop) || len(rec.statuses()) != 1 {
		t.Fatalf("err %v after %d calls, want the callback's error after 1", err, len(rec.statuses()))
	}
}

// TestWalkListNeverLoopsForever uses a tiny misbehaving server: the simulator's cursors are
// correct by construction, so it cannot show a broken pagination.
func TestWalkListNeverLoopsForever(t *testing.T) {
	tests := []struct {
		name      string
		cursor    func(page int) string // "" = no next_cursor
		hasMore   bool
		total     int
		wantIs    error
		wantPages int
	}{
		{"repeated cursor", func(int) string { return "c2FtZQ==" }, true, 1000, ErrRepeatedCursor, 2},
		{"endless fresh cursors", func(p int) string { return "c" + strconv.Itoa(p) }, true, 3, ErrTooManyPages, maxPages(3, 1)},
		{"has_more without cursor", func(int) string { return "" }, true, 10, ErrMalformedResponse, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				pages++
				resp := inventory.ListResponse{
					Data:       []inventory.ListItem{{VIN: "VIN" + strconv.Itoa(pages) + "00000000000"}},
					Pagination: inventory.Pagination{HasMore: tt.hasMore, TotalCount: tt.total},
				}
				if c := tt.cursor(pages); c != "" {
					resp.Pagination.NextCursor = &c
				}
				w.Header().Set("Content-Type", "application/json")
				_ = inventory.WriteJSON(w, resp)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv.URL, keyRead, nil)
			err := c.WalkList(context.Background(), inventory.Query{}, 1, func([]inventory.ListItem) error { return nil })
			if !errors.Is(err, tt.wantIs) || inventory.ErrorCode(err) != inventory.EUnavailable {
				t.Fatalf("error %v, want %v as upstream_unavailable", err, tt.wantIs)
			}
			if pages != tt.wantPages {
				t.Errorf("%d pages fetched, want %d", pages, tt.wantPages)
			}
		})
	}
}

func TestMaxPages(t *testing.T) {
	tests := []struct{ total, size, want int }{
		{0, 100, 1 + WalkSlackPages},
		{5000, 100, 50 + WalkSlackPages},
		{5001, 100, 51 + WalkSlackPages},
		{MaxTotalCount, 1, MaxWalkPages},
	}
	for _, tt := range tests {
		if got := maxPages(tt.total, tt.size); got != tt.want {
			t.Errorf("maxPages(%d, %d) = %d, want %d", tt.total, tt.size, got, tt.want)
		}
	}
}
