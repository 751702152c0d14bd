package gateway

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair is a connected pair of loopback TCP connections.
func tcpPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return server.(*net.TCPConn), client.(*net.TCPConn)
}

// TestCoarseWriteDeadlineBounds: whatever deadlines are asked, in whatever order, the socket's
// write deadline after a request for t lies in [t, t+slack], so an answer gets at least the
// write timeout and at most the slack more; the requests of one slack set the socket once.
func TestCoarseWriteDeadlineBounds(t *testing.T) {
	server, _ := tcpPair(t)
	const slack = 10 * time.Second
	c := &coarseConn{TCPConn: server, slack: slack}
	base := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	sets := 0
	for i := range 10000 {
		before := c.wdl
		var at time.Time
		switch rng.IntN(10) {
		case 0: // net/http's clear after an answer
		case 1: // a deadline far earlier than the last (a handler shortening it)
			at = base.Add(time.Duration(rng.Int64N(int64(time.Hour))) - time.Hour)
		default: // the next request's, a little later
			base = base.Add(time.Duration(rng.Int64N(int64(50 * time.Millisecond))))
			at = base.Add(2 * time.Minute)
		}
		if err := c.SetWriteDeadline(at); err != nil {
			t.Fatal(err)
		}
		if !c.wdl.Equal(before) {
			sets++
		}
		if at.IsZero() {
			if !c.wdl.Equal(before) {
				t.Fatalf("step %d: a clear moved the socket's deadline", i)
			}
			continue
		}
		if c.wdl.Before(at) || c.wdl.After(at.Add(slack)) {
			t.Fatalf("step %d: asked %v, the socket has %v: outside [t, t+%v]", i, at, c.wdl, slack)
		}
	}
	// 8,000 of the requests advance by 25 ms on average over 200 s: about 20 slacks, plus the
	// thousand shortenings and the moves back after each.
	t.Logf("the socket's deadline was set %d times in 10,000 requests", sets)
	if sets > 2200 {
		t.Errorf("the socket's deadline was set %d times in 10,000 requests; coarse means about once a slack", sets)
	}

	if err := c.SetDeadline(time.Time{}); err != nil || !c.wdl.IsZero() {
		t.Errorf("SetDeadline(zero): %v, socket deadline %v; want none", err, c.wdl)
	}
}

// TestCoarseWriteDeadlineFires: a write to a peer that reads nothing fails with the deadline
// exceeded, and not before the deadline asked.
func TestCoarseWriteDeadlineFires(t *testing.T) {
	server, _ := tcpPair(t)
	c := &coarseConn{TCPConn: server, slack: 20 * time.Millisecond}
	at := time.Now().Add(100 * time.Millisecond)
	if err := c.SetWriteDeadline(at); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 1<<20)
		for {
			if _, err := c.Write(buf); err != nil {
				errc <- err
				return
			}
		}
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the blocked write failed with %v, want the deadline exceeded", err)
		}
		if now := time.Now(); now.Before(at) {
			t.Errorf("the write failed %v before its deadline", at.Sub(now))
		}
	case <-time.After(time.Minute):
		t.Fatal("a write to a peer that reads nothing never failed")
	}
}
