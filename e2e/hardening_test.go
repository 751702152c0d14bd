package e2e

import (
	"bufio"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/internal/stallconn"
)

// freePort is an address on the loopback interface that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestMetricsOnTheirOwnPort: with metrics.listen the real binary serves /metrics there, behind
// the metrics key, folded over tenants, and no longer on the public listener.
func TestMetricsOnTheirOwnPort(t *testing.T) {
	sim := startSim(t)
	keys := newKeyset(t, "admin", "reader", "google", "export", "other", "scraper")
	addr := freePort(t)
	cfg := filepath.Join(t.TempDir(), "feedgate.yaml")
	writeConfig(t, cfg, setup{simURL: sim.URL, keys: keys}.yaml()+
		"metrics: {listen: \""+addr+"\", key_hash: \""+config.HashKey(keys["scraper"])+"\", per_tenant: false}\n")
	gw := startGateway(t, cfg)
	if resp, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); resp.StatusCode != 200 {
		t.Fatalf("feed: %d", resp.StatusCode)
	}
	if resp, body := get(t, gw.URL+"/metrics", keys["scraper"]); resp.StatusCode != 404 || strings.Contains(string(body), "feedgate_") {
		t.Errorf("the public listener still serves /metrics: %d", resp.StatusCode)
	}
	if resp, _ := get(t, "http://"+addr+"/metrics", ""); resp.StatusCode != 401 {
		t.Errorf("metrics without the key: %d", resp.StatusCode)
	}
	resp, body := get(t, "http://"+addr+"/metrics", keys["scraper"])
	if resp.StatusCode != 200 || !strings.Contains(string(body), `feedgate_feed_responses_total{outcome="miss"} 1`) ||
		strings.Contains(string(body), `tenant="`) {
		t.Errorf("metrics with the key: %d\n%.2000s", resp.StatusCode, body)
	}
}

// logLines are the JSON log lines in out that have all the given "key":value fragments.
func logLines(out string, fragments ...string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		ok := strings.HasPrefix(l, "{")
		for _, f := range fragments {
			ok = ok && strings.Contains(l, f)
		}
		if ok {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestClientAddressAndProbeLogs runs the real binary with the default log level: a client that
// claims X-Forwarded-For: 6.6.6.6 without a trusted proxy in between is logged as its real
// address; health probes and scrapes are not logged at info, but a /readyz answering 503 while
// the replica drains is; durations are in milliseconds and no access log line has an empty err.
func TestClientAddressAndProbeLogs(t *testing.T) {
	// The delay only has to outlast a few loopback requests; it is not a measurement.
	_, keys, cfg := newStack(t, setup{shutdownDelay: "3s"})
	gw := startGateway(t, cfg)
	if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"], "X-Forwarded-For", "6.6.6.6"); r.StatusCode != 200 {
		t.Fatalf("feed: %d", r.StatusCode)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		get(t, gw.URL+path, "")
	}
	gw.signal(t, syscall.SIGTERM)
	waitFor(t, "readyz to report shutting down", func() bool {
		r, _ := get(t, gw.URL+"/readyz", "")
		return r.StatusCode == 503
	})
	waitFor(t, "the drained /readyz in the log", func() bool {
		return len(logLines(gw.out.String(), `"route":"/readyz"`, `"status":503`)) > 0
	})
	out := gw.out.String()
	feed := logLines(out, `"msg":"request"`, `"route":"/feeds/:tenant/:feed"`)
	if len(feed) != 1 || !strings.Contains(feed[0], `"remote":"127.0.0.1"`) || strings.Contains(feed[0], "6.6.6.6") ||
		!strings.Contains(feed[0], `"duration_ms":`) {
		t.Errorf("the feed request's log line: %q", feed)
	}
	for _, route := range []string{"/healthz", "/metrics"} {
		if l := logLines(out, `"route":"`+route+`"`); len(l) != 0 {
			t.Errorf("a %s probe logged at info: %s", route, l[0])
		}
	}
	if l := logLines(out, `"route":"/readyz"`, `"status":200`); len(l) != 0 {
		t.Errorf("a ready /readyz logged at info: %s", l[0])
	}
	if l := logLines(out, `"route":"/readyz"`, `"status":503`); !strings.Contains(l[0], `"level":"INFO"`) {
		t.Errorf("the draining /readyz: %s", l[0])
	}
	if l := logLines(out, `"msg":"request"`, `"err":""`); len(l) != 0 {
		t.Errorf("an access log line with an empty err: %s", l[0])
	}
}

// TestServeCutsOffStalledClients: the real binary, with its default timeouts
// (docs/operations.md: 5 s for a request's headers, 30 s for its body), closes the connection of
// a client that stops in its headers and of one that stops in a body, and serves everyone else
// meanwhile. The body's deadline is set by the gateway itself (gateway/deadlines.go), so this is
// the check that the binary's server keeps it. guard only catches a server that never cuts off.
func TestServeCutsOffStalledClients(t *testing.T) {
	const guard = 2 * time.Minute
	_, keys, cfg := newStack(t, setup{})
	gw := startGateway(t, cfg)
	host := strings.TrimPrefix(gw.URL, "http://")
	headers := stallconn.Open(t, host, "GET /feeds/sunset/export HTTP/1.1\r\nHost: feeds.example\r\nX-API-Key: "+keys["export"]+"\r\n", guard)
	body := stallconn.Open(t, host, "GET /feeds/sunset/export HTTP/1.1\r\nHost: feeds.example\r\nX-API-Key: "+keys["export"]+
		"\r\nContent-Length: 1000\r\n\r\nabc", guard)

	if r, b := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); r.StatusCode != 200 || len(b) == 0 {
		t.Errorf("beside two stalled clients: %d, %d bytes", r.StatusCode, len(b))
	}

	stallconn.Ended(t, headers, "stalled headers")
	br := bufio.NewReader(body)
	if resp := stallconn.Answer(t, br, "the stalled body's"); resp.StatusCode != 200 || !resp.Close {
		t.Errorf("the stalled body's answer: %d, Connection: close %v; want the feed and the connection closed", resp.StatusCode, resp.Close)
	}
	stallconn.Ended(t, br, "a stalled body")
}
