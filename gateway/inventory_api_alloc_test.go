//go:build !race

// Under the race detector sync.Pool drops what is put back at random (gin's contexts among it),
// so allocations are counted only without it.

package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestDropinHitAllocations wants a cached list page and details page served without an
// allocation of their own (query, stored name, lookup and headers), but for a filtered page's
// stored name (a hash of its query).
func TestDropinHitAllocations(t *testing.T) {
	e := newDropinEnvLimit(t, hriznsim.Options{Vehicles: 40}, 1<<30)
	vin := e.sim.Vehicles("")[0].VIN
	for target, most := range map[string]float64{
		"/v1/public/inventory?limit=25": 0, "/v1/public/inventory/" + vin: 0, "/v1/public/inventory?limit=10&make=Honda&year=2024": 1,
	} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("X-API-Key", e.keys["website"])
		req.Header.Set("Accept-Encoding", "gzip")
		w := &discardWriter{h: http.Header{}}
		for range 3 {
			clear(w.h)
			e.srv.ServeHTTP(w, req)
		}
		if w.h.Get("Cache-Status") != "feedgate; hit" || w.h.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: not a stored hit: %v", target, w.h)
		}
		allocs := testing.AllocsPerRun(200, func() {
			clear(w.h)
			e.srv.ServeHTTP(w, req)
		})
		if allocs > most {
			t.Errorf("%s: a hit allocates %.1f times, want at most %.0f", target, allocs, most)
		}
	}
}
