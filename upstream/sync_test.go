package upstream

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// The cache package declares this interface; the Syncer must satisfy it exactly.
var _ interface {
	Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error)
} = (*Syncer)(nil)

const tenant = "sunset-honda"

var syncTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestSyncer(t *testing.T, s *sim, strategy string, mod func(*Options)) *Syncer {
	t.Helper()
	c, _ := newTestClient(t, s.URL, keyRead, mod)
	sy, err := NewSyncer(SyncerOptions{
		Clients: ClientMap{tenant: c}, Strategy: strategy,
		Clock: func() time.Time { return syncTime },
	})
	if err != nil {
		t.Fatal(err)
	}
	return sy
}

// sameAs checks a snapshot against the simulator's inventory in every details field: both
// strategies fetch them all (the feed strategy by details calls for what the feed lacks).
func sameAs(t *testing.T, _ string, got *inventory.Snapshot, want []inventory.Vehicle) {
	t.Helper()
	if got.Len() != len(want) {
		t.Fatalf("snapshot has %d vehicles, want %d", got.Len(), len(want))
	}
	for i := range want {
		g, w := &got.Vehicles[i], &want[i]
		if !reflect.DeepEqual(g.ToDetails(), w.ToDetails()) {
			t.Fatalf("vehicle %d (%s) differs from the simulator's", i, w.VIN)
		}
	}
}

func TestSyncStrategiesMatchTheSimulator(t *testing.T) {
	s := newSim(t, 230)
	want := s.Vehicles(mainSite)
	tests := []struct {
		strategy  string
		wantCalls map[string]int
	}{
		{StrategyFull, map[string]int{EndpointList: 3, EndpointDetails: 230}},
		{StrategyFeed, map[string]int{EndpointFeed: 1, EndpointDetails: 230}},
	}
	for _, tt := range tests {
		t.Run(tt.strategy, func(t *testing.T) {
			sy := newTestSyncer(t, s, tt.strategy, nil)
			snap, rep, err := sy.SyncWithReport(context.Background(), tenant, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameAs(t, tt.strategy, snap, want)
			if snap.Tenant != tenant || snap.Source != tt.strategy || !snap.FetchedAt.Equal(syncTime) || snap.Version == "" {
				t.Errorf("snapshot header %+v", snap)
			}
			if !reflect.DeepEqual(rep.Calls, tt.wantCalls) || rep.Vehicles != 230 || rep.Added != 230 || rep.Changed != 230 {
				t.Errorf("report %+v", rep)
			}
		})
	}
}

// TestFullResyncCallCount is the measurement quoted in docs/upstream.md: a full re-sync of
// 5,000 vehicles with 1% changed costs 50 list pages and 50 details calls, counted by the
// simulator itself.
func TestFullResyncCallCount(t *testing.T) {
	s := newSim(t, 5000)
	sy := newTestSyncer(t, s, StrategyFull, nil)
	ctx := context.Background()
	// prev is what a first full sync yields: the simulator's inventory itself (that a synced
	// snapshot equals it, and that re-syncing one costs no details call, is shown by
	// TestSyncStrategiesMatchTheSimulator and TestFullSyncFollowsInventoryChanges; building it
	// directly spares 5,000 details calls under the race detector).
	prev := inventory.NewSnapshot(tenant, s.Vehicles(mainSite), syncTime.Add(-time.Hour), StrategyFull)
	prevVersion := prev.Version

	changed := s.ChangeVehicles(mainSite, 50)
	s.ResetStats()
	next, rep, err := sy.SyncWithReport(ctx, tenant, prev)
	if err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Requests[EndpointList] != 50 || st.Requests[EndpointDetails] != 50 || st.Total != 100 {
		t.Errorf("simulator counted %+v, want 50 list + 50 details = 100", st)
	}
	if rep.TotalCalls() != 100 || rep.Updated != 50 || rep.Changed != 50 || rep.Added != 0 || rep.Removed != 0 {
		t.Errorf("report %+v", rep)
	}
	sameAs(t, StrategyFull, next, s.Vehicles(mainSite))
	for _, vin := range changed {
		o, _ := prev.Find(vin)
		n, _ := next.Find(vin)
		if reflect.DeepEqual(o.Price, n.Price) {
			t.Errorf("%s: the changed price did not come through", vin)
		}
	}
	if next.Version == prevVersion || !next.ModifiedAt.Equal(syncTime) {
		t.Errorf("a changed inventory kept version %s / modified %v", next.Version, next.ModifiedAt)
	}
	if prev.Version != prevVersion || inventory.ContentVersion(prev.Vehicles) != prevVersion {
		t.Error("the sync modified prev")
	}
}

func TestFullSyncFollowsInventoryChanges(t *testing.T) {
	s := newSim(t, 120)
	sy := newTestSyncer(t, s, StrategyFull, nil)
	ctx := context.Background()
	first, err := sy.Sync(ctx, tenant, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Pretend the first sync happened earlier, so that keeping ModifiedAt is visible.
	earlier := *first
	earlier.ModifiedAt = syncTime.Add(-time.Hour)

	steps := []struct {
		name      string
		change    func()
		wantCalls map[string]int
		added     int
		removed   int
	}{
		{"unchanged", func() {}, map[string]int{EndpointList: 2}, 0, 0},
		{"shrunk", func() { s.SetInventorySize(mainSite, 90) }, map[string]int{EndpointList: 1}, 0, 30},
		{"grown back", func() { s.SetInventorySize(mainSite, 120) }, map[string]int{EndpointList: 2, EndpointDetails: 30}, 30, 0},
	}
	prev := &earlier
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change()
			snap, rep, err := sy.SyncWithReport(ctx, tenant, prev)
			if err != nil {
				t.Fatal(err)
			}
			sameAs(t, StrategyFull, snap, s.Vehicles(mainSite))
			if !reflect.DeepEqual(rep.Calls, st.wantCalls) || rep.Added != st.added || rep.Removed != st.removed || rep.Updated != 0 {
				t.Errorf("report %+v", rep)
			}
			if st.name == "unchanged" && (snap.Version != prev.Version || !snap.ModifiedAt.Equal(prev.ModifiedAt)) {
				t.Errorf("an unchanged inventory got a new version or time: %+v", snap)
			}
			prev = snap
		})
	}
}

