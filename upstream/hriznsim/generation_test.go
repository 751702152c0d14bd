package hriznsim_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// A controllable clock: generation completes when it says so, lazily on the next read.
func TestGenerationCompletesOnTheClock(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	sim, ts := startSim(t, hriznsim.Options{DescriptionDelay: time.Hour, Now: clock.Now})
	var target inventory.Vehicle
	for _, v := range sim.Vehicles("") {
		if !v.HasDescription() {
			target = v
			break
		}
	}
	if target.VIN == "" {
		t.Fatal("no vehicle without a description")
	}
	before := inventory.ComputeStats(sim.Vehicles(""))
	descPath := "/v1/public/inventory/" + target.VIN + "/description"
	if r := call(t, ts, "POST", descPath, keyRW, ""); r.status != 202 {
		t.Fatalf("generate: %d %s", r.status, r.body)
	}
	steps := []struct {
		advance time.Duration
		status  string
	}{
		{0, inventory.DescriptionGenerating},
		{59 * time.Minute, inventory.DescriptionGenerating},
		{time.Minute, inventory.DescriptionCompleted},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		d := decode[struct{ Data inventory.DescriptionView }](t, call(t, ts, "GET", descPath, keyRead, "")).Data
		if d.Status != st.status {
			t.Fatalf("after %v: status %q, want %q", st.advance, d.Status, st.status)
		}
		if st.status == inventory.DescriptionGenerating && (d.Description != nil || d.GeneratedAt != nil) {
			t.Fatalf("generating, yet description %v at %v", d.Description, d.GeneratedAt)
		}
	}
	d := decode[struct{ Data inventory.Details }](t, call(t, ts, "GET", "/v1/public/inventory/"+target.VIN, keyRead, "")).Data
	if d.AIDescription == nil || *d.AIDescription == "" || d.DescriptionStatus != inventory.DescriptionCompleted {
		t.Fatalf("details after completion: %+v", d)
	}
	if !d.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("updated_at %v, want the completion time %v", d.UpdatedAt, clock.Now())
	}
	after := inventory.ComputeStats(sim.Vehicles(""))
	if after.WithAIDescription != before.WithAIDescription+1 {
		t.Errorf("with_ai_description %d → %d", before.WithAIDescription, after.WithAIDescription)
	}
}

func TestGenerationImmediate(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	v := sim.Vehicles("")[10]
	r := call(t, ts, "POST", "/v1/public/inventory/"+v.VIN+"/description", keyRW, "")
	if r.status != 202 || !strings.Contains(string(r.body), `"status":"generating"`) {
		t.Fatalf("generate: %d %s", r.status, r.body)
	}
	got := sim.Vehicles("")[10]
	if got.DescriptionStatus != inventory.DescriptionCompleted || got.AIDescription != hriznsim.Describe(&got) ||
		!got.UpdatedAt.After(v.UpdatedAt) || got.DescriptionGeneratedAt == nil {
		t.Errorf("after immediate generation: %+v", got)
	}
}

// Readers keep using the slice they took while writers change the site: run under -race.
func TestConcurrentReadsAndChanges(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{DescriptionDelay: time.Millisecond})
	vins := sim.Vehicles("")
	// get may run off the test goroutine, so it reports with Error rather than Fatal.
	get := func(method, path, key string) {
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		req.Header.Set("X-API-Key", key)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				switch (w + i) % 4 {
				case 0:
					get("GET", "/v1/public/inventory/feed?format=xml", keyRead)
				case 1:
					get("GET", "/v1/public/inventory?limit=100", keyRead)
				case 2:
					get("POST", "/v1/public/inventory/"+vins[i].VIN+"/description", keyRW)
				default:
					sim.ChangeVehicles("", 2)
				}
			}
		})
	}
	wg.Wait()
	if got := len(sim.Vehicles("")); got != hriznsim.DefaultVehicles {
		t.Errorf("%d vehicles after concurrent changes", got)
	}
}

func TestDescribe(t *testing.T) {
	v := hriznsim.DocumentedVehicle()
	used := v
	used.Condition, used.Mileage, used.Price = inventory.Used, inventory.Ptr(45210), nil
	tests := []struct {
		name string
		v    inventory.Vehicle
		want []string
	}{
		{"new", v, []string{"The 2026 Honda Civic EX in Crystal Black Pearl", "Brand new with 12 miles", "$28,500."}},
		{"used without a price", used, []string{"pre-owned sedan has 45,210 miles", "contact us for pricing."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hriznsim.Describe(&tt.v)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			if got != hriznsim.Describe(&tt.v) {
				t.Error("Describe is not deterministic")
			}
		})
	}
}
