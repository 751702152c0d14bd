package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersionStamped: a binary stamped the way `make build` and the Dockerfile stamp it reports
// its version and revision in `feedgate version` and in the feedgate_build_info metric.
func TestVersionStamped(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "feedgate")
	const bi = "github.com/feedgate/feedgate/internal/buildinfo"
	ldflags := "-X " + bi + ".version=v9.8.7-test -X " + bi + ".revision=0123456789abcdef -X " + bi + ".revisionTime=2026-11-30T00:00:00Z"
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "../cmd/feedgate")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		want := "feedgate v9.8.7-test\nrevision: 0123456789abcdef\ntime:     2026-11-30T00:00:00Z\ngo:       " + runtime.Version() + "\n"
		if err != nil || string(out) != want {
			t.Errorf("feedgate %s: %v\n%s\nwant:\n%s", arg, err, out, want)
		}
	}

	sim, keys, cfg := newStack(t, setup{})
	gw := start(t, bin, "feedgate listening on", true, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	line := metric(t, gw, "feedgate_build_info{")
	want := regexp.MustCompile(`^feedgate_build_info\{goversion="go[0-9.]+[^"]*",revision="0123456789abcdef",version="v9.8.7-test"\} 1$`)
	if !want.MatchString(line) {
		t.Errorf("build info metric: %q", line)
	}
	// The container's health check: a path probes the port the configuration names.
	port := gw.URL[strings.LastIndexByte(gw.URL, ':'):]
	writeConfig(t, cfg, strings.Replace(setup{simURL: sim.URL, keys: keys}.yaml(), "public_url:", "listen: \"127.0.0.1"+port+"\"\npublic_url:", 1))
	if out, err := exec.Command(bin, "serve", "--config", cfg, "--probe", "/readyz").CombinedOutput(); err != nil {
		t.Errorf("probe of the configured port: %v\n%s", err, out)
	}
}
