package gateway

import (
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ChangeMetrics count each tenant's inventory changes as syncs find them: vehicles added,
// removed (sold) and price changes. The wiring feeds them from the change log.
type ChangeMetrics struct {
	added, removed, prices *prometheus.CounterVec
}

// NewChangeMetrics registers the change counters on m.
func NewChangeMetrics(m *Metrics) (*ChangeMetrics, error) {
	c := &ChangeMetrics{
		added: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedgate_vehicles_added_total", Help: "Vehicles that appeared in a tenant's inventory, by tenant.",
		}, []string{"tenant"}),
		removed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedgate_vehicles_removed_total", Help: "Vehicles that left a tenant's inventory (sold), by tenant.",
		}, []string{"tenant"}),
		prices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedgate_price_changes_total", Help: "Vehicle price changes in a tenant's inventory, by tenant.",
		}, []string{"tenant"}),
	}
	for _, col := range []prometheus.Collector{c.added, c.removed, c.prices} {
		if err := m.Register(col); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Count adds one sync's changes of tenant.
func (c *ChangeMetrics) Count(tenant string, added, removed, priceChanges int) {
	c.added.WithLabelValues(tenant).Add(float64(added))
	c.removed.WithLabelValues(tenant).Add(float64(removed))
	c.prices.WithLabelValues(tenant).Add(float64(priceChanges))
}

// fetchClock remembers when something was last fetched, as Unix nanoseconds; zero for never. One
// clock lives as long as the feed or key it belongs to, across configuration reloads.
type fetchClock = atomic.Int64

// fetched records a fetch at now. The clock moves only once it is a second or more behind, so
// that the hits of one feed on every core read the word instead of all writing it (the admin
// page and feedgate_feed_last_fetch_timestamp_seconds show seconds).
func fetched(c *fetchClock, now time.Time) {
	if c == nil {
		return
	}
	if n := now.UnixNano(); n-c.Load() >= int64(time.Second) {
		c.Store(n)
	}
}

// lastFetch is the time of the last fetch, zero for never.
func lastFetch(c *fetchClock) time.Time {
	if c == nil {
		return time.Time{}
	}
	if n := c.Load(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

// fetchCollector exports when each feed was last fetched ("did Google fetch today?"), the feeds
// held back, and the freshness settings alert rules compare ages with.
type fetchCollector struct {
	s                  *Server
	last, held         *prometheus.Desc
	freshFor, staleFor *prometheus.Desc
}

func newFetchCollector(s *Server) *fetchCollector {
	return &fetchCollector{s: s,
		last: prometheus.NewDesc("feedgate_feed_last_fetch_timestamp_seconds",
			"Unix time of the last successful fetch of the feed on this replica (200 or 304).", []string{"tenant", "feed"}, nil),
		held: prometheus.NewDesc("feedgate_feed_held_back",
			"1 while the feed's latest render is held back (it would be empty or far smaller than the last good one).",
			[]string{"tenant", "feed"}, nil),
		freshFor: prometheus.NewDesc("feedgate_config_fresh_for_seconds",
			"cache.fresh_for of the configuration in service.", nil, nil),
		staleFor: prometheus.NewDesc("feedgate_config_serve_stale_for_seconds",
			"cache.serve_stale_for of the configuration in service.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (fc *fetchCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{fc.last, fc.held, fc.freshFor, fc.staleFor} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (fc *fetchCollector) Collect(ch chan<- prometheus.Metric) {
	st := fc.s.state.Load()
	ch <- prometheus.MustNewConstMetric(fc.freshFor, prometheus.GaugeValue, st.cfg.Cache.FreshFor.Seconds())
	ch <- prometheus.MustNewConstMetric(fc.staleFor, prometheus.GaugeValue, st.cfg.Cache.ServeStaleFor.Seconds())
	for _, h := range fc.s.deps.Publisher.Held() {
		ch <- prometheus.MustNewConstMetric(fc.held, prometheus.GaugeValue, 1, h.Tenant, h.Feed)
	}
	ids := make([]string, 0, len(st.tenants))
	for id := range st.tenants {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for name, fs := range st.tenants[id].feeds {
			if t := lastFetch(fs.lastFetch); !t.IsZero() {
				ch <- prometheus.MustNewConstMetric(fc.last, prometheus.GaugeValue, float64(t.UnixNano())/1e9, id, name)
			}
		}
	}
}
