// Package e2e tests the real feedgate and hriznsim binaries together, with a real redis-server:
// built once per run, started as processes, spoken to over HTTP only.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/internal/syncbuf"
)

// bins holds the paths of the binaries TestMain built.
var bins struct{ feedgate, hriznsim string }

// Binaries are the paths of the feedgate and hriznsim binaries TestMain built, for the harness
// of the external test package (dropin_helpers_test.go), so that the binaries are built once.
func Binaries() (feedgate, hriznsim string) { return bins.feedgate, bins.hriznsim }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "feedgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.feedgate = filepath.Join(dir, "feedgate")
	bins.hriznsim = filepath.Join(dir, "hriznsim")
	for out, pkg := range map[string]string{bins.feedgate: "../cmd/feedgate", bins.hriznsim: "../cmd/hriznsim"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go build %s: %v\n", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a started binary that announced its URL.
type proc struct {
	cmd *exec.Cmd
	URL string
	out *syncbuf.Buffer // stdout and stderr, for failure messages
}

// start runs bin with args and waits for the line "<marker> http://HOST:PORT" on the stream
// the binary announces on. The process is killed when the test ends.
func start(t *testing.T, bin, marker string, onStderr bool, args ...string) *proc {
	t.Helper()
	return startOut(t, nil, bin, marker, onStderr, args...)
}

// startOut is start with the stream the binary does not announce on sent to other instead of
// the captured output (nil: captured).
func startOut(t *testing.T, other io.Writer, bin, marker string, onStderr bool, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), out: &syncbuf.Buffer{}}
	// Each process keeps its local store (the embedded default's snapshots on disk) apart from
	// every other test's; a test that restarts a gateway on the same store names cache.dir.
	p.cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	pr, pw := io.Pipe()
	var rest io.Writer = p.out
	if other != nil {
		rest = other
	}
	if onStderr {
		p.cmd.Stdout, p.cmd.Stderr = rest, pw
	} else {
		p.cmd.Stdout, p.cmd.Stderr = pw, rest
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		_ = pw.Close()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			_, _ = p.out.Write([]byte(line + "\n"))
			if rest, ok := strings.CutPrefix(line, marker+" "); ok {
				select {
				case found <- strings.TrimSpace(rest):
				default:
				}
			}
		}
	}()
	select {
	case p.URL = <-found:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start:\n%s", filepath.Base(bin), p.out.String())
	}
	return p
}

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// startSim runs the simulator on a free port.
func startSim(t *testing.T) *proc {
	return start(t, bins.hriznsim, "hriznsim listening on", false, "--addr", "127.0.0.1:0", "--description-delay", "0")
}

// startGateway runs feedgate serve with the configuration file and waits until it is ready.
func startGateway(t *testing.T, cfgPath string) *proc {
	t.Helper()
	return startGatewayOut(t, cfgPath, nil)
}

