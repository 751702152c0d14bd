// Package stallconn plays a client that stops mid-request, for tests of a server's timeouts: it
// writes part of a request over raw TCP and waits for the server to end the connection.
package stallconn

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// Open dials addr, writes head (and nothing more) and returns the connection with guard as its
// read deadline; it is closed when the test ends. guard is not a measurement: it only bounds a
// test whose server never ends the request.
func Open(t testing.TB, addr, head string, guard time.Duration) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	return conn
}

// Ended reads r (an Open connection, or a reader over one) to its end and fails the test when
// the connection's guard, not the server, ends it.
func Ended(t testing.TB, r io.Reader, what string) {
	t.Helper()
	if _, err := io.Copy(io.Discard, r); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%s: the server kept the connection open until the test's guard", what)
	}
}

// Answer reads one answer from r (over an Open connection), its body too, and fails the test
// when the connection's guard, not the server, ends the wait for it.
func Answer(t testing.TB, r *bufio.Reader, what string) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(r, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s answer waited until the test's guard for the rest of a stalled request", what)
	}
	if err != nil {
		t.Fatalf("%s answer: %v", what, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}
