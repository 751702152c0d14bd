package hriznsim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

const feedPath = "/v1/public/inventory/feed?format=json"

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults string // POST /_sim/faults body
		path   string
		// check looks at the first response after the faults are set; a second request must
		// then succeed when second is true.
		check  func(t *testing.T, r result)
		second bool
	}{
		{"fail next with default status", `{"fail_next":1}`, feedPath, wantError(500, "internal_error"), true},
		{"fail next with 503", `{"fail_next":1,"error_status":503}`, feedPath, wantError(503, "internal_error"), true},
		{"rate limit next", `{"rate_limit_next":1,"retry_after_s":7}`, feedPath, func(t *testing.T, r result) {
			wantError(429, "rate_limited")(t, r)
			if r.header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q, want 7", r.header.Get("Retry-After"))
			}
		}, true},
		{"rate limit default retry-after", `{"rate_limit_next":2}`, "/v1/public/inventory/stats", func(t *testing.T, r result) {
			if r.status != 429 || r.header.Get("Retry-After") != "1" {
				t.Errorf("status %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
			}
		}, false},
		{"malformed", `{"malformed":true}`, feedPath, func(t *testing.T, r result) {
			if r.status != 200 || json.Valid(r.body) {
				t.Errorf("status %d, body %q", r.status, r.body)
			}
			if _, err := inventory.ParseFeed(r.body); err == nil {
				t.Error("a malformed body parses as a feed")
			}
		}, false},
		{"malformed next, xml", `{"malformed_next":1}`, "/v1/public/inventory/feed?format=xml", func(t *testing.T, r result) {
			if _, err := inventory.ParseFeed(r.body); err == nil {
				t.Error("a malformed body parses as a feed")
			}
		}, true},
		{"truncate", `{"truncate_next":1}`, feedPath, func(t *testing.T, r result) {
			if r.status != 200 || r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
				t.Errorf("status %d, Content-Length %s for %d bytes", r.status, r.header.Get("Content-Length"), len(r.body))
			}
			if _, err := inventory.ParseFeed(r.body); err == nil {
				t.Error("a truncated body parses as a feed")
			}
		}, true},
		{"faults limited to other endpoints", `{"fail_next":5,"endpoints":["list","batch"]}`, feedPath, wantStatus(200), true},
		{"faults limited to this endpoint", `{"fail_next":1,"endpoints":["feed"]}`, feedPath, wantError(500, "internal_error"), true},
		{"error rate 1", `{"error_rate":1,"error_status":502}`, feedPath, wantError(502, "internal_error"), false},
		{"latency", `{"latency_ms":30}`, feedPath, wantStatus(200), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := startSim(t, hriznsim.Options{})
			if r := call(t, ts, "POST", "/_sim/faults", "", tt.faults); r.status != 200 {
				t.Fatalf("set faults: %d %s", r.status, r.body)
			}
			tt.check(t, call(t, ts, "GET", tt.path, keyRead, ""))
			if tt.second {
				wantStatus(200)(t, call(t, ts, "GET", tt.path, keyRead, ""))
			}
		})
	}
}

func wantStatus(status int) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		if r.status != status {
			t.Errorf("status %d, want %d: %.200s", r.status, status, r.body)
		}
	}
}

func wantError(status int, code string) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		wantStatus(status)(t, r)
		if e := decode[errorBody](t, r); e.Error.Code != code {
			t.Errorf("code %q, want %q", e.Error.Code, code)
		}
	}
}

func TestDropConnection(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	tests := []struct {
		name   string
		faults hriznsim.Faults
		drops  int
	}{
		{"drop next", hriznsim.Faults{DropNext: 2}, 2},
		{"drop always, limited to feed", hriznsim.Faults{DropConnection: true, Endpoints: []string{"feed"}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.SetFaults(tt.faults)
			for i := range 4 {
				req, _ := http.NewRequest("GET", ts.URL+feedPath, nil)
				req.Header.Set("X-API-Key", keyRead)
				resp, err := ts.Client().Do(req)
				if i < tt.drops {
					if err == nil {
						resp.Body.Close()
						t.Fatalf("request %d answered %d, want a dropped connection", i, resp.StatusCode)
					}
					continue
				}
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				resp.Body.Close()
			}
		})
	}
	if r := call(t, ts, "GET", "/v1/public/inventory/stats", keyRead, ""); r.status != 200 {
		t.Errorf("stats, outside the faulted endpoints: %d", r.status)
	}
}

// Latency holds the answer back: a client that waits less than it gives up.
func TestLatencyOutlastsAShortDeadline(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	sim.SetFaults(hriznsim.Faults{LatencyMS: 60_000})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+feedPath, nil)
	req.Header.Set("X-API-Key", keyRead)
	if resp, err := ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d within the deadline despite a minute of latency", resp.StatusCode)
	}
}

