package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestEmptiedConfigKeepsServing: emptying the configuration file (an easy slip that the watcher
// applies by itself) or SIGHUP on it is refused like a broken file: every key keeps working, the
// log says why and the refusal is counted.
func TestEmptiedConfigKeepsServing(t *testing.T) {
	_, keys, cfg := newStack(t, setup{})
	gw := startGateway(t, cfg)
	if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); r.StatusCode != 200 {
		t.Fatalf("before: %d", r.StatusCode)
	}

	writeConfig(t, cfg, "")
	waitFor(t, "the emptied file to be refused", func() bool {
		return metric(t, gw, `feedgate_config_reloads_total{result="refused"} 1`) != ""
	})
	gw.signal(t, syscall.SIGHUP)
	waitFor(t, "SIGHUP on the emptied file to be refused", func() bool {
		return metric(t, gw, `feedgate_config_reloads_total{result="refused"} 2`) != ""
	})
	for _, f := range []struct{ tenant, feed, key string }{
		{"sunset", "export", "export"}, {"sunset", "google", "google"}, {"other", "export", "other"},
	} {
		if r, _ := get(t, gw.URL+"/feeds/"+f.tenant+"/"+f.feed, keys[f.key]); r.StatusCode != 200 {
			t.Errorf("%s/%s after the emptied file: %d, want 200", f.tenant, f.feed, r.StatusCode)
		}
	}
	if !strings.Contains(gw.out.String(), "would remove every tenant (sunset, other)") {
		t.Errorf("the log does not say why the reload was refused:\n%s", gw.out.String())
	}
	if line := metric(t, gw, `feedgate_config_reloads_total{result="ok"}`); line != "" {
		t.Errorf("an emptied file counted as a reload: %s", line)
	}
}

// keepAliveClient sends GET path over one HTTP/1.1 connection after another, reconnecting when
// an answer says Connection: close, until a dial is refused (the listener has closed) or stop
// is closed. It is written on the raw connection because Go's http.Transport silently retries a
// request that failed on a reused connection, which would hide exactly what is tested here.
type keepAliveClient struct {
	addr, path, key string
	ok              atomic.Int64 // read while the client runs
	failures        []string
}

func (c *keepAliveClient) run(stop <-chan struct{}) {
	for {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return // refused: the listener has closed
		}
		br := bufio.NewReader(conn)
		for served := 0; ; served++ {
			select {
			case <-stop:
				conn.Close()
				return
			default:
			}
			status, closing, err := c.roundTrip(conn, br)
			if err != nil {
				// A new connection that the server never accepted (still in the kernel's queue
				// when the listener closed) is reset; that request came after the listener
				// closed, which a refused dial now shows.
				conn.Close()
				if served == 0 && c.refused() {
					return
				}
				c.failures = append(c.failures, fmt.Sprintf("after %d answers on this connection: %v", served, err))
				return
			}
			if status != http.StatusOK {
				c.failures = append(c.failures, fmt.Sprintf("status %d", status))
			} else {
				c.ok.Add(1)
			}
			if closing {
				break
			}
		}
		conn.Close()
	}
}

// refused reports whether the listener has closed.
func (c *keepAliveClient) refused() bool {
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		return true
	}
	conn.Close()
	return false
}

// roundTrip sends one request and reads its whole answer.
func (c *keepAliveClient) roundTrip(conn net.Conn, br *bufio.Reader) (status int, closing bool, err error) {
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: gateway\r\nX-API-Key: %s\r\n\r\n", c.path, c.key); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil { // a short body is an error here
		return 0, false, err
	}
	return resp.StatusCode, resp.Close, nil
}

