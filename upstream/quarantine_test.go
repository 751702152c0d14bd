package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestQuarantine: a vehicle the upstream describes badly is kept out of the snapshot (or kept
// as prev had it) with a report entry naming its VIN and field, and the rest of the sync
// succeeds; more than MaxQuarantinePercent bad vehicles fail the sync as a whole. Before,
// any one of them failed the whole sync and froze the tenant (issue 13 item 7).
func TestQuarantine(t *testing.T) {
	const n = 157 // 10% is 15 vehicles
	tests := []struct {
		name      string
		strategy  string
		faults    hriznsim.Faults
		withPrev  bool
		endpoint  string
		fields    []string // per quarantined vehicle, in VIN order
		kept      string
		wantCount int // vehicles in the snapshot
	}{
		{"year and price of the wrong type", StrategyFull, hriznsim.Faults{BadTypes: 2}, false, EndpointList, []string{"year", "price"}, KeptNone, n - 2},
		{"wrong types, kept at their previous state", StrategyFull, hriznsim.Faults{BadTypes: 2}, true, EndpointList, []string{"year", "price"}, KeptPrevious, n},
		{"details 404", StrategyFull, hriznsim.Faults{DetailsNotFound: 3}, false, EndpointDetails, []string{"", "", ""}, KeptNone, n - 3},
		{"details for another VIN", StrategyFull, hriznsim.Faults{DetailsWrongVIN: 2}, false, EndpointDetails, []string{"vin", "vin"}, KeptNone, n - 2},
		{"feed: wrong types", StrategyFeed, hriznsim.Faults{BadTypes: 2}, false, EndpointFeed, []string{"year", "price"}, KeptNone, n - 2},
		{"feed: details 404, kept as the feed shows it", StrategyFeed, hriznsim.Faults{DetailsNotFound: 2}, false, EndpointDetails, []string{"", ""}, KeptFeed, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, n)
			all := s.Vehicles(mainSite)
			var prev *inventory.Snapshot
			if tt.withPrev {
				prev = inventory.NewSnapshot(tenant, s.Vehicles(mainSite), syncTime, tt.strategy)
				// Every vehicle changed since prev, so that none is reused without a look.
				s.ChangeVehicles(mainSite, n)
			}
			s.SetFaults(tt.faults)
			sy := newTestSyncer(t, s, tt.strategy, nil)
			snap, rep, err := sy.SyncWithReport(context.Background(), tenant, prev)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Len() != tt.wantCount || rep.Vehicles != tt.wantCount {
				t.Errorf("snapshot has %d vehicles (report %d), want %d", snap.Len(), rep.Vehicles, tt.wantCount)
			}
			if len(rep.Quarantined) != len(tt.fields) {
				t.Fatalf("quarantined %+v, want %d", rep.Quarantined, len(tt.fields))
			}
			for i, q := range rep.Quarantined {
				if q.VIN != all[i].VIN || q.Field != tt.fields[i] || q.Endpoint != tt.endpoint || q.Kept != tt.kept || q.Reason == "" {
					t.Errorf("quarantined[%d] = %+v, want %s, field %q at %s, kept %s", i, q, all[i].VIN, tt.fields[i], tt.endpoint, tt.kept)
				}
				v, in := snap.Find(q.VIN)
				switch {
				case in != (tt.kept != KeptNone):
					t.Errorf("%s in the snapshot: %v", q.VIN, in)
				case in && q.Kept == KeptPrevious:
					if pv, _ := prev.Find(q.VIN); !sameVehicle(v, pv) {
						t.Errorf("%s is not kept at its previous state", q.VIN)
					}
				case in && q.Kept == KeptFeed:
					if !reflect.DeepEqual(v.ToFeedItem(), all[i].ToFeedItem()) || !v.UpdatedAt.IsZero() {
						t.Errorf("%s is not kept as the feed shows it", q.VIN)
					}
				}
			}
			if rep.Quarantined[0].Field == "year" && !strings.Contains(rep.Quarantined[0].Reason, `"twenty"`) {
				t.Errorf("reason %q does not show the bad value", rep.Quarantined[0].Reason)
			}
		})
	}
}