// The error-rate sequence depends only on the seed.
func TestErrorRateIsDeterministic(t *testing.T) {
	run := func() []int {
		sim, ts := startSim(t, hriznsim.Options{Seed: 5})
		sim.SetFaults(hriznsim.Faults{ErrorRate: 0.3})
		out := make([]int, 40)
		for i := range out {
			out[i] = call(t, ts, "GET", "/v1/public/inventory/stats", keyRead, "").status
		}
		return out
	}
	a, b := run(), run()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d then %d", i, a[i], b[i])
		}
		if a[i] == 500 {
			fails++
		}
	}
	if fails == 0 || fails == len(a) {
		t.Errorf("%d of %d failed at a rate of 0.3", fails, len(a))
	}
}

func TestFaultRoutes(t *testing.T) {
	_, ts := startSim(t, hriznsim.Options{})
	tests := []struct {
		method, body string
		status       int
		want         string // body after the call, compacted
	}{
		{"GET", "", 200, `{}`},
		{"POST", `{"fail_next":2,"endpoints":["feed"]}`, 200, `{"fail_next":2,"endpoints":["feed"]}`},
		{"GET", "", 200, `{"fail_next":2,"endpoints":["feed"]}`},
		{"POST", `{"latency_ms":5}`, 200, `{"latency_ms":5}`}, // replaces the whole set
		{"POST", `{"fail_nxet":1}`, 400, ""},
		{"POST", `{"error_rate":1.5}`, 400, ""},
		{"POST", `{"endpoints":["nope"]}`, 400, ""},
		{"POST", `{"error_status":200}`, 400, ""},
		{"GET", "", 200, `{"latency_ms":5}`}, // rejected bodies change nothing
		{"DELETE", "", 200, `{}`},
		{"PUT", "", 405, ""},
	}
	for i, tt := range tests {
		r := call(t, ts, tt.method, "/_sim/faults", "", tt.body)
		if r.status != tt.status {
			t.Fatalf("step %d %s %s: status %d: %s", i, tt.method, tt.body, r.status, r.body)
		}
		if tt.want != "" && string(r.body) != tt.want+"\n" {
			t.Errorf("step %d: body %s, want %s", i, r.body, tt.want)
		}
	}
}

func TestCountsAndStatsRoutes(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	requests := []struct{ method, path, key, body string }{
		{"GET", "/v1/public/inventory", keyRead, ""},
		{"GET", "/v1/public/inventory", "", ""}, // 401s count too
		{"GET", "/v1/public/inventory/" + docVIN, keyRead, ""},
		{"GET", "/v1/public/inventory/" + docVIN + "/description", keyRead, ""},
		{"GET", "/v1/public/inventory/feed?format=xml", keyWrite, ""}, // and 403s
		{"GET", "/v1/public/inventory/stats", keyRead, ""},
		{"POST", "/v1/public/inventory/" + docVIN + "/description", keyRW, ""},
		{"POST", "/v1/public/inventory/descriptions/batch", keyRW, `{"vins":[]}`}, // and 400s
		{"GET", "/v1/public/inventory/a/b/c", keyRead, ""},                        // not an endpoint
		{"GET", "/_sim/faults", "", ""},                                           // never counted
	}
	for _, r := range requests {
		call(t, ts, r.method, r.path, r.key, r.body)
	}
	want := `{"requests":{"batch":1,"description":1,"details":1,"feed":1,"generate":1,"list":2,"stats":1},"total":8}` + "\n"
	if r := call(t, ts, "GET", "/_sim/stats", "", ""); string(r.body) != want {
		t.Errorf("stats %s, want %s", r.body, want)
	}
	if got := sim.Stats(); got.Total != 8 || got.Requests["list"] != 2 {
		t.Errorf("Stats() = %+v", got)
	}
	zero := `{"requests":{"batch":0,"description":0,"details":0,"feed":0,"generate":0,"list":0,"stats":0},"total":0}` + "\n"
	if r := call(t, ts, "POST", "/_sim/stats/reset", "", ""); string(r.body) != zero {
		t.Errorf("after reset %s", r.body)
	}
	call(t, ts, "GET", "/v1/public/inventory/stats", keyRead, "")
	sim.ResetStats()
	if got := sim.Stats(); got.Total != 0 || len(got.Requests) != 7 {
		t.Errorf("after ResetStats: %+v", got)
	}
	for _, bad := range []struct{ method, path string }{{"GET", "/_sim/stats/reset"}, {"POST", "/_sim/stats"}, {"GET", "/_sim/nope"}} {
		if r := call(t, ts, bad.method, bad.path, "", ""); r.status != 405 && r.status != 404 {
			t.Errorf("%s %s: %d", bad.method, bad.path, r.status)
		}
	}
}

