package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/syncbuf"
)

// TestBinary builds the real command, starts it on a free port, reads the address it prints,
// uses the API and the control routes, and stops it with SIGTERM.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hriznsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const secretKey = "hzk_cmdtest_secret"
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--vehicles", "30", "--seed", "9",
		"--key", secretKey+"=inventory:read,inventory:write",
		"--key", "hzk_cmdtest_b=inventory:read@dealer-b",
		"--description-delay", "0s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second): // a hang guard, not a speed check
		t.Fatalf("no address printed; stderr:\n%s", stderr.String())
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "hriznsim listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}

	checks := []struct {
		method, path, key string
		status            int
		contains          string
	}{
		{"GET", "/v1/public/inventory/stats", secretKey, 200, `"total_vehicles":30`},
		{"GET", "/v1/public/inventory/stats", "hzk_cmdtest_b", 200, `"total_vehicles":30`},
		{"GET", "/v1/public/inventory/stats", "hzk_sim_rw", 401, "unauthorized"}, // --key replaced the defaults
		{"GET", "/v1/public/inventory/feed?format=xml", secretKey, 200, `<inventory count="30">`},
		{"GET", "/_sim/stats", "", 200, `"total":4`},
	}
	for _, c := range checks {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		if c.key != "" {
			req.Header.Set("X-API-Key", c.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(body), c.contains) {
			t.Errorf("%s %s: %d %.300s; want %d containing %s", c.method, c.path, resp.StatusCode, body, c.status, c.contains)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop on SIGTERM")
	}
	logs := stderr.String()
	if strings.Contains(logs, secretKey) || strings.Contains(logs, "hzk_cmdtest_b") {
		t.Errorf("a key reached the logs:\n%s", logs)
	}
	requests := 0
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(l), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if entry["msg"] == "request" {
			requests++
		}
	}
	if requests != len(checks) {
		t.Errorf("%d request log lines, want %d", requests, len(checks))
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad scope", []string{"--key", "hzk_flagsecret=inventory:admin"}, "unknown scope"},
		{"no scope", []string{"--key", "hzk_flagsecret"}, "KEY=SCOPE"},
		{"stray argument", []string{"serve"}, "unexpected arguments"},
		{"negative size", []string{"--vehicles", "-3"}, "must not be negative"},
		{"bad address", []string{"--addr", "127.0.0.1:99999"}, "listen"},
		{"unknown profile", []string{"--profile", "chaotic"}, `unknown profile "chaotic"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error()+errOut.String(), tt.want) {
				t.Fatalf("err = %v, stderr %q; want %q", err, errOut.String(), tt.want)
			}
			if strings.Contains(err.Error()+errOut.String(), "flagsecret") {
				t.Errorf("the key appears in %v / %s", err, errOut.String())
			}
		})
	}
}

// A cancelled context shuts the server down cleanly.
func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--vehicles", "0"}, out, io.Discard) }()
	for !strings.Contains(out.String(), "listening on") {
		select {
		case err := <-errc:
			t.Fatalf("run ended early: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// --profile realistic serves the realistic inventory: demo cars and European VINs among others.
func TestRunRealisticProfile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--vehicles", "150", "--profile", "realistic"}, out, io.Discard)
	}()
	for !strings.Contains(out.String(), "listening on") {
		select {
		case err := <-errc:
			t.Fatalf("run ended early: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	url := strings.TrimSpace(strings.TrimPrefix(out.String(), "hriznsim listening on "))
	req, _ := http.NewRequest("GET", url+"/v1/public/inventory/feed", nil)
	req.Header.Set("X-API-Key", "hzk_sim_read")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"condition":"demo"`, `"condition":"loaner"`, `ZZZ`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the realistic feed holds no %s", want)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
}