// A feed sync's vehicles carry every details field and updated_at, so a full sync after it
// reuses them all.
func TestFullSyncReusesAFeedSnapshot(t *testing.T) {
	s := newSim(t, 30)
	feedSnap, err := newTestSyncer(t, s, StrategyFeed, nil).Sync(context.Background(), tenant, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap, rep, err := newTestSyncer(t, s, StrategyFull, nil).SyncWithReport(context.Background(), tenant, feedSnap)
	if err != nil {
		t.Fatal(err)
	}
	sameAs(t, StrategyFull, snap, s.Vehicles(mainSite))
	if rep.Calls[EndpointDetails] != 0 || snap.Version != feedSnap.Version {
		t.Errorf("report %+v: a feed sync's vehicles are whole and must be reused", rep)
	}
}

// TestFeedSyncFetchesWhatTheFeedLacks: the feed carries no MSRP, body style, fuel type or extra
// images, so a feed sync fetches details for new and changed vehicles and reuses prev's for the
// rest; its snapshot is the full strategy's, byte for byte (issue 12 item 3: with sync: feed,
// every new car was excluded from Google vehicle ads for want of an MSRP).
func TestFeedSyncFetchesWhatTheFeedLacks(t *testing.T) {
	s := newSim(t, 150)
	ctx := context.Background()
	full, err := newTestSyncer(t, s, StrategyFull, nil).Sync(ctx, tenant, nil)
	if err != nil {
		t.Fatal(err)
	}
	sy := newTestSyncer(t, s, StrategyFeed, nil)
	snap, err := sy.Sync(ctx, tenant, nil)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != full.Version {
		t.Error("the feed strategy's snapshot differs from the full strategy's")
	}
	msrp, body := 0, 0
	for i := range snap.Vehicles {
		v := &snap.Vehicles[i]
		if v.MSRP != nil {
			msrp++
		}
		if v.BodyStyle != "" && v.FuelType != "" && len(v.Images) == len(full.Vehicles[i].Images) {
			body++
		}
	}
	if msrp == 0 || body != 150 {
		t.Errorf("%d vehicles with an MSRP, %d with body style, fuel type and every image; want some and 150", msrp, body)
	}

	steps := []struct {
		name      string
		change    func()
		wantCalls map[string]int
	}{
		{"unchanged", func() {}, map[string]int{EndpointFeed: 1}},
		{"5 changed", func() { s.ChangeVehicles(mainSite, 5) }, map[string]int{EndpointFeed: 1, EndpointDetails: 5}},
	}
	prev := snap
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change()
			next, rep, err := sy.SyncWithReport(ctx, tenant, prev)
			if err != nil {
				t.Fatal(err)
			}
			sameAs(t, StrategyFeed, next, s.Vehicles(mainSite))
			if !reflect.DeepEqual(rep.Calls, st.wantCalls) {
				t.Errorf("calls %v, want %v", rep.Calls, st.wantCalls)
			}
			prev = next
		})
	}
}

func TestSyncFailsWhole(t *testing.T) {
	tests := []struct {
		name, strategy string
		faults         hriznsim.Faults
	}{
		{"full, one details 500", StrategyFull, hriznsim.Faults{FailNext: 1, ErrorStatus: 500, Endpoints: []string{EndpointDetails}}},
		{"full, details 403", StrategyFull, hriznsim.Faults{FailNext: 1, ErrorStatus: 403, Endpoints: []string{EndpointDetails}}},
		{"full, a truncated list page", StrategyFull, hriznsim.Faults{TruncateNext: 1, Endpoints: []string{EndpointList}}},
		{"feed, truncated", StrategyFeed, hriznsim.Faults{TruncateNext: 1, Endpoints: []string{EndpointFeed}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, 40)
			s.SetFaults(tt.faults)
			sy := newTestSyncer(t, s, tt.strategy, func(o *Options) { o.MaxRetries = -1 })
			snap, rep, err := sy.SyncWithReport(context.Background(), tenant, nil)
			if err == nil || snap != nil {
				t.Fatalf("Sync = %v, %v; want no snapshot and an error", snap, err)
			}
			if inventory.ErrorCode(err) == inventory.EInternal {
				t.Errorf("error %v carries no upstream code", err)
			}
			if rep.Err == "" || rep.Vehicles != 0 {
				t.Errorf("report %+v", rep)
			}
		})
	}
}

