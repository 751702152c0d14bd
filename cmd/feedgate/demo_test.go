package main

import (
	"net"
	"strings"
	"testing"
)

func TestDemoBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, stdout, stderr := runCmd(t, "demo", "--addr", ln.Addr().String())
	if code != 1 || stdout != "" || !strings.Contains(stderr, ln.Addr().String()+" is already in use; use --addr") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

func TestDemoListensOnLoopbackByDefault(t *testing.T) {
	code, _, stderr := runCmd(t, "demo", "-h")
	if code != 0 || !strings.Contains(stderr, `(default "127.0.0.1:8080")`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
