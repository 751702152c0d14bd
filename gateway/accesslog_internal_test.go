package gateway

import (
	"bytes"
	"context"
	"log/slog"
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
			status: 200, bytes: 12900, durationMS: 0.123, remote: "192.0.2.1"},
		{requestID: "x", method: "HEAD", path: "/p/" + odd, route: "unmatched", status: 404, bytes: 0,
			durationMS: 0, remote: "2001:db8::1", query: "key=REDACTED&" + odd, userAgent: odd,
			keyName: "admin:ops", cacheStatus: "feedgate; hit; ttl=-5; detail=stale", err: odd},
		{requestID: "y", method: "POST", path: "/", route: "/v1", status: 503, bytes: 77,
			durationMS: float64(1234567) / 1000, remote: "10.0.0.1", userAgent: "curl/8"},
		{method: "OTHER", status: 500, durationMS: float64(999999999) / 1000},
	}
	for i, f := range cases {
		for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelError} {
			var want bytes.Buffer
			rec := slog.NewRecord(at, level, "request", 0)
			rec.AddAttrs(f.attrs()...)
			if err := slog.NewJSONHandler(&want, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			a := &accessLine{}
			f.format(a, at, level)
			if got := string(a.b); got != want.String() {
				t.Errorf("case %d at %v:\n got %s\nwant %s", i, level, got, want.String())
			}
		}
	}
}

// TestAccessLineAllocatesNothing formats a line into a reused buffer.
func TestAccessLineAllocatesNothing(t *testing.T) {
	f := accessFields{requestID: "abc-1", method: "GET", path: "/feeds/sunset/google", route: "/feeds/:tenant/:feed",
		status: 200, bytes: 12900, durationMS: 0.123, remote: "192.0.2.1", keyName: "office", cacheStatus: "feedgate; hit"}
	a := &accessLine{b: make([]byte, 0, 512)}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { f.format(a, now, slog.LevelInfo) }); n != 0 {
		t.Errorf("formatting a line allocates %v times", n)
	}
}