func TestNewSyncerRejects(t *testing.T) {
	tests := []struct {
		name string
		opts SyncerOptions
	}{
		{"no clients", SyncerOptions{}},
		{"unknown strategy", SyncerOptions{Clients: ClientMap{}, Strategy: "magic"}},
		{"page size over 100", SyncerOptions{Clients: ClientMap{}, PageSize: 101}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSyncer(tt.opts); err == nil {
				t.Fatal("NewSyncer accepted bad options")
			}
		})
	}
	sy, err := NewSyncer(SyncerOptions{Clients: ClientMap{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sy.Sync(context.Background(), "nobody", nil); err == nil {
		t.Error("Sync of an unknown tenant succeeded")
	}
}

// TestFeedResyncCallCount is the feed strategy's measurement quoted in docs/upstream.md: a
// re-sync of 5,000 vehicles with 1% changed costs 1 feed call and 50 details calls.
func TestFeedResyncCallCount(t *testing.T) {
	s := newSim(t, 5000)
	sy := newTestSyncer(t, s, StrategyFeed, nil)
	prev := inventory.NewSnapshot(tenant, s.Vehicles(mainSite), syncTime.Add(-time.Hour), StrategyFeed)
	s.ChangeVehicles(mainSite, 50)
	s.ResetStats()
	next, rep, err := sy.SyncWithReport(context.Background(), tenant, prev)
	if err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Requests[EndpointFeed] != 1 || st.Requests[EndpointDetails] != 50 || st.Total != 51 {
		t.Errorf("simulator counted %+v, want 1 feed + 50 details = 51", st)
	}
	if rep.TotalCalls() != 51 || rep.Updated != 50 {
		t.Errorf("report %+v", rep)
	}
	sameAs(t, StrategyFeed, next, s.Vehicles(mainSite))
}

// TestSyncRealisticInventory: both strategies take the realistic profile's inventory whole —
// failed check digits, European and 13-character VINs, CPO, demo and loaner cars, missing
// fields — with nothing quarantined.
func TestSyncRealisticInventory(t *testing.T) {
	s := newSimWith(t, hriznsim.Options{Vehicles: 300, Seed: 7, Profile: hriznsim.ProfileRealistic})
	for _, strategy := range []string{StrategyFull, StrategyFeed} {
		t.Run(strategy, func(t *testing.T) {
			snap, rep, err := newTestSyncer(t, s, strategy, nil).SyncWithReport(context.Background(), tenant, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameAs(t, strategy, snap, s.Vehicles(mainSite))
			if len(rep.Quarantined) != 0 {
				t.Errorf("quarantined %+v", rep.Quarantined)
			}
		})
	}
}

// TestSameVehicleSeesEveryField: sameVehicle and sameFeedView compare field by field (reflection
// is too slow for every vehicle of every sync), so a field added to inventory.Vehicle must be
// added to them too: changing any one field of a vehicle must make it differ.
func TestSameVehicleSeesEveryField(t *testing.T) {
	base := hriznsim.DocumentedVehicle()
	base.HasDescriptionFlag = true
	if c := base.Clone(); !sameVehicle(&base, &c) || !sameFeedView(&base, &c) {
		t.Fatal("a clone differs from its original")
	}
	feedFields := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(inventory.FeedItem{})) {
		feedFields[f.Name] = true
	}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		changed := base.Clone()
		fv := reflect.ValueOf(&changed).Elem().Field(i)
		switch v := fv.Addr().Interface().(type) {
		case *string:
			*v += "x"
		case *inventory.Condition:
			*v = "used"
		case *int:
			*v++
		case *bool:
			*v = !*v
		case **float64:
			*v = inventory.Ptr(**v + 1)
		case **int:
			*v = inventory.Ptr(**v + 1)
		case **time.Time:
			*v = inventory.Ptr((**v).Add(time.Second))
		case *time.Time:
			*v = v.Add(time.Second)
		case *[]string:
			*v = append(*v, "x")
		default:
			t.Fatalf("field %s of type %s: teach this test (and sameVehicle) about it", f.Name, f.Type)
		}
		if sameVehicle(&base, &changed) {
			t.Errorf("sameVehicle misses a change of %s", f.Name)
		}
		if feedFields[f.Name] && sameFeedView(&base, &changed) {
			t.Errorf("sameFeedView misses a change of %s", f.Name)
		}
	}
	empty, none := base.Clone(), base.Clone()
	empty.Features, none.Features = []string{}, nil
	if !sameVehicle(&empty, &none) {
		t.Error("no features and an empty feature list differ")
	}
}
