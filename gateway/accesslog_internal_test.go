package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestAccessLineIsSlogsLine formats access lines by hand and through slog's JSON handler, and
// wants the same bytes: the fast path changes no field, order, escaping or number format.
func TestAccessLineIsSlogsLine(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.UTC)
	odd := "quote\" back\\ nl\n cr\r tab\t nul\x00 bell\x07 html<&> é \u2028\u2029 bad\xff\xfe end"
	cases := []accessFields{
		{requestID: "abc-1", method: "GET", path: "/feeds/sunset/google", route: "/feeds/:tenant/:feed",
			status: 200, bytes: 12900, durationUS: 123, remote: "192.0.2.1"},
		{requestID: "x", method: "HEAD", path: "/p/" + odd, route: "unmatched", status: 404, bytes: 0,
			durationUS: 0, remote: "2001:db8::1", query: "key=REDACTED&" + odd, userAgent: odd,
			keyName: "admin:ops", cacheStatus: "feedgate; hit; ttl=-5; detail=stale", err: odd},
		{requestID: "y", method: "POST", path: "/", route: "/v1", status: 503, bytes: 77,
			durationUS: 1234567, remote: "10.0.0.1", userAgent: "curl/8"},
		{method: "OTHER", status: 500, durationUS: 999999999},
	}
	for i, f := range cases {
		for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelError} {
			var want bytes.Buffer
			rec := slog.NewRecord(at, level, "request", 0)
			rec.AddAttrs(f.attrs()...)
			if err := slog.NewJSONHandler(&want, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			if got := string(f.format(nil, &timeStamp{}, at, level)); got != want.String() {
				t.Errorf("case %d at %v:\n got %s\nwant %s", i, level, got, want.String())
			}
		}
	}
}

// TestAccessLineAllocatesNothing formats a line into a reused buffer.
func TestAccessLineAllocatesNothing(t *testing.T) {
	f := accessFields{requestID: "abc-1", method: "GET", path: "/feeds/sunset/google", route: "/feeds/:tenant/:feed",
		status: 200, bytes: 12900, durationUS: 123, remote: "192.0.2.1", keyName: "office", cacheStatus: "feedgate; hit"}
	b, st := make([]byte, 0, 512), &timeStamp{}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { b = f.format(b[:0], st, now, slog.LevelInfo) }); n != 0 {
		t.Errorf("formatting a line allocates %v times", n)
	}
}

// TestAccessLineTimeIsRFC3339Nano reuses one line across times in one second, the next second,
// other zones and odd fractions: its cached second never leaks into another time's stamp.
func TestAccessLineTimeIsRFC3339Nano(t *testing.T) {
	base := time.Date(2026, 11, 30, 2, 45, 1, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("IST", 5*3600+1800), time.FixedZone("PST", -8*3600), time.Local}
	a := &timeStamp{}
	for _, loc := range zones {
		for _, ns := range []int{0, 1, 10, 100, 120000, 123456789, 500000000, 999999999} {
			for _, sec := range []time.Duration{0, 0, time.Second, 59 * time.Second, 24 * time.Hour} {
				at := base.Add(sec).Add(time.Duration(ns)).In(loc)
				got := string(a.appendTime(nil, at))
				if want := at.Format(time.RFC3339Nano); got != want {
					t.Fatalf("%v: got %s, want %s", at, got, want)
				}
			}
		}
	}
	far := time.Date(12026, 1, 1, 0, 0, 0, 5, time.UTC)
	if got, want := string(a.appendTime(nil, far)), far.Format(time.RFC3339Nano); got != want {
		t.Errorf("year 12026: got %s, want %s", got, want)
	}
}

// TestAccessLineMillisIsJSONFloat writes durations as integers and wants encoding/json's float
// (strconv's shortest 'f' form of us/1000) for every microsecond up to 0.2 s and a spread beyond.
func TestAccessLineMillisIsJSONFloat(t *testing.T) {
	var b []byte
	check := func(us int64) {
		b = appendMillis(b[:0], us)
		want := strconv.FormatFloat(float64(us)/1000, 'f', -1, 64)
		if got := string(b); got != want {
			t.Fatalf("%d µs: got %s, want %s", us, got, want)
		}
	}
	for us := int64(0); us <= 200000; us++ {
		check(us)
	}
	for us := int64(200001); us < 1<<53; us = us*3 + 7 {
		check(us)
	}
}

// TestPeerHostIsSplitHostPort wants net.SplitHostPort's host wherever it succeeds, and the
// address whole wherever it fails.
func TestPeerHostIsSplitHostPort(t *testing.T) {
	for _, addr := range []string{"192.0.2.1:443", "[2001:db8::1]:80", "[::1]:1", "[fe80::1%eth0]:8080",
		"192.0.2.1", "2001:db8::1", "", ":80", "[]:80", "[[::1]]:80", "[::1]", "a:b:c", "host:", "]x[:1", "@/tmp/sock"} {
		want := addr
		if h, _, err := net.SplitHostPort(addr); err == nil {
			want = h
		}
		if got := peerHost(addr); got != want {
			t.Errorf("peerHost(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestLogWriterReleasesABurstsRecords: a shard's record slice grows with a burst (up to the
// limit) and is reused between calm batches, but not kept at a burst's size afterwards.
func TestLogWriterReleasesABurstsRecords(t *testing.T) {
	l := NewLogWriter(io.Discard, LogWriterOptions{Limit: 1 << 20, Batch: 4 << 10, Interval: time.Hour, Shards: 1})
	defer func() { _ = l.Close() }()
	r := accessRecord{f: accessFields{requestID: "x", method: "GET", path: "/p", route: "/r", status: 200}}
	add := func(n int) {
		for range n {
			if !l.appendRecord(&r, 0) {
				t.Fatal("a record was dropped under the limit")
			}
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// spare is the writer's, guarded by wmu: the writer goroutine may be flushing a full batch
	// of the burst while the test looks.
	spare := func() int {
		l.wmu.Lock()
		defer l.wmu.Unlock()
		return cap(l.shards[0].spare)
	}
	add(10)
	if c := spare(); c == 0 || c > l.keepRecords {
		t.Fatalf("after a calm batch the shard keeps %d records' room (at most %d)", c, l.keepRecords)
	}
	add(2000)
	if c := spare(); c > l.keepRecords {
		t.Fatalf("after a burst the shard keeps %d records' room (at most %d)", c, l.keepRecords)
	}
}
