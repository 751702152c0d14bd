package gateway_test

import (
	"bytes"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcpEstablished is TCP_ESTABLISHED of Linux's include/net/tcp_states.h, as TCP_INFO reports it.
const tcpEstablished = 1

// TestWriteTimeoutEndsAStalledReader: a client that asks and never reads is cut off by the
// write timeout, through the connection that keeps it coarsely (deadlines.go), instead of
// holding a goroutine blocked in a write for ever. The client pipelines far more answers than
// the sockets' buffers hold and reads none: the server's write blocks, its deadline passes, and
// it closes the connection. The client watches its socket's TCP state rather than reading, since
// reading would let the server's writes go on.
func TestWriteTimeoutEndsAStalledReader(t *testing.T) {
	e, addr := servingTimeouts(t)
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	req := "GET /feeds/sunset/export HTTP/1.1\r\nHost: feeds.example\r\nX-API-Key: " + e.keys["export"] + "\r\n\r\n"
	go func() { _, _ = conn.Write(bytes.Repeat([]byte(req), 2000)) }() // ends when the server closes

	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	state := func() uint8 {
		var info *unix.TCPInfo
		var ierr error
		if err := raw.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }); err != nil || ierr != nil {
			t.Fatalf("TCP_INFO: %v %v", err, ierr)
		}
		return info.State
	}
	for end := time.Now().Add(guard); state() == tcpEstablished; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the server still holds a connection whose client has read nothing for %s", guard)
		}
	}
}