// TestKeepAliveClientsAcrossSIGTERM: a SIGTERM fails no request of keep-alive clients. During
// shutdown_delay every connection, also one idle since before the signal, is answered in full
// with Connection: close; afterwards only new connections are refused.
func TestKeepAliveClientsAcrossSIGTERM(t *testing.T) {
	// The delay only has to outlast a few loopback requests; it is not a measurement.
	_, keys, cfg := newStack(t, setup{shutdownDelay: "2s"})
	gw := startGateway(t, cfg)
	if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); r.StatusCode != 200 {
		t.Fatalf("warming the feed: %d", r.StatusCode)
	}
	addr := strings.TrimPrefix(gw.URL, "http://")

	// One client is idle across the signal: it sends its second request only once /readyz
	// already answers 503.
	idle := &keepAliveClient{addr: addr, path: "/feeds/sunset/export", key: keys["export"]}
	idleConn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idleConn.Close()
	idleBr := bufio.NewReader(idleConn)
	if status, closing, err := idle.roundTrip(idleConn, idleBr); err != nil || status != 200 || closing {
		t.Fatalf("before the signal: %d, close %v, %v", status, closing, err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	clients := make([]*keepAliveClient, 4)
	for i := range clients {
		clients[i] = &keepAliveClient{addr: addr, path: "/feeds/sunset/export", key: keys["export"]}
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i].run(stop)
		}()
	}
	waitFor(t, "the clients to get answers", func() bool { return clients[0].ok.Load() > 0 && metricCount(t, gw) > 20 })
	gw.signal(t, syscall.SIGTERM)
	waitFor(t, "readyz to report shutting down", func() bool {
		r, _ := get(t, gw.URL+"/readyz", "")
		return r.StatusCode == 503
	})
	status, closing, err := idle.roundTrip(idleConn, idleBr)
	if err != nil || status != 200 || !closing {
		t.Errorf("a keep-alive connection idle since before SIGTERM: status %d, Connection: close %v, %v; want a full 200 that closes",
			status, closing, err)
	}

	waitExit(t, gw)
	close(stop)
	wg.Wait()
	total := 0
	for i, c := range clients {
		total += int(c.ok.Load())
		for _, f := range c.failures {
			t.Errorf("client %d: a failed request: %s", i, f)
		}
	}
	t.Logf("%d full 200s across the SIGTERM, 0 failures wanted", total)
}

// metricCount is how many feed answers the gateway has counted so far.
func metricCount(t *testing.T, gw *proc) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(metricsText(t, gw), "\n") {
		if strings.HasPrefix(line, "feedgate_feed_responses_total{") {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
				n += int(v)
			}
		}
	}
	return n
}

func metricsText(t *testing.T, gw *proc) string {
	t.Helper()
	_, body := get(t, gw.URL+"/metrics", "")
	return string(body)
}

// TestShutdownDoesNotWaitForAHangingSync: a background refresh stuck on a slow upstream does not
// hold the exit past shutdown_delay + the drain timeout; the log says what was abandoned.
func TestShutdownDoesNotWaitForAHangingSync(t *testing.T) {
	sim := startSim(t)
	keys := newKeyset(t, "admin", "reader", "google", "export", "other")
	cfg := filepath.Join(t.TempDir(), "feedgate.yaml")
	// The upstream timeout is long, so that only the shutdown deadline can end the wait.
	doc := strings.Replace(setup{simURL: sim.URL, freshFor: "1s", keys: keys}.yaml(), "timeout: 5s", "timeout: 10m", 1)
	writeConfig(t, cfg, doc)
	gw := start(t, bins.feedgate, "feedgate listening on", true,
		"serve", "--config", cfg, "--listen", "127.0.0.1:0", "--drain-timeout", "1s")
	if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); r.StatusCode != 200 {
		t.Fatalf("cold feed: %d", r.StatusCode)
	}
	simFaults(t, sim, `{"latency_ms": 600000}`)
	before := simCounts(t, sim)["list"] + simCounts(t, sim)["feed"]
	waitFor(t, "a background refresh to reach the hanging upstream", func() bool {
		r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]) // stale: answered, refreshed behind
		if r.StatusCode != 200 {
			t.Fatalf("a stale feed: %d", r.StatusCode)
		}
		c := simCounts(t, sim)
		return c["list"]+c["feed"] > before
	})
	gw.signal(t, syscall.SIGTERM)
	waitExit(t, gw) // the upstream answers after 10 minutes
	if !strings.Contains(gw.out.String(), "background work did not stop in time and is abandoned") {
		t.Errorf("the log does not say what was abandoned:\n%s", gw.out.String())
	}
}

// waitExit waits for a signalled gateway to exit 0; the bound only catches a hang.
func waitExit(t *testing.T, gw *proc) {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- gw.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after the signal: %v\n%s", err, gw.out.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("feedgate did not exit after the signal:\n%s", gw.out.String())
	}
}
