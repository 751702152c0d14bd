package gateway_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/stallconn"
)

// guard bounds how long a deadline test waits for the server to end a stalled request. It is
// not a measurement: the timeouts under test are a fraction of a second, and reaching the guard
// means the server never ended the request at all.
const guard = time.Minute

// servingTimeouts starts a gateway with short server timeouts on a loopback listener and returns
// it and its address; it stops with the test.
func servingTimeouts(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnvWith(t, 0, envSetup{tune: func(o *gateway.Options) {
		o.ReadHeaderTimeout = 200 * time.Millisecond
		o.ReadTimeout = 200 * time.Millisecond
		o.WriteTimeout = 200 * time.Millisecond
		o.IdleTimeout = 2 * time.Second // past the keep-alive subtest's wait for a body's deadline
		o.ShutdownTimeout = time.Second
		o.Config.ShutdownDelay = 0
	}})
	addr, _ := serveOn(t, e.srv.Serve)
	return e, addr
}

// TestReadTimeoutsEndStalledRequests: the server's read deadlines hold now that the gateway
// sets the body's itself (deadlines.go). A client that stops in its headers, in a body a handler
// reads, or in a body no handler reads (a GET's, which net/http must discard before it can read
// the next request), or that keeps a connection idle, is cut off after the timeout instead of
// holding its connection and goroutine for ever.
func TestReadTimeoutsEndStalledRequests(t *testing.T) {
	e, addr := servingTimeouts(t)

	t.Run("headers", func(t *testing.T) {
		conn := stallconn.Open(t, addr, "GET /healthz HTTP/1.1\r\nHost: feeds.example\r\n", guard)
		stallconn.Ended(t, conn, "stalled headers")
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		conn := stallconn.Open(t, addr, "GET /healthz HTTP/1.1\r\nHost: feeds.example\r\n\r\n", guard)
		r := bufio.NewReader(conn)
		if resp := stallconn.Answer(t, r, "the health probe's"); resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("status %d, Connection: close %v; want 200 and a connection kept alive", resp.StatusCode, resp.Close)
		}
		stallconn.Ended(t, r, "an idle keep-alive connection")
	})

	t.Run("a body the handler reads", func(t *testing.T) {
		conn := stallconn.Open(t, addr, "POST /webhooks/sunset HTTP/1.1\r\nHost: feeds.example\r\n"+
			"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":", guard)
		r := bufio.NewReader(conn)
		resp := stallconn.Answer(t, r, "the webhook's")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a body cut off by the read timeout answered %d, want 400", resp.StatusCode)
		}
		stallconn.Ended(t, r, "after the cut-off body's answer")
	})

	t.Run("a body nobody reads", func(t *testing.T) {
		conn := stallconn.Open(t, addr, "GET /feeds/sunset/export HTTP/1.1\r\nHost: feeds.example\r\n"+
			"X-API-Key: "+e.keys["export"]+"\r\nContent-Length: 1000\r\n\r\nabc", guard)
		r := bufio.NewReader(conn)
		resp := stallconn.Answer(t, r, "the feed's")
		if resp.StatusCode != http.StatusOK || !resp.Close {
			t.Errorf("status %d, Connection: close %v; want the feed, and the connection closed (the rest of its body cannot be told from a next request)",
				resp.StatusCode, resp.Close)
		}
		stallconn.Ended(t, r, "after the answer")
	})

	t.Run("keep-alive past a body's deadline", func(t *testing.T) {
		// A body's deadline is that request's: the connection's next request, sent after it
		// passed, is served.
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		defer client.CloseIdleConnections()
		var local []string
		trace := func(req *http.Request) *http.Request {
			return req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
				GotConn: func(i httptrace.GotConnInfo) { local = append(local, i.Conn.LocalAddr().String()) },
			}))
		}
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/sunset", strings.NewReader(`{"id":"e1"}`))
		resp, err := client.Do(trace(req))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("an unsigned delivery answered %d, want 401", resp.StatusCode)
		}
		time.Sleep(2 * 200 * time.Millisecond) // past the body's read deadline
		req, _ = http.NewRequest(http.MethodGet, "http://"+addr+"/feeds/sunset/export", nil)
		req.Header.Set("X-API-Key", e.keys["export"])
		resp, err = client.Do(trace(req))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("the next request: status %d, %d bytes, %v", resp.StatusCode, len(body), err)
		}
		if len(local) != 2 || local[0] != local[1] {
			t.Errorf("the two requests went over connections %v, want one", local)
		}
	})
}

// TestAnAnswerWithoutABodyOutlivesTheReadTimeout: the read timeout bounds a request's body, not
// its answer. A feed GET whose answer takes longer than ReadTimeout (here a cold feed whose
// upstream sync is slow) is answered within WriteTimeout, as docs/operations.md promises for a
// cold 100,000-vehicle feed. A read deadline on the connection while such a handler runs (the
// gateway's bodyDeadline applied to a request without a body, say) would end net/http's
// background read and, with it, the request's context.
func TestAnAnswerWithoutABodyOutlivesTheReadTimeout(t *testing.T) {
	const readTimeout = 100 * time.Millisecond
	e := newEnvWith(t, 0, envSetup{tune: func(o *gateway.Options) {
		o.ReadTimeout = readTimeout
		o.WriteTimeout = guard
		o.Config.ShutdownDelay = 0
	}})
	e.syncer.delay.Store(int64(5 * readTimeout))
	addr, _ := serveOn(t, e.srv.Serve)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/feeds/sunset/export", nil)
	req.Header.Set("X-API-Key", e.keys["export"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("a cold feed synced in %v, read timeout %v: status %d, %d bytes, %v; body %.200s",
			5*readTimeout, readTimeout, resp.StatusCode, len(body), err, body)
	}
	if n := e.syncer.calls.Load(); n != 1 {
		t.Errorf("%d syncs, want the one cold sync", n)
	}
}
