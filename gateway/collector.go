package gateway

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

// stateCollector reads the cache's counters and each configured tenant's snapshot state at scrape
// time, so nothing has to push them.
type stateCollector struct {
	s *Server

	cacheEvents *prometheus.Desc
	vehicles    *prometheus.Desc
	age         *prometheus.Desc
	heldBack    *prometheus.Desc
	degraded    *prometheus.Desc
	tenants     *prometheus.Desc
}

func newStateCollector(s *Server) *stateCollector {
	return &stateCollector{
		s: s,
		cacheEvents: prometheus.NewDesc("feedgate_cache_events_total",
			"Cache events by kind (hits per layer, misses, stale serves, coalesced waits, syncs, failures, ...).",
			[]string{"event"}, nil),
		vehicles: prometheus.NewDesc("feedgate_snapshot_vehicles",
			"Vehicles in the tenant's snapshot being served.", []string{"tenant"}, nil),
		age: prometheus.NewDesc("feedgate_snapshot_age_seconds",
			"Seconds since the tenant's served snapshot was fetched.", []string{"tenant"}, nil),
		heldBack: prometheus.NewDesc("feedgate_snapshot_held_back",
			"1 while the shrink guard holds back a smaller snapshot of the tenant.", []string{"tenant"}, nil),
		degraded: prometheus.NewDesc("feedgate_degraded",
			"1 while Redis is unreachable and this replica serves from its own memory.", nil, nil),
		tenants: prometheus.NewDesc("feedgate_config_tenants",
			"Tenants in the configuration being served.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (sc *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sc.cacheEvents, sc.vehicles, sc.age, sc.heldBack, sc.degraded, sc.tenants} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (sc *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st := sc.s.state.Load()
	ch <- prometheus.MustNewConstMetric(sc.tenants, prometheus.GaugeValue, float64(len(st.tenants)))
	ch <- prometheus.MustNewConstMetric(sc.degraded, prometheus.GaugeValue, boolFloat(sc.s.deps.Store.Degraded()))
	r := sc.s.deps.Reporter
	if r == nil {
		return
	}
	for event, n := range r.Counters() {
		ch <- prometheus.MustNewConstMetric(sc.cacheEvents, prometheus.CounterValue, float64(n), event)
	}
	ids := make([]string, 0, len(st.tenants))
	for id := range st.tenants {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	now := sc.s.opts.Now()
	for _, id := range ids {
		status := r.Status(id)
		ch <- prometheus.MustNewConstMetric(sc.heldBack, prometheus.GaugeValue, boolFloat(status.HeldBack), id)
		if status.FetchedAt.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(sc.vehicles, prometheus.GaugeValue, float64(status.Vehicles), id)
		ch <- prometheus.MustNewConstMetric(sc.age, prometheus.GaugeValue, now.Sub(status.FetchedAt).Seconds(), id)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
