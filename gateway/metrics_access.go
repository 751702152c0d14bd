package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/feedgate/feedgate/inventory"
)

// Who may read /metrics, where, and whether it names tenants (the configuration's metrics
// section). The feed routes hide which tenants exist; per-tenant series would list them, so an
// operator can restrict the scrape (a listener of its own, a key) or fold the series.

// metricsHandler serves the registry as the current configuration allows: with a key when
// metrics.key_hash is set, and folded over tenants when metrics.per_tenant is false.
func (s *Server) metricsHandler() http.Handler {
	prom := promhttp.HandlerFor(prometheus.GathererFunc(s.gatherMetrics), promhttp.HandlerOpts{Registry: s.deps.Metrics.reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.metricsAllowed(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="feedgate metrics", charset="UTF-8"`)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"Missing or invalid API key"}}` + "\n"))
			return
		}
		prom.ServeHTTP(w, r)
	})
}

// metricsRoute is GET /metrics on the main listener; while ServeMetrics serves them elsewhere
// (metrics.listen), it is not found here.
func (s *Server) metricsRoute() gin.HandlerFunc {
	h := s.metricsHandler()
	return func(c *gin.Context) {
		if s.deps.Metrics.elsewhere.Load() {
			s.fail(c, inventory.Errorf(inventory.ENotFound, "Route not found"))
			return
		}
		if g, ok := s.state.Load().keys.lookup(presentedKey(c.Request, false)); ok {
			setLogKey(c, g)
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
}

// metricsAllowed admits any scrape when no metrics key is configured, and otherwise the metrics
// key or an admin key.
func (s *Server) metricsAllowed(r *http.Request) bool {
	st := s.state.Load()
	want, ok := strings.CutPrefix(st.cfg.Metrics.KeyHash, "sha256:")
	if !ok {
		return true
	}
	key := presentedKey(r, false)
	if key == "" {
		return false
	}
	if g, found := st.keys.lookup(key); found && g.admin {
		return true
	}
	wantSum, err := hex.DecodeString(want)
	sum := sha256.Sum256([]byte(key))
	return err == nil && subtle.ConstantTimeCompare(wantSum, sum[:]) == 1
}

// gatherMetrics gathers the registry, folded over tenants when the configuration says so.
func (s *Server) gatherMetrics() ([]*dto.MetricFamily, error) {
	mfs, err := s.deps.Metrics.reg.Gather()
	if s.state.Load().cfg.Metrics.PerTenant {
		return mfs, err
	}
	return foldTenants(mfs), err
}

// foldLabel reports whether a label names a tenant or one of its feeds.
func foldLabel(name string) bool { return name == "tenant" || name == "feed" }

// foldTenants drops the tenant and feed labels: counters are summed over them, and any other
// series that has them (a tenant's gauges) is left out.
func foldTenants(mfs []*dto.MetricFamily) []*dto.MetricFamily {
	out := mfs[:0]
	for _, mf := range mfs {
		type sum struct {
			labels []*dto.LabelPair
			value  float64
		}
		var kept []*dto.Metric
		sums := map[string]*sum{}
		var order []string
		for _, m := range mf.GetMetric() {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return foldLabel(l.GetName()) }) {
				kept = append(kept, m)
				continue
			}
			if mf.GetType() != dto.MetricType_COUNTER {
				continue
			}
			var rest []*dto.LabelPair
			var id strings.Builder
			for _, l := range m.GetLabel() {
				if !foldLabel(l.GetName()) {
					rest = append(rest, l)
					fmt.Fprintf(&id, "%s=%q,", l.GetName(), l.GetValue())
				}
			}
			k := id.String()
			if sums[k] == nil {
				sums[k] = &sum{labels: rest}
				order = append(order, k)
			}
			sums[k].value += m.GetCounter().GetValue()
		}
		for _, k := range order {
			v := sums[k].value
			kept = append(kept, &dto.Metric{Label: sums[k].labels, Counter: &dto.Counter{Value: &v}})
		}
		if len(kept) > 0 {
			mf.Metric = kept
			out = append(out, mf)
		}
	}
	return out
}

// ServeMetrics serves /metrics (and nothing else) on ln until ctx is done, for metrics.listen:
// meanwhile the main listener's /metrics answers 404, so the scrape stays off the public one.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	h := s.metricsHandler()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	// Anything else gets the main listener's 404 body, in the one error shape (errors.go).
	notFound, err := inventory.MarshalJSON(inventory.ErrorBody{Error: inventory.ErrorDetail{Code: inventory.ENotFound, Message: "Route not found"}})
	if err != nil {
		return fmt.Errorf("gateway: metrics: %w", err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(notFound)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	s.deps.Metrics.elsewhere.Store(true)
	defer s.deps.Metrics.elsewhere.Store(false)
	return serveUntil(ctx, srv, ln, "metrics", 5*time.Second, nil)
}