// startGatewayOut is startGateway with the gateway's log (its standard output) sent to stdout
// instead of the captured output (nil: captured).
func startGatewayOut(t *testing.T, cfgPath string, stdout io.Writer) *proc {
	t.Helper()
	p := startOut(t, stdout, bins.feedgate, "feedgate listening on", true, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0")
	waitFor(t, "readyz", func() bool {
		resp, err := http.Get(p.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

// newStack starts a simulator, makes the standard keys (admin, reader, google, export, other and
// any more named) and writes the configuration s describes for them to a temporary file: the
// prologue of most tests, which then start the gateways they need on cfg.
func newStack(t *testing.T, s setup, moreKeys ...string) (sim *proc, keys keyset, cfg string) {
	t.Helper()
	sim = startSim(t)
	keys = newKeyset(t, append([]string{"admin", "reader", "google", "export", "other"}, moreKeys...)...)
	s.simURL, s.keys = sim.URL, keys
	cfg = filepath.Join(t.TempDir(), "feedgate.yaml")
	writeConfig(t, cfg, s.yaml())
	return sim, keys, cfg
}

// waitFor polls cond until it holds; the bound only catches a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keyset is a set of fresh keys by name.
type keyset map[string]string

func newKeyset(t *testing.T, names ...string) keyset {
	t.Helper()
	k := keyset{}
	for _, n := range names {
		key, _, err := config.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		k[n] = key
	}
	return k
}

// setup describes one test's configuration.
type setup struct {
	simURL   string
	redisURL string
	sync     string // full or feed
	freshFor string
	// shutdownDelay is shutdown_delay; "" means 0s, so a stopping gateway does not linger.
	shutdownDelay string
	keys          keyset
	extra         string // appended to the sunset tenant's feeds
	// refresh is refresh.mode; "" means the default (scheduled). Tests of the request-driven
	// paths (cold requests coalescing, stale-while-revalidate) say on_request.
	refresh string
	// dir is cache.dir, for tests that restart a gateway on the same local store; "" leaves the
	// default (the process's own temporary XDG_CACHE_HOME).
	dir string
}

// yaml renders the configuration: tenant sunset on the simulator's main site, tenant other on
// its other site, admin key "admin".
func (s setup) yaml() string {
	h := func(n string) string { return config.HashKey(s.keys[n]) }
	if s.sync == "" {
		s.sync = "full"
	}
	if s.freshFor == "" {
		s.freshFor = "5m"
	}
	if s.shutdownDelay == "" {
		s.shutdownDelay = "0s"
	}
	if s.refresh == "" {
		s.refresh = "scheduled"
	}
	dirKey := ""
	if s.dir != "" {
		dirKey = fmt.Sprintf(", dir: %q", s.dir)
	}
	return fmt.Sprintf(`public_url: "http://feeds.example"
shutdown_delay: %s
redis: {url: %q}
upstream: {base_url: %q, sync: %s, timeout: 5s}
cache: {fresh_for: %s, serve_stale_for: 1h%s}
refresh: {mode: %s}
admin_keys: [{name: ops, hash: %q}]
tenants:
  - id: sunset
    name: Sunset Honda
    upstream_key: hzk_sim_rw
    dealer:
      name: Sunset Honda
      vdp_url: "https://www.sunsethonda.example/inventory/{vin}"
      store_code: SH-001
      address: {street: "1 Main St", city: Springfield, region: IL, postal_code: "62701", country: US}
    rate_limit: {per_minute: 100000}
    keys: [{name: reader, hash: %q, scopes: [feeds:read]}]
    feeds:
      - {name: google, format: google-vehicle-ads, keys: [{name: merchant, hash: %q}]}
      - {name: export, format: csv, keys: [{name: office, hash: %q}]}
%s  - id: other
    name: Other Motors
    upstream_key: hzk_sim_other
    feeds:
      - {name: export, format: csv, keys: [{name: theirs, hash: %q}]}
`, s.shutdownDelay, s.redisURL, s.simURL+"/v1", s.sync, s.freshFor, dirKey, s.refresh, h("admin"), h("reader"), h("google"), h("export"), s.extra, h("other"))
}

// writeConfig writes the configuration to path atomically (rename), as editors and config
// management do.
func writeConfig(t *testing.T, path, yaml string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// get fetches url with the key in X-API-Key (none when key is "").
func get(t *testing.T, url, key string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// simCounts reads the simulator's request counters.
func simCounts(t *testing.T, sim *proc) map[string]int {
	t.Helper()
	_, body := get(t, sim.URL+"/_sim/stats", "")
	var s struct {
		Requests map[string]int `json:"requests"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("sim stats %q: %v", body, err)
	}
	return s.Requests
}

// simFaults replaces the simulator's faults.
func simFaults(t *testing.T, sim *proc, faults string) {
	t.Helper()
	simPost(t, sim, "/_sim/faults", faults)
}

// simInventory applies an inventory change on the simulator (see docs/hriznsim.md).
func simInventory(t *testing.T, sim *proc, change string) {
	t.Helper()
	simPost(t, sim, "/_sim/inventory", change)
}

// simPost posts a JSON body to one of the simulator's control routes.
func simPost(t *testing.T, sim *proc, path, body string) {
	t.Helper()
	resp, err := http.Post(sim.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

// metric returns the line of the gateway's /metrics that starts with prefix, or "".
func metric(t *testing.T, gw *proc, prefix string) string {
	t.Helper()
	_, body := get(t, gw.URL+"/metrics", "")
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}
