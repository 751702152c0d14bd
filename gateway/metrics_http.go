package gateway

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedgate/feedgate/internal/stripe"
)

// httpStats keeps feedgate_http_requests_total and feedgate_http_request_duration_seconds, the
// two series every request updates, in shards: a request adds to the shard its core tends to
// keep (front's pooled per-request state carries the index), so that two cores answering the
// same route do not pass the counters' cache lines back and forth on every request, which a
// Prometheus vector's child does (one counter and four atomic updates of a histogram a request;
// taking them and the cache's hit counters out saved about 2 µs a request under load on two
// cores, at the edge of what that machine could measure). A scrape sums the shards and reports both as
// a counter vector and a histogram vector would, with the same names, labels and buckets.
type httpStats struct {
	reqDesc, latDesc *prometheus.Desc

	mu     sync.Mutex // guards the maps below (the hot path reads httpChildren, not these)
	counts map[httpLabels]*stripe.Counter
	hists  map[string]*shardedHist // by route
}

// httpShards is how many shards each series keeps; shards are picked modulo this.
const httpShards = 16

// httpLatencyBuckets are feedgate_http_request_duration_seconds's buckets' upper bounds, in
// seconds.
var httpLatencyBuckets = [...]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// httpLatencyBoundsNS are the same bounds in nanoseconds, for the hot path's comparison.
var httpLatencyBoundsNS = func() (ns [len(httpLatencyBuckets)]int64) {
	for i, b := range httpLatencyBuckets {
		ns[i] = int64(math.Round(b * 1e9))
	}
	return ns
}()

// feedStats keeps feedgate_feed_responses_total, which every feed hit adds to, in shards as
// httpStats does, and reports it as the counter vector it replaces.
type feedStats struct {
	desc   *prometheus.Desc
	mu     sync.Mutex
	counts map[feedLabels]*stripe.Counter
}

func newFeedStats() *feedStats {
	return &feedStats{
		desc: prometheus.NewDesc("feedgate_feed_responses_total",
			"Feed responses by tenant, feed and cache outcome (hit, miss, stale, not_modified).",
			[]string{"tenant", "feed", "outcome"}, nil),
		counts: map[feedLabels]*stripe.Counter{},
	}
}

// series returns the labels' counter, made on first use.
func (f *feedStats) series(l feedLabels) *stripe.Counter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return madeIn(f.counts, l)
}

// madeIn returns m[k], first storing a new zero V there if it has none.
func madeIn[K comparable, V any](m map[K]*V, k K) *V {
	v := m[k]
	if v == nil {
		v = new(V)
		m[k] = v
	}
	return v
}

// Describe implements prometheus.Collector.
func (f *feedStats) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

// Collect implements prometheus.Collector.
func (f *feedStats) Collect(ch chan<- prometheus.Metric) {
	f.mu.Lock()
	counts := make(map[feedLabels]*stripe.Counter, len(f.counts))
	for l, c := range f.counts {
		counts[l] = c
	}
	f.mu.Unlock()
	for l, c := range counts {
		ch <- prometheus.MustNewConstMetric(f.desc, prometheus.CounterValue, float64(c.Load()), l.tenant, l.feed, l.outcome)
	}
}

// shardedHist is one route's latency histogram: per shard, a count per bucket (the last for
// what no bound holds) and the sum in nanoseconds, which an integer adds exactly without a
// compare-and-swap loop.
type shardedHist struct {
	shards [httpShards]histShard
}

type histShard struct {
	buckets [len(httpLatencyBuckets) + 1]atomic.Uint64 // the last: over every bound
	sumNS   atomic.Int64
	_       [56]byte
}

func newHTTPStats() *httpStats {
	return &httpStats{
		reqDesc: prometheus.NewDesc("feedgate_http_requests_total",
			"HTTP requests answered, by route, method and status.", []string{"route", "method", "status"}, nil),
		latDesc: prometheus.NewDesc("feedgate_http_request_duration_seconds",
			"Time to answer an HTTP request, by route.", []string{"route"}, nil),
		counts: map[httpLabels]*stripe.Counter{},
		hists:  map[string]*shardedHist{},
	}
}

// series returns the labels' counter and their route's histogram, made on first use.
func (h *httpStats) series(l httpLabels) httpChild {
	h.mu.Lock()
	defer h.mu.Unlock()
	return httpChild{count: madeIn(h.counts, l), latency: madeIn(h.hists, l.route)}
}

// observe adds one request of duration d to shard s of c and hist.
func (h *httpStats) observe(c httpChild, s int, d time.Duration) {
	c.count.IncAt(s)
	s &= httpShards - 1
	ns := int64(d)
	i := 0
	for i < len(httpLatencyBoundsNS) && ns > httpLatencyBoundsNS[i] {
		i++
	}
	sh := &c.latency.shards[s]
	sh.buckets[i].Add(1)
	sh.sumNS.Add(ns)
}

// Describe implements prometheus.Collector.
func (h *httpStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- h.reqDesc
	ch <- h.latDesc
}

// Collect implements prometheus.Collector: each series is the sum of its shards. A histogram's
// count is the sum of its buckets, so that a scrape during updates still sees buckets that add
// up to it.
func (h *httpStats) Collect(ch chan<- prometheus.Metric) {
	h.mu.Lock()
	counts := make(map[httpLabels]*stripe.Counter, len(h.counts))
	for l, c := range h.counts {
		counts[l] = c
	}
	hists := make(map[string]*shardedHist, len(h.hists))
	for r, hist := range h.hists {
		hists[r] = hist
	}
	h.mu.Unlock()
	for l, c := range counts {
		ch <- prometheus.MustNewConstMetric(h.reqDesc, prometheus.CounterValue, float64(c.Load()),
			l.route, l.method, strconv.Itoa(l.status))
	}
	for route, hist := range hists {
		var per [len(httpLatencyBuckets) + 1]uint64
		var sumNS int64
		for i := range hist.shards {
			sh := &hist.shards[i]
			for b := range per {
				per[b] += sh.buckets[b].Load()
			}
			sumNS += sh.sumNS.Load()
		}
		cum := make(map[float64]uint64, len(httpLatencyBuckets))
		var total uint64
		for b, bound := range httpLatencyBuckets {
			total += per[b]
			cum[bound] = total
		}
		total += per[len(httpLatencyBuckets)]
		ch <- prometheus.MustNewConstHistogram(h.latDesc, total, float64(sumNS)/1e9, cum, route)
	}
}
