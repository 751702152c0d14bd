package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/e2e"
)

// The drop-in end-to-end tests run the real binaries: hriznsim on a free port, and feedgate serve
// with a configuration pointing at it, the simulator sending its webhooks back to feedgate.

// startWait bounds how long a starting binary may take to announce its address; a guard against
// a broken build, not a performance expectation.
const startWait = 60 * time.Second

// start runs a binary until the test ends and returns the URL it announces on stdout or stderr
// ("... listening on http://HOST:PORT").
func start(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir()) // a local store of its own
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	found := make(chan string, 1)
	scanned := make(chan struct{}) // closed when the reader is done with logs
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			logs.WriteString(line + "\n")
			if _, url, ok := strings.Cut(line, "listening on "); ok && strings.HasPrefix(url, "http") {
				select {
				case found <- strings.TrimSpace(url):
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		_ = pw.Close()
		<-scanned
		if t.Failed() {
			t.Logf("%s output:\n%.4000s", filepath.Base(bin), logs.String())
		}
	})
	select {
	case url := <-found:
		return url
	case <-time.After(startWait):
		t.Fatalf("%s did not announce its address", bin)
	}
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// system is a running simulator and gateway with the gateway's keys.
type system struct {
	sim, gw string
	keys    map[string]string
}

const e2eConfig = `
listen: "127.0.0.1:0"
public_url: "{gw}"
upstream: {base_url: "{sim}/v1", timeout: 10s, sync: full}
cache: {fresh_for: 5m, serve_stale_for: 1h, shrink_guard: 0.5, shrink_confirm_after: 1h}
admin_keys: [{name: ops, hash: "{admin}"}]
tenants:
  - id: sunset
    name: Sunset Honda
    upstream_key: hzk_sim_rw
    cors_origins: ["https://www.sunset.example"]
    webhook_secret: whsec_e2e
    dealer:
      name: Sunset Honda
      website: "https://www.sunset.example"
      vdp_url: "https://www.sunset.example/inventory/{vin}"
      store_code: "SH-001"
      address: {street: "1 Main St", city: Springfield, region: IL, postal_code: "62701", country: US}
    keys:
      - {name: website, hash: "{website}", scopes: ["inventory:read"]}
      - {name: crm, hash: "{crm}", scopes: ["inventory:read", "inventory:write"]}
    feeds:
      - {name: google, format: google-vehicle-ads, keys: [{name: merchant, hash: "{google}"}]}
      - {name: export, format: csv, keys: [{name: office, hash: "{export}"}]}
  - id: hillside
    name: Hillside Motors
    upstream_key: hzk_sim_other
    keys:
      - {name: site, hash: "{other}", scopes: ["inventory:read"]}
    feeds:
      - {name: catalog, format: meta-automotive, keys: [{name: meta, hash: "{meta}"}]}
`

// startSystem builds and starts both binaries.
func startSystem(t *testing.T, vehicles int) *system {
	t.Helper()
	feedgateBin, simBin := e2e.Binaries()
	gwAddr := freeAddr(t)
	gwURL := "http://" + gwAddr
	sim := start(t, simBin, "--addr", "127.0.0.1:0", "--vehicles", fmt.Sprint(vehicles), "--seed", "1",
		"--description-delay", "0s", "--webhook-url", gwURL+"/webhooks/sunset", "--webhook-secret", "whsec_e2e")
	s := &system{sim: strings.Replace(sim, "localhost", "127.0.0.1", 1), keys: map[string]string{}}
	cfg := strings.NewReplacer("{gw}", gwURL, "{sim}", s.sim).Replace(e2eConfig)
	for _, name := range []string{"admin", "website", "crm", "google", "export", "other", "meta"} {
		key, hash, err := config.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		s.keys[name] = key
		cfg = strings.ReplaceAll(cfg, "{"+name+"}", hash)
	}
	path := filepath.Join(t.TempDir(), "feedgate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.gw = start(t, feedgateBin, "serve", "--config", path, "--listen", gwAddr)
	return s
}

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request to base+path with the headers (name/value pairs).
func call(t *testing.T, method, url string, body []byte, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func decode(t *testing.T, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("status %d, body %.300s: %v", r.status, r.body, err)
	}
}
