package hriznsim

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// Counts is how many API requests each endpoint received, whatever their status; control
// routes are never counted.
type Counts struct {
	Requests map[string]int `json:"requests"`
	Total    int            `json:"total"`
}

// Stats returns the request counts, the same numbers as GET /_sim/stats.
func (s *Server) Stats() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counts{Requests: make(map[string]int, 7), Total: s.total}
	for _, e := range Endpoints() {
		c.Requests[e] = s.counts[e]
	}
	return c
}

// ResetStats sets every request count back to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
	s.total = 0
}

// InventoryChange is the body of POST /_sim/inventory. Its parts apply in the order restore,
// shrink, change.
type InventoryChange struct {
	Site     string `json:"site"`
	ShrinkTo *int   `json:"shrink_to,omitempty"` // list only the first N vehicles by VIN
	Change   int    `json:"change,omitempty"`    // change the price and updated_at of N vehicles
	Restore  bool   `json:"restore,omitempty"`   // list every generated vehicle again
}

// InventoryState is the answer of /_sim/inventory.
type InventoryState struct {
	Site      string   `json:"site"`
	Vehicles  int      `json:"vehicles"`  // listed now
	Generated int      `json:"generated"` // generated for the site
	Changed   []string `json:"changed"`   // VINs the change touched
}

// serveControl answers the /_sim/ routes: no key, never counted, never faulted.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	resp := s.control(r)
	resp.write(w)
}

func (s *Server) control(r *http.Request) *response {
	path := strings.TrimSuffix(r.URL.Path, "/")
	methods := map[string]string{
		"/_sim/stats":       "GET",
		"/_sim/stats/reset": "POST",
		"/_sim/faults":      "GET, POST, DELETE",
		"/_sim/inventory":   "GET, POST",
	}
	allow, ok := methods[path]
	if !ok {
		return notFoundPath()
	}
	switch path + " " + r.Method {
	case "/_sim/stats GET":
		return jsonResponse(http.StatusOK, s.Stats())
	case "/_sim/stats/reset POST":
		s.ResetStats()
		return jsonResponse(http.StatusOK, s.Stats())
	case "/_sim/faults GET":
		return jsonResponse(http.StatusOK, s.CurrentFaults())
	case "/_sim/faults POST":
		var f Faults
		if resp := decodeStrict(r, &f); resp != nil {
			return resp
		}
		if err := f.Validate(); err != nil {
			return errorResponse(http.StatusBadRequest, inventory.EValidation, err.Error(), nil)
		}
		s.SetFaults(f)
		return jsonResponse(http.StatusOK, s.CurrentFaults())
	case "/_sim/faults DELETE":
		s.SetFaults(Faults{})
		return jsonResponse(http.StatusOK, s.CurrentFaults())
	case "/_sim/inventory GET":
		return s.inventoryState(r.URL.Query().Get("site"), nil)
	case "/_sim/inventory POST":
		var c InventoryChange
		if resp := decodeStrict(r, &c); resp != nil {
			return resp
		}
		return s.changeInventory(c)
	}
	resp := errorResponse(http.StatusMethodNotAllowed, "method_not_allowed",
		"Method "+r.Method+" is not allowed here; use "+allow, nil)
	resp.header.Set("Allow", allow)
	return resp
}

func (s *Server) changeInventory(c InventoryChange) *response {
	if _, _, ok := s.inventorySize(c.Site); !ok {
		return errorResponse(http.StatusNotFound, inventory.ENotFound, "No such site", nil)
	}
	if (c.ShrinkTo != nil && *c.ShrinkTo < 0) || c.Change < 0 {
		return errorResponse(http.StatusBadRequest, inventory.EValidation,
			"shrink_to and change must not be negative", nil)
	}
	if c.Restore {
		_, generated, _ := s.inventorySize(c.Site)
		s.SetInventorySize(c.Site, generated)
	}
	if c.ShrinkTo != nil {
		s.SetInventorySize(c.Site, *c.ShrinkTo)
	}
	changed := []string{}
	if c.Change > 0 {
		changed = s.ChangeVehicles(c.Site, c.Change)
	}
	return s.inventoryState(c.Site, changed)
}

func (s *Server) inventoryState(site string, changed []string) *response {
	listed, generated, ok := s.inventorySize(site)
	if !ok {
		return errorResponse(http.StatusNotFound, inventory.ENotFound, "No such site", nil)
	}
	if changed == nil {
		changed = []string{}
	}
	return jsonResponse(http.StatusOK, InventoryState{Site: site, Vehicles: listed, Generated: generated, Changed: changed})
}

// decodeStrict reads a JSON body, refusing unknown fields so that a typo in a fault name fails
// loudly instead of silently doing nothing.
func decodeStrict(r *http.Request, v any) *response {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorResponse(http.StatusBadRequest, inventory.EValidation, "request body: "+err.Error(), nil)
	}
	return nil
}
