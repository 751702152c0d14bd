package gateway

import (
	"errors"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedgate/feedgate/internal/buildinfo"
	"github.com/feedgate/feedgate/internal/stripe"
)

// Metrics are the gateway's Prometheus metrics, on a registry of their own. Create them before
// the upstream clients so that ObserveRequest can be their Observer.
type Metrics struct {
	reg *prometheus.Registry

	http            *httpStats // feedgate_http_requests_total and _request_duration_seconds
	feeds           *feedStats // feedgate_feed_responses_total
	render          *prometheus.HistogramVec
	upstream        *prometheus.CounterVec
	upstreamLatency *prometheus.HistogramVec
	upstreamFail    *prometheus.CounterVec
	rateLimited     *prometheus.CounterVec
	limiterFallback prometheus.Counter
	reloads         *prometheus.CounterVec

	// elsewhere is set while ServeMetrics serves the registry on a listener of its own; the main
	// listener's /metrics then answers 404.
	elsewhere atomic.Bool

	// The HTTP series the hot path uses, found without a lock (httpStats' own maps take one).
	httpChildren children[httpLabels, httpChild]
}

type httpLabels struct {
	route, method string
	status        int
}

type httpChild struct {
	count   *stripe.Counter
	latency *shardedHist
}

type feedLabels struct{ tenant, feed, outcome string }

// NewMetrics registers every metric, plus the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.http = newHTTPStats()
	m.feeds = newFeedStats()
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
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "feedgate_build_info", Help: "Always 1; the labels say which build is running.",
	}, []string{"version", "revision", "goversion"})
	bi := buildinfo.Read()
	build.WithLabelValues(bi.Version, bi.Revision, bi.GoVersion).Set(1)
	for _, c := range []prometheus.Collector{m.http, m.feeds, m.render, m.upstream,
		m.upstreamLatency, m.upstreamFail, m.rateLimited, m.limiterFallback, m.reloads, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	m.httpChildren.make = m.http.series
	return m
}

// observeHTTP counts one answered request and its duration, in the given shard (any int: the
// same one from the same core as far as the caller can).
func (m *Metrics) observeHTTP(route, method string, status int, d time.Duration, shard int) {
	m.http.observe(m.httpChildren.get(httpLabels{route, method, status}), shard, d)
}

// maxMemoized bounds a children map: labels a client controls (an odd method, say) must not
// grow it without end. Past it, lookups go to the vector each time.
const maxMemoized = 4096

// children memoizes a metric vector's children by their labels. Reads take no lock (the map is
// replaced, never changed, when a child is added), so counting a request costs one map lookup
// instead of the vector's hashing of a variadic label slice.
type children[K comparable, V any] struct {
	make func(K) V
	// keep, when set, says whether a made value may be memoized under its key; a value it
	// refuses is made anew on every lookup (the redactor keeps no secret as a key this way).
	keep func(K, V) bool
	mu   sync.Mutex
	m    atomic.Pointer[map[K]V]
}

func (c *children[K, V]) get(k K) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[K]V, 1)
	if old := c.m.Load(); old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
		if len(*old) >= maxMemoized {
			return c.make(k)
		}
		next = maps.Clone(*old)
	}
	v := c.make(k)
	if c.keep != nil && !c.keep(k, v) {
		return v
	}
	next[k] = v
	c.m.Store(&next)
	return v
}

// accessLogDropped is feedgate_access_log_dropped_total: the access lines l dropped because the
// output fell behind (always 0 without a LogWriter).
func accessLogDropped(l *LogWriter) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "feedgate_access_log_dropped_total",
		Help: "Access-log lines dropped because the log output fell behind (it is never waited for).",
	}, func() float64 {
		if l == nil {
			return 0
		}
		return float64(l.Dropped())
	})
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
