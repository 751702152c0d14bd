package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the gateway's Prometheus metrics, on a registry of their own. Create them before
// the upstream clients so that ObserveRequest can be their Observer.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	feedResponses   *prometheus.CounterVec
	render          *prometheus.HistogramVec
	upstream        *prometheus.CounterVec
	upstreamLatency *prometheus.HistogramVec
	upstreamFail    *prometheus.CounterVec
	rateLimited     *prometheus.CounterVec
	limiterFallback prometheus.Counter
	reloads         *prometheus.CounterVec
}

// NewMetrics registers every metric, plus the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedgate_http_requests_total", Help: "HTTP requests answered, by route, method and status.",
	}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "feedgate_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	m.feedResponses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedgate_feed_responses_total",
		Help: "Feed responses by tenant, feed and cache outcome (hit, miss, stale, not_modified).",
	}, []string{"tenant", "feed", "outcome"})
	m.render = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "feedgate_render_duration_seconds", Help: "Time to render one feed output, by format.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
	}, []string{"format"})
	m.upstream = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedgate_upstream_requests_total", Help: "Upstream HTTP attempts by endpoint and status (0: no response).",
	}, []string{"endpoint", "status"})
	m.upstreamLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "feedgate_upstream_request_duration_seconds", Help: "Upstream HTTP attempt time by endpoint.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
	}, []string{"endpoint"})
	m.upstreamFail = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedgate_upstream_failures_total",
		Help: "Upstream attempts that failed, by endpoint and reason (status, timeout, transport).",
	}, []string{"endpoint", "reason"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedgate_rate_limited_total", Help: "Requests refused with 429, by tenant.",
	}, []string{"tenant"})
	m.limiterFallback = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "feedgate_rate_limit_fallback_total", Help: "Rate-limit reports to Redis that failed; meanwhile each replica limits on its own.",
	})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "feedgate_config_reloads_total", Help: "Configuration reloads by result (ok, refused).",
	}, []string{"result"})
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.feedResponses, m.render, m.upstream,
		m.upstreamLatency, m.upstreamFail, m.rateLimited, m.limiterFallback, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// Register adds a collector (such as the cache's) to the registry.
func (m *Metrics) Register(c prometheus.Collector) error {
	if err := m.reg.Register(c); err != nil {
		return errors.Join(errors.New("gateway: register metrics"), err)
	}
	return nil
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry the metrics live in, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest records one upstream HTTP attempt; it satisfies the upstream client's Observer.
// status is 0 when no response came back.
func (m *Metrics) ObserveRequest(endpoint string, status int, d time.Duration, err error) {
	m.upstream.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	m.upstreamLatency.WithLabelValues(endpoint).Observe(d.Seconds())
	switch {
	case status >= 400:
		m.upstreamFail.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	case err != nil && isTimeout(err):
		m.upstreamFail.WithLabelValues(endpoint, "timeout").Inc()
	case err != nil:
		m.upstreamFail.WithLabelValues(endpoint, "transport").Inc()
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// CountLimiterFallback counts one rate-limit report to Redis that failed (each replica then limits
// on its own); it is RedisLimiterOptions.OnFallback's usual value.
func (m *Metrics) CountLimiterFallback() { m.limiterFallback.Inc() }

func (m *Metrics) observeRender(format string, d time.Duration) {
	m.render.WithLabelValues(format).Observe(d.Seconds())
}

func (m *Metrics) observeReload(err error) {
	if err != nil {
		m.reloads.WithLabelValues("refused").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
}
