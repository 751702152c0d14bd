package stallconn

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestEndedSeesTheServerClose: a request the server answers and closes ends Ended's read
// without a failure, and Open delivers the head as written.
func TestEndedSeesTheServerClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		buf := make([]byte, 5)
		_, _ = io.ReadFull(c, buf)
		got <- string(buf)
		_ = c.Close()
	}()
	conn := Open(t, ln.Addr().String(), "GET /", time.Minute)
	if s := <-got; s != "GET /" {
		t.Fatalf("the server read %q", s)
	}
	Ended(t, conn, "a closed connection")
}

// recorder is a testing.TB that notes a failure instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }

// TestEndedFailsOnTheGuard: a server that holds the connection open is reported once the guard
// passes.
func TestEndedFailsOnTheGuard(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			held <- c
		}
	}()
	conn := Open(t, ln.Addr().String(), "GET /", 50*time.Millisecond)
	c := <-held
	defer c.Close()
	r := &recorder{TB: t}
	Ended(r, conn, "a held connection")
	if !r.failed {
		t.Fatal("Ended did not report a connection the server held past the guard")
	}
}
