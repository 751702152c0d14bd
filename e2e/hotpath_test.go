package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestAccessLogLosesNoLineAtSIGTERM: the access log is written asynchronously, in batches; a
// SIGTERM right after a burst of requests still finds every request's line in the output, once.
func TestAccessLogLosesNoLineAtSIGTERM(t *testing.T) {
	_, keys, cfg := newStack(t, setup{})
	gw := startGateway(t, cfg)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"], "X-Request-Id", fmt.Sprintf("e2e-line-%d", i)); r.StatusCode != 200 {
				t.Errorf("request %d: %d", i, r.StatusCode)
			}
		}()
	}
	wg.Wait()
	gw.signal(t, syscall.SIGTERM) // at once: the writer's 50 ms batch is still open
	waitExit(t, gw)
	out := gw.out.String()
	for i := range n {
		if c := strings.Count(out, fmt.Sprintf(`"request_id":"e2e-line-%d"`, i)); c != 1 {
			t.Fatalf("request %d has %d access lines after SIGTERM, want 1", i, c)
		}
	}
}

// TestAccessLogMasksKeysOnTheRealBinary: in feedgate serve the access log's writer masks the
// records in its own goroutine, after the request. A feed key and a tenant's upstream key sent
// in the query (plain and percent-encoded), in the path and in the User-Agent must not reach the
// output in any of those spellings, while the requests themselves are logged.
func TestAccessLogMasksKeysOnTheRealBinary(t *testing.T) {
	_, keys, cfg := newStack(t, setup{})
	gw := startGateway(t, cfg)
	secrets := []string{keys["export"], "hzk_sim_rw"}
	for i, key := range secrets {
		enc, pct := url.QueryEscape(key), percentEncoded(key)
		id := fmt.Sprintf("mask-%d-", i)
		for j, target := range []string{
			"/feeds/sunset/export?key=" + enc,
			"/feeds/sunset/export?key=" + pct,
			"/feeds/sunset/export?x=" + enc,
			"/feeds/sunset/" + url.PathEscape(key),
		} {
			get(t, gw.URL+target, keys["export"], "X-Request-Id", id+strconv.Itoa(j), "User-Agent", "probe/1.0 (+"+key+")")
		}
	}
	gw.signal(t, syscall.SIGTERM)
	waitExit(t, gw)
	out := gw.out.String()
	if n := strings.Count(out, `"request_id":"mask-`); n != 8 {
		t.Fatalf("%d of the 8 requests were logged; the test proves nothing:\n%s", n, out)
	}
	for _, key := range secrets {
		for name, spelling := range map[string]string{"whole": key, "without its prefix": key[4:],
			"query-escaped": url.QueryEscape(key), "percent-encoded": percentEncoded(key)} {
			if strings.Contains(out, spelling) {
				t.Errorf("the output holds a %s… key, %s", key[:4], name)
			}
		}
	}
}

// percentEncoded spells every byte of s as %XX, as a client hiding a key from naive filters would.
func percentEncoded(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// TestServeKeepsAHeapFloor: the real binary turns the collector's heap floor on at start unless
// GOGC is set, and says so (docs/operations.md, "The heap floor").
func TestServeKeepsAHeapFloor(t *testing.T) {
	_, _, cfg := newStack(t, setup{})
	gw := startGateway(t, cfg)
	want := `"msg":"gc heap floor","floor_mib":16`
	if os.Getenv("GOGC") != "" {
		want = `"msg":"gc heap floor","floor_mib":"off","source":"GOGC"`
	}
	waitFor(t, "the heap floor's start-up line", func() bool { return strings.Contains(gw.out.String(), want) })
}

// TestServeRequestMetricsCountEveryRequest: the per-request metrics, kept in per-core shards
// since issue 14, still read on the real binary's /metrics as the counter and histogram the
// dashboard queries (feedgate_http_request_duration_seconds_bucket by le and route), one count
// per request made from many connections at once.
func TestServeRequestMetricsCountEveryRequest(t *testing.T) {
	_, keys, cfg := newStack(t, setup{})
	gw := startGateway(t, cfg)
	const n = 120
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); r.StatusCode != 200 {
				t.Errorf("feed: %d", r.StatusCode)
			}
		})
	}
	wg.Wait()
	for _, want := range []string{
		fmt.Sprintf(`feedgate_http_requests_total{method="GET",route="/feeds/:tenant/:feed",status="200"} %d`, n),
		fmt.Sprintf(`feedgate_http_request_duration_seconds_count{route="/feeds/:tenant/:feed"} %d`, n),
		fmt.Sprintf(`feedgate_http_request_duration_seconds_bucket{route="/feeds/:tenant/:feed",le="+Inf"} %d`, n),
		`feedgate_feed_responses_total{feed="export",outcome=`,
	} {
		if got := metric(t, gw, want); got == "" {
			t.Errorf("/metrics has no line %q", want)
		}
	}
}

// TestAccessLogDropsRatherThanStallsOnABlockedStdout: with the real binary's standard output a
// pipe nobody reads (a stuck log shipper), feed requests keep being answered; once the pipe and
// the log writer's buffers are full, access lines are dropped and counted instead.
func TestAccessLogDropsRatherThanStallsOnABlockedStdout(t *testing.T) {
	_, keys, cfg := newStack(t, setup{})
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pr.Close(); _ = pw.Close() }) // pr is never read
	gw := startGatewayOut(t, cfg, pw)
	client := &http.Client{Timeout: 10 * time.Second} // a request that waited for the log fails
	// The pipe holds 64 KiB and the writer 4 MiB. A 2,000-byte User-Agent (logged whole) makes
	// each access line over 2 KiB, so 3,000 requests are more than both hold.
	const workers, each = 8, 375
	ua := "fetcher/1 " + strings.Repeat("x", 2000)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				req, _ := http.NewRequest(http.MethodGet, gw.URL+"/feeds/sunset/export", nil)
				req.Header.Set("X-API-Key", keys["export"])
				req.Header.Set("User-Agent", ua)
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("feed request with stdout blocked: %v", err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("feed: %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	line := metric(t, gw, "feedgate_access_log_dropped_total ")
	n, err := strconv.ParseFloat(strings.TrimPrefix(line, "feedgate_access_log_dropped_total "), 64)
	if err != nil || n <= 0 {
		t.Errorf("dropped access lines %q, want some counted", line)
	}
	t.Logf("%d of %d access lines dropped", int(n), workers*each)
}
