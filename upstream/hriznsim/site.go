package hriznsim

import (
	"slices"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// site is one dealer's inventory. Its vehicle slice is copy-on-write: a change builds a new
// slice and swaps it in, so a handler may keep reading the slice it took under the lock while
// another request changes the site.
type site struct {
	all       []inventory.Vehicle // sorted by VIN; never changed in place once published
	index     map[string]int      // VIN → position in all; positions never change
	size      int                 // vehicles currently listed: all[:size]
	pending   map[string]time.Time
	changeIdx int // where ChangeVehicles continues, so repeated calls touch other vehicles
}

func newSite(vs []inventory.Vehicle) *site {
	st := &site{all: vs, index: make(map[string]int, len(vs)), size: len(vs), pending: map[string]time.Time{}}
	for i := range vs {
		st.index[vs[i].VIN] = i
	}
	return st
}

func (st *site) active() []inventory.Vehicle { return st.all[:st.size:st.size] }

func (st *site) find(vin string) (int, bool) {
	i, ok := st.index[inventory.NormalizeVIN(vin)]
	return i, ok && i < st.size
}

// update applies change to a fresh copy of the vehicles and publishes it.
func (st *site) update(change func(vs []inventory.Vehicle)) {
	vs := slices.Clone(st.all)
	change(vs)
	st.all = vs
}

// read returns the site's current vehicles, after completing descriptions that are due. The
// slice is shared: callers must not change it.
func (s *Server) read(name string) []inventory.Vehicle {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	if st, ok := s.sites[name]; ok {
		return st.active()
	}
	return nil
}

// find returns a copy of the site's vehicle with the VIN (case-insensitive).
func (s *Server) find(name, vin string) (*inventory.Vehicle, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	st, ok := s.sites[name]
	if !ok {
		return nil, false
	}
	i, ok := st.find(vin)
	if !ok {
		return nil, false
	}
	v := st.all[i]
	return &v, true
}

// startGeneration marks the site's VINs as generating and schedules their completion. Unknown
// VINs come back failed, each item keeping the VIN as the caller spelled it.
func (s *Server) startGeneration(name string, vins []string) []inventory.GenerateItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	items := make([]inventory.GenerateItem, len(vins))
	st := s.sites[name]
	var idx []int
	due := s.now().Add(s.delay)
	for j, vin := range vins {
		vin = strings.TrimSpace(vin)
		items[j] = inventory.GenerateItem{VIN: vin, Status: inventory.DescriptionGenerating}
		i, ok := -1, false
		if st != nil {
			i, ok = st.find(vin)
		}
		if !ok {
			items[j].Status = inventory.DescriptionFailed
			items[j].Error = "Vehicle not found or generation failed"
			continue
		}
		idx = append(idx, i)
		st.pending[st.all[i].VIN] = due
	}
	if len(idx) > 0 {
		st.update(func(vs []inventory.Vehicle) {
			for _, i := range idx {
				vs[i].DescriptionStatus = inventory.DescriptionGenerating
			}
		})
		s.settleLocked()
	}
	return items
}

// settleLocked completes every description that is due, sends the webhooks for them and arms
// the timer for the next one. Completion is thus lazy on every read and, for webhooks, driven
// by one timer rather than a goroutine per VIN.
func (s *Server) settleLocked() {
	now := s.now()
	var events []event
	for _, st := range s.sites {
		if len(st.pending) == 0 {
			continue
		}
		var done []int
		var dues []time.Time
		for vin, due := range st.pending {
			if due.After(now) {
				continue
			}
			delete(st.pending, vin)
			done = append(done, st.index[vin])
			dues = append(dues, due)
		}
		if len(done) == 0 {
			continue
		}
		st.update(func(vs []inventory.Vehicle) {
			for k, i := range done {
				completeDescription(&vs[i], dues[k])
				events = append(events, newEvent(vs[i].VIN, dues[k]))
			}
		})
	}
	s.armLocked()
	s.sendLocked(events)
}

// completeDescription gives v its generated description as of at, and moves updated_at on so
// that an incremental sync sees the change.
func completeDescription(v *inventory.Vehicle, at time.Time) {
	at = at.UTC().Truncate(time.Second)
	v.AIDescription = Describe(v)
	v.DescriptionStatus = inventory.DescriptionCompleted
	v.DescriptionGeneratedAt = &at
	v.UpdatedAt = after(at, v.UpdatedAt)
}

// after is t, or a second past prev if t is not later than it.
func after(t, prev time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if !t.After(prev) {
		return prev.UTC().Truncate(time.Second).Add(time.Second)
	}
	return t
}

// armLocked sets the timer for the earliest pending description.
func (s *Server) armLocked() {
	var first time.Time
	for _, st := range s.sites {
		for _, due := range st.pending {
			if first.IsZero() || due.Before(first) {
				first = due
			}
		}
	}
	if s.closed || first.IsZero() {
		return
	}
	if s.timer != nil {
		if s.timerDue.Equal(first) {
			return
		}
		s.timer.Stop()
	}
	s.timerDue = first
	s.timer = time.AfterFunc(max(first.Sub(s.now()), time.Millisecond), s.onTimer)
}

func (s *Server) onTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.timer = nil
	s.settleLocked()
}

// Vehicles returns a deep copy of a site's current inventory, sorted by VIN; nil for a site
// the simulator does not know.
func (s *Server) Vehicles(site string) []inventory.Vehicle {
	vs := s.read(site)
	if vs == nil {
		return nil
	}
	out := make([]inventory.Vehicle, len(vs))
	for i := range vs {
		out[i] = vs[i].Clone()
	}
	return out
}

// ChangeVehicles changes the price and updated_at of n listed vehicles of the site (each call
// moving on to the next ones) and returns their VINs.
func (s *Server) ChangeVehicles(site string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.sites[site]
	if !ok || st.size == 0 || n <= 0 {
		return []string{}
	}
	now := s.now()
	var vins []string
	st.update(func(vs []inventory.Vehicle) {
		for tries := 0; len(vins) < n && tries < st.size; tries++ {
			v := &vs[st.changeIdx%st.size]
			st.changeIdx++
			if v.Price == nil {
				continue // vehicles without a price stay so: feeds must keep excluding them
			}
			v.Price = inventory.Ptr(newPrice(*v.Price))
			v.UpdatedAt = after(now, v.UpdatedAt)
			vins = append(vins, v.VIN)
		}
	})
	if vins == nil {
		vins = []string{}
	}
	return vins
}

// newPrice is a price cut of about 2%, in whole hundreds, which keeps a new vehicle's price
// below its MSRP.
func newPrice(p float64) float64 {
	np := roundTo(p*0.98, 100)
	if np >= p {
		np = p - 100
	}
	if np <= 0 {
		np = p + 500
	}
	return np
}

// SetInventorySize lists only the first n vehicles of the site by VIN (a shrinking inventory),
// or, with n at or above the generated size, all of them again.
func (s *Server) SetInventorySize(site string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.sites[site]; ok {
		st.size = min(max(n, 0), len(st.all))
	}
}

// inventorySize reports a site's listed and generated sizes.
func (s *Server) inventorySize(site string) (listed, generated int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.sites[site]
	if !ok {
		return 0, 0, false
	}
	return st.size, len(st.all), true
}