func TestTooManyBadVehiclesFailTheSync(t *testing.T) {
	for _, strategy := range []string{StrategyFull, StrategyFeed} {
		t.Run(strategy, func(t *testing.T) {
			s := newSim(t, 157)
			s.SetFaults(hriznsim.Faults{BadTypes: 16})
			sy := newTestSyncer(t, s, strategy, nil)
			snap, rep, err := sy.SyncWithReport(context.Background(), tenant, nil)
			if snap != nil || !errors.Is(err, ErrTooManyBadVehicles) || inventory.ErrorCode(err) != inventory.EUnavailable {
				t.Fatalf("Sync = %d vehicles, %v; want ErrTooManyBadVehicles", snap.Len(), err)
			}
			if len(rep.Quarantined) != 16 || rep.Vehicles != 0 {
				t.Errorf("report: %d quarantined, %d vehicles", len(rep.Quarantined), rep.Vehicles)
			}
		})
	}
}

// A vehicle described badly is described so again: one call, never retried, and the error
// names the VIN and the field.
func TestBadVehicleIsNotRetried(t *testing.T) {
	s := newSim(t, 10)
	vin := s.Vehicles(mainSite)[0].VIN
	s.SetFaults(hriznsim.Faults{BadTypes: 1})
	c, rec := newTestClient(t, s.URL, keyRead, nil)
	_, err := c.Details(context.Background(), vin)
	var bad *BadVehicleError
	if !errors.As(err, &bad) || bad.VIN != vin || bad.Field != "year" || bad.Endpoint != EndpointDetails {
		t.Fatalf("Details error %v, want a BadVehicleError for %s's year", err, vin)
	}
	if _, err := c.List(context.Background(), ListParams{Limit: 5}); !errors.As(err, &bad) || bad.Endpoint != EndpointList {
		t.Fatalf("List error %v, want a BadVehicleError", err)
	}
	if got := len(rec.statuses()); got != 2 {
		t.Errorf("%d attempts for two calls, want 2", got)
	}
}

// TestQuarantineNeverShowsAKey: a hostile or broken upstream that echoes the API key (or any
// key-shaped value) in a vehicle's fields must not get it into the report or the log, which the
// status page and log shipping show.
func TestQuarantineNeverShowsAKey(t *testing.T) {
	const key = "hzk_quarantine_secret_0123"
	good := inventory.ListItem{VIN: "1HGBH41JXMN109186", Year: 2026, Make: "Honda", Model: "Civic", Condition: inventory.New}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/public/inventory") {
			page := `{"data":[` + mustJSON(t, good) + `,
				{"vin":"2T3UKBSU0LJ414271","year":"` + key + `"},
				{"vin":"3VW4T7AU1MM000001","price":"fgk_looks_like_a_feedgate_key"}],
				"pagination":{"has_more":false,"next_cursor":null,"total_count":3}}`
			_, _ = w.Write([]byte(page))
			return
		}
		d := inventory.Details{VIN: key, Year: 2026} // details for "another VIN": the key itself
		_, _ = w.Write([]byte(`{"data":` + mustJSON(t, d) + `}`))
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, key, nil)
	var logs bytes.Buffer
	sy, err := NewSyncer(SyncerOptions{Clients: ClientMap{tenant: c}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	_, rep, _ := sy.SyncWithReport(context.Background(), tenant, nil)
	if len(rep.Quarantined) != 3 {
		t.Fatalf("quarantined %+v, want 3", rep.Quarantined)
	}
	shown := fmt.Sprintf("%+v %s %s", rep.Quarantined, rep.Err, logs.String())
	for _, secret := range []string{key, "hzk_", "fgk_"} {
		if strings.Contains(strings.ToLower(shown), secret) {
			t.Errorf("%q reaches the report or the log: %s", secret, shown)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := inventory.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