type inventoryState struct {
	Site      string   `json:"site"`
	Vehicles  int      `json:"vehicles"`
	Generated int      `json:"generated"`
	Changed   []string `json:"changed"`
}

func TestInventoryRoute(t *testing.T) {
	_, ts := startSim(t, hriznsim.Options{})
	steps := []struct {
		body     string
		status   int
		vehicles int
		changed  int
	}{
		{`{"site":"","shrink_to":40}`, 200, 40, 0},
		{`{"change":3}`, 200, 40, 3},
		{`{"restore":true}`, 200, 150, 0},
		{`{"restore":true,"shrink_to":0}`, 200, 0, 0},
		{`{"shrink_to":1000}`, 200, 150, 0},
		{`{"site":"nowhere","change":1}`, 404, 0, 0},
		{`{"shrink_to":-1}`, 400, 0, 0},
		{`{"shrink":1}`, 400, 0, 0},
	}
	for i, st := range steps {
		r := call(t, ts, "POST", "/_sim/inventory", "", st.body)
		if r.status != st.status {
			t.Fatalf("step %d %s: status %d %s", i, st.body, r.status, r.body)
		}
		if st.status != 200 {
			continue
		}
		got := decode[inventoryState](t, r)
		if got.Vehicles != st.vehicles || len(got.Changed) != st.changed || got.Generated != 150 {
			t.Fatalf("step %d %s: %+v", i, st.body, got)
		}
		list := decode[listBody](t, call(t, ts, "GET", "/v1/public/inventory?limit=1", keyRead, ""))
		if list.Pagination.TotalCount != st.vehicles {
			t.Fatalf("step %d: the list counts %d vehicles, want %d", i, list.Pagination.TotalCount, st.vehicles)
		}
	}
	if r := call(t, ts, "GET", "/_sim/inventory?site=other", "", ""); decode[inventoryState](t, r).Generated != 0 {
		t.Errorf("other site: %s", r.body)
	}
}

func TestChangeVehicles(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	sim, _ := startSim(t, hriznsim.Options{Now: clock.Now})
	before := map[string]inventory.Vehicle{}
	for _, v := range sim.Vehicles("") {
		before[v.VIN] = v
	}
	first := sim.ChangeVehicles("", 5)
	second := sim.ChangeVehicles("", 5)
	if len(first) != 5 || len(second) != 5 {
		t.Fatalf("changed %v and %v", first, second)
	}
	seen := map[string]bool{}
	after := sim.Vehicles("")
	for _, vin := range append(first, second...) {
		if seen[vin] {
			t.Errorf("%s changed twice: calls should move on", vin)
		}
		seen[vin] = true
		old := before[vin]
		v, _ := (&inventory.Snapshot{Vehicles: after}).Find(vin)
		if *v.Price >= *old.Price || !v.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("%s: price %v → %v, updated_at %v", vin, *old.Price, *v.Price, v.UpdatedAt)
		}
		if v.MSRP != nil && *v.MSRP <= *v.Price && old.Condition == inventory.New {
			t.Errorf("%s: new vehicle priced above its MSRP", vin)
		}
	}
	// Vehicles is a deep copy: changing it changes nothing in the simulator.
	k := slices.IndexFunc(after, func(v inventory.Vehicle) bool { return len(v.Images) > 0 })
	*after[k].Mileage = -1
	after[k].Images[0] = "changed"
	if v := sim.Vehicles("")[k]; *v.Mileage == -1 || v.Images[0] == "changed" {
		t.Error("Vehicles shares memory with the simulator")
	}
	if got := sim.ChangeVehicles("nowhere", 3); len(got) != 0 {
		t.Errorf("unknown site changed %v", got)
	}
	sim.SetInventorySize("", 10)
	if n := len(sim.Vehicles("")); n != 10 {
		t.Errorf("SetInventorySize(10) lists %d", n)
	}
	if got := sim.ChangeVehicles("", 20); len(got) > 10 {
		t.Errorf("changed %d of 10 listed vehicles", len(got))
	}
}

