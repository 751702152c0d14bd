package gateway

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// dropinMetrics are the drop-in API's, the webhooks' and the admin routes' own measurements.
type dropinMetrics struct {
	reads    *prometheus.CounterVec
	writes   *prometheus.CounterVec
	webhooks *prometheus.CounterVec
	admin    *prometheus.CounterVec

	readChildren children[readLabels, prometheus.Counter]
}

type readLabels struct {
	tenant  string
	outcome Outcome
}

// countRead counts one read of tenant's snapshot that came out as o.
func (d *dropinMetrics) countRead(tenant string, o Outcome) {
	d.readChildren.get(readLabels{tenant, o}).Inc()
}

func newDropinMetrics(m *Metrics, log *slog.Logger) *dropinMetrics {
	d := &dropinMetrics{
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedgate_inventory_api_reads_total",
			Help: "Drop-in API reads by tenant and snapshot cache outcome (hit, miss, stale).",
		}, []string{"tenant", "outcome"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedgate_inventory_api_writes_total",
			Help: "Drop-in API writes forwarded upstream, by tenant, endpoint and upstream status (error: no answer).",
		}, []string{"tenant", "endpoint", "status"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedgate_webhooks_total",
			Help: "Webhook deliveries by result (accepted, refused) and reason.",
		}, []string{"result", "reason"}),
		admin: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedgate_admin_actions_total",
			Help: "Admin actions (refresh, accept) by result (ok, failed).",
		}, []string{"action", "result"}),
	}
	d.reads = register(m, log, d.reads)
	d.writes = register(m, log, d.writes)
	d.webhooks = register(m, log, d.webhooks)
	d.admin = register(m, log, d.admin)
	d.readChildren.make = func(l readLabels) prometheus.Counter {
		return d.reads.WithLabelValues(l.tenant, l.outcome.String())
	}
	return d
}

// register adds c to m, or reuses the collector already there when two servers share one
// Metrics (tests, a reload that rebuilds the server).
func register(m *Metrics, log *slog.Logger, c *prometheus.CounterVec) *prometheus.CounterVec {
	err := m.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing
		}
	}
	log.Error("gateway: drop-in metrics not registered", "err", err.Error())
	return c
}
