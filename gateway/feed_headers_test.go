package gateway

import (
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

func TestPreparedHeadersFollowTheOutput(t *testing.T) {
	fs := &feedState{}
	mod := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	out := Rendered{Body: []byte("plain body"), Gzip: []byte("gz"), ETag: "abc", ContentType: "application/xml", ModifiedAt: mod}

	p := fs.prepare(&out)
	for name, got := range map[string][]string{
		"etag": p.etagHdr, "gzip etag": p.gzipETagHdr, "length": p.plainLenHdr, "gzip length": p.gzipLenHdr,
		"last-modified": p.lastModified, "content-type": p.contentTypeHdr,
	} {
		want := map[string]string{
			"etag": `"abc"`, "gzip etag": `"abc-gzip"`, "length": "10", "gzip length": "2",
			"last-modified": "Mon, 02 Mar 2026 10:00:00 GMT", "content-type": "application/xml",
		}[name]
		if len(got) != 1 || got[0] != want || cap(got) != 1 {
			t.Errorf("%s: %q (cap %d), want [%q] with no room to append into", name, got, cap(got), want)
		}
	}
	if again := fs.prepare(&out); again != p {
		t.Error("the same output built its headers again")
	}

	tests := []struct {
		name   string
		change func(*Rendered)
	}{
		{"new ETag", func(o *Rendered) { o.ETag = "def" }},
		{"new modification time", func(o *Rendered) { o.ModifiedAt = mod.Add(time.Hour) }},
		{"new body length", func(o *Rendered) { o.Body = []byte("longer plain body") }},
		{"no gzip copy", func(o *Rendered) { o.Gzip = nil }},
		{"new content type", func(o *Rendered) { o.ContentType = "text/csv" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := out
			fs.prepare(&out)
			tt.change(&o)
			if fs.prepare(&o) == p {
				t.Error("a changed output was served with the old headers")
			}
		})
	}
}

func TestAgeHeaders(t *testing.T) {
	p := &preparedOutput{}
	tests := []struct {
		age, ttl             int64
		outcome              Outcome
		age0, cc, cacheState string
	}{
		{0, 300, Miss, "0", "private, max-age=300", "feedgate; fwd=miss; stored"},
		{90, 210, Hit, "90", "private, max-age=210", "feedgate; hit"},
		{90, 210, Hit, "90", "private, max-age=210", "feedgate; hit"},
		{360, -60, Stale, "360", "private, max-age=0", "feedgate; hit; ttl=-60; detail=stale"},
	}
	var prev *ageHeaders
	for i, tt := range tests {
		a := p.agesFor(tt.age, tt.ttl, tt.outcome)
		if a.ageHdr[0] != tt.age0 || a.cacheControlHdr[0] != tt.cc || a.cacheStatusHdr[0] != tt.cacheState {
			t.Errorf("%d: Age %q, Cache-Control %q, Cache-Status %q", i, a.ageHdr, a.cacheControlHdr, a.cacheStatusHdr)
		}
		if i == 2 && a != prev {
			t.Error("the same second built its headers again")
		}
		prev = a
	}
}

func TestRequestIDsAreUniqueAndSane(t *testing.T) {
	a, b := newRequestIDs(), newRequestIDs()
	// Two runs of a: two pooled requests drawing from one process's ids.
	var a1, a2, b1 *idRun
	seen := map[string]bool{}
	for range 1000 {
		for _, id := range []string{a.header(&a1)[0], a.header(&a2)[0], b.header(&b1)[0]} {
			if seen[id] || !saneRequestID(id) {
				t.Fatalf("id %q: repeated %v, sane %v", id, seen[id], saneRequestID(id))
			}
			seen[id] = true
		}
	}
	if strings.HasPrefix(b.header(&b1)[0], a.prefix) {
		t.Error("two processes share a request id prefix")
	}
}

func TestMetricChildrenAreMemoized(t *testing.T) {
	m := NewMetrics()
	fs := &feedState{tenant: "t", name: "f"}
	for i := range 3 {
		m.observeHTTP("/feeds/:tenant/:feed", "GET", 200, time.Millisecond, i) // three shards
		fs.countResponse(m, Hit, i)
	}
	fs.countResponse(m, notModified, 5)
	// A reload builds a new feedState; it counts on the same series.
	(&feedState{tenant: "t", name: "f"}).countResponse(m, Hit, 9)
	m.observeHTTP("/feeds/:tenant/:feed", "GET", 304, 3*time.Second, 1<<40) // any int is a shard
	m.observeHTTP("/healthz", "GET", 200, 40*time.Second, 7)                // past the last bound
	if n := len(*m.httpChildren.m.Load()); n != 3 {
		t.Errorf("%d memoized HTTP children, want 3", n)
	}

	// The sharded series read as the counter and histogram vectors they replace.
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf
	}
	counts := func(name string, labels ...string) map[string]float64 {
		out := map[string]float64{}
		for _, mt := range got[name].GetMetric() {
			l := map[string]string{}
			for _, p := range mt.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			var k []string
			for _, name := range labels {
				k = append(k, l[name])
			}
			out[strings.Join(k, " ")] = mt.GetCounter().GetValue()
		}
		return out
	}
	if c, want := counts("feedgate_http_requests_total", "route", "method", "status"),
		map[string]float64{"/feeds/:tenant/:feed GET 200": 3, "/feeds/:tenant/:feed GET 304": 1, "/healthz GET 200": 1}; !maps.Equal(c, want) {
		t.Errorf("feedgate_http_requests_total = %v, want %v", c, want)
	}
	if c, want := counts("feedgate_feed_responses_total", "tenant", "feed", "outcome"),
		map[string]float64{"t f hit": 4, "t f not_modified": 1}; !maps.Equal(c, want) {
		t.Errorf("feedgate_feed_responses_total = %v, want %v", c, want)
	}
	lat := got["feedgate_http_request_duration_seconds"]
	if lat.GetType() != dto.MetricType_HISTOGRAM || len(lat.GetMetric()) != 2 {
		t.Fatalf("feedgate_http_request_duration_seconds: %v", lat)
	}
	for _, mt := range lat.GetMetric() {
		h := mt.GetHistogram()
		le := map[float64]uint64{}
		for _, b := range h.GetBucket() {
			le[b.GetUpperBound()] = b.GetCumulativeCount()
		}
		switch route := mt.GetLabel()[0].GetValue(); route {
		case "/feeds/:tenant/:feed":
			// Three of 1 ms (le 0.001 holds a value equal to its bound) and one of 3 s.
			if h.GetSampleCount() != 4 || math.Abs(h.GetSampleSum()-3.003) > 1e-9 || le[0.0005] != 0 || le[0.001] != 3 ||
				le[2.5] != 3 || le[5] != 4 || le[30] != 4 || len(le) != len(httpLatencyBuckets) {
				t.Errorf("%s: count %d, sum %v, buckets %v", route, h.GetSampleCount(), h.GetSampleSum(), le)
			}
		case "/healthz":
			if h.GetSampleCount() != 1 || le[30] != 0 || h.GetSampleSum() != 40 {
				t.Errorf("%s: count %d, sum %v, buckets %v", route, h.GetSampleCount(), h.GetSampleSum(), le)
			}
		default:
			t.Errorf("unexpected route %q", route)
		}
	}
}
