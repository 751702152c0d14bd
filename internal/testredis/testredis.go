// Package testredis starts a real, throw-away redis-server for tests: on a free loopback port,
// without persistence, in a temporary directory, stopped when the test ends.
//
// When redis-server is not installed the test is skipped, unless the environment says CI=true:
// then the test fails, so that a CI machine never passes by skipping the Redis tests.
package testredis

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startWait bounds how long a starting server may take to answer PING; it is a guard against a
// broken install, not a performance expectation.
const startWait = 15 * time.Second

// Server is one redis-server process owned by a test.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// Start runs redis-server on a free loopback port and waits until it answers PING. The server is
// stopped, and every client made by Client closed, by t.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("testredis: redis-server not found on PATH (install it: apt-get install redis-server, or brew install redis): %v", err)
		}
		tb.Skipf("testredis: redis-server not found on PATH; skipping (set CI=true to make this a failure): %v", err)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatalf("testredis: %v", err)
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), port: port}
	tb.Cleanup(s.Stop)
	s.start()
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	out := &bytes.Buffer{}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
	)
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("testredis: start redis-server: %v", err)
	}
	s.cmd, s.out = cmd, out
	if err := s.waitReady(); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		s.cmd = nil
		s.tb.Fatalf("testredis: redis-server on port %d did not answer: %v\n%s", s.port, err, out.String())
	}
}

func (s *Server) waitReady() error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(startWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is a redis:// URL for the server's database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Client returns a new client of the server, closed when the test ends. Each call makes its own
// client, so two "replicas" in one test do not share a connection pool.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop kills the server (as a crash would: no shutdown, no save) and waits for it to exit. It is
// safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port, with an empty dataset, and waits until it
// answers; a stopped server is simply started.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}