// TestListFaults: the pagination faults bend list answers the way a glitching upstream does,
// and only list answers.
func TestListFaults(t *testing.T) {
	const page1 = "/v1/public/inventory?limit=100"
	type listBody struct {
		Data       []json.RawMessage    `json:"data"`
		Pagination inventory.Pagination `json:"pagination"`
	}
	tests := []struct {
		name   string
		faults string
		check  func(t *testing.T, first, second listBody)
	}{
		{"stop early next", `{"list_stop_early_next":1}`, func(t *testing.T, a, b listBody) {
			if a.Pagination.HasMore || a.Pagination.NextCursor != nil || a.Pagination.TotalCount != 157 || len(a.Data) != 100 {
				t.Errorf("faulted page: has_more %v, cursor %v, total %d, %d items", a.Pagination.HasMore, a.Pagination.NextCursor, a.Pagination.TotalCount, len(a.Data))
			}
			if !b.Pagination.HasMore || b.Pagination.NextCursor == nil {
				t.Error("the next page stops early too")
			}
		}},
		{"total count", `{"list_total_count":1000000000}`, func(t *testing.T, a, b listBody) {
			if a.Pagination.TotalCount != 1e9 || b.Pagination.TotalCount != 1e9 || len(a.Data) != 100 {
				t.Errorf("total %d then %d", a.Pagination.TotalCount, b.Pagination.TotalCount)
			}
		}},
		{"cursor churn", `{"list_cursor_churn":true}`, func(t *testing.T, a, b listBody) {
			if !a.Pagination.HasMore || !b.Pagination.HasMore || a.Pagination.NextCursor == nil || b.Pagination.NextCursor == nil ||
				*a.Pagination.NextCursor == *b.Pagination.NextCursor {
				t.Errorf("cursors %v and %v, want two different ones", a.Pagination.NextCursor, b.Pagination.NextCursor)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := startSim(t, hriznsim.Options{Vehicles: 157})
			if r := call(t, ts, "POST", "/_sim/faults", "", tt.faults); r.status != 200 {
				t.Fatalf("set faults: %d %s", r.status, r.body)
			}
			first := decode[listBody](t, call(t, ts, "GET", page1, keyRead, ""))
			second := decode[listBody](t, call(t, ts, "GET", page1, keyRead, ""))
			tt.check(t, first, second)
			wantStatus(200)(t, call(t, ts, "GET", "/v1/public/inventory/stats", keyRead, ""))
		})
	}
}

// TestVehicleFaults: the per-vehicle faults describe the first listed vehicles badly in every
// answer that carries them, and leave the others alone.
func TestVehicleFaults(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{Vehicles: 30})
	vs := sim.Vehicles("")
	sim.SetFaults(hriznsim.Faults{BadTypes: 2, DetailsNotFound: 3, DetailsWrongVIN: 4})
	// The first 2 VINs are bad and 404; VINs 3 and 4 answer with the next vehicle.
	list := decode[struct {
		Data []map[string]any `json:"data"`
	}](t, call(t, ts, "GET", "/v1/public/inventory?limit=5", keyRead, ""))
	if list.Data[0]["year"] != "twenty" {
		t.Errorf("first item's year %v, want \"twenty\"", list.Data[0]["year"])
	}
	if _, isString := list.Data[1]["price"].(string); !isString {
		t.Errorf("second item's price %v, want a string", list.Data[1]["price"])
	}
	if _, isNumber := list.Data[2]["year"].(float64); !isNumber {
		t.Errorf("third item's year %v, want a number", list.Data[2]["year"])
	}
	feed := decode[struct {
		Data struct {
			Vehicles []map[string]any `json:"vehicles"`
		} `json:"data"`
	}](t, call(t, ts, "GET", feedPath, keyRead, ""))
	if len(feed.Data.Vehicles) != 30 || feed.Data.Vehicles[0]["year"] != "twenty" {
		t.Errorf("feed: %d vehicles, first year %v", len(feed.Data.Vehicles), feed.Data.Vehicles[0]["year"])
	}
	wantError(404, "not_found")(t, call(t, ts, "GET", "/v1/public/inventory/"+vs[1].VIN, keyRead, ""))
	type details struct {
		Data struct {
			VIN string `json:"vin"`
		} `json:"data"`
	}
	if got := decode[details](t, call(t, ts, "GET", "/v1/public/inventory/"+vs[3].VIN, keyRead, "")); got.Data.VIN != vs[4].VIN {
		t.Errorf("details of %s answered %s, want %s", vs[3].VIN, got.Data.VIN, vs[4].VIN)
	}
	if got := decode[details](t, call(t, ts, "GET", "/v1/public/inventory/"+vs[5].VIN, keyRead, "")); got.Data.VIN != vs[5].VIN {
		t.Errorf("details of an unfaulted %s answered %s", vs[5].VIN, got.Data.VIN)
	}
	for _, body := range []string{`{"bad_types":-1}`, `{"details_wrong_vin":-2}`, `{"list_total_count":-1}`, `{"list_stop_early_next":-1}`} {
		if r := call(t, ts, "POST", "/_sim/faults", "", body); r.status != 400 {
			t.Errorf("%s: %d, want 400", body, r.status)
		}
	}
}
