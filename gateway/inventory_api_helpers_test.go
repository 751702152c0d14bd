package gateway_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/bridge"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/ratelimit"
	"github.com/feedgate/feedgate/replay"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// The drop-in tests run the gateway over real parts: the simulator behind an HTTP server, the
// upstream client and full syncer, the memory cache, and the adapters cmd/feedgate wires
// (internal/bridge), write-through marks included.

// forwarder is the write pass-through over the tenants' clients.
type forwarder struct{ clients upstream.ClientMap }

func (f forwarder) Forward(ctx context.Context, tenant, method, path string, body []byte) (gateway.UpstreamAnswer, error) {
	c, err := f.clients.Client(tenant)
	if err != nil {
		return gateway.UpstreamAnswer{}, err
	}
	status, h, b, err := c.Do(ctx, method, path, body)
	return gateway.UpstreamAnswer{Status: status, Header: h, Body: b}, err
}

// scheduleCounter is the env's AdminStore: bridge.Admin without a scheduler (so callers refresh
// themselves), counting the Schedule calls it declines.
type scheduleCounter struct {
	bridge.Admin
	mu sync.Mutex
	n  map[string]int
}

func (s *scheduleCounter) Schedule(tenant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n[tenant]++
	return s.Admin.Schedule(tenant)
}

func (s *scheduleCounter) count(tenant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[tenant]
}

// dropinEnv is a gateway, its simulator and the keys of its configuration.
type dropinEnv struct {
	t      testing.TB
	srv    *gateway.Server
	sim    *hriznsim.Server
	simURL string
	admin  bridge.Admin
	// scheduled counts the gateway's requests for a scheduled sync, by tenant.
	scheduled *scheduleCounter
	cache     *cache.Cache
	keys      keys
	metrics   *gateway.Metrics
}

const dropinConfig = `
public_url: "http://feeds.example"
cache: {fresh_for: 5m, serve_stale_for: 1h}
admin_keys: [{name: ops, hash: "{admin}"}]
tenants:
  - id: sunset
    name: Sunset Honda
    upstream_key: hzk_sim_rw
    cors_origins: ["https://www.sunset.example"]
    webhook_secret: "whsec_sunset"
    dealer:
      name: Sunset Honda
      website: "https://www.sunset.example"
      vdp_url: "https://www.sunset.example/inventory/{vin}"
      store_code: "SH-001"
      address: {street: "1 Main St", city: Springfield, region: IL, postal_code: "62701", country: US}
    keys:
      - {name: website, hash: "{website}", scopes: ["inventory:read"]}
      - {name: crm, hash: "{crm}", scopes: ["inventory:read", "inventory:write"]}
      - {name: reader, hash: "{reader}", scopes: ["feeds:read"]}
    feeds:
      - {name: google, format: google-vehicle-ads, keys: [{name: merchant, hash: "{google}"}]}
      - {name: export, format: csv, keys: [{name: office, hash: "{export}"}]}
  - id: other
    name: Other Motors
    upstream_key: hzk_sim_other
    cors_origins: ["https://other.example"]
    keys:
      - {name: site, hash: "{other}", scopes: ["inventory:read", "inventory:write"]}
    feeds:
      - {name: export, format: csv, keys: [{name: theirs, hash: "{theirs}"}]}
`

// newDropinEnv starts a simulator with simOpts (Vehicles defaults to 150) and a gateway over it.
func newDropinEnv(t testing.TB, simOpts hriznsim.Options) *dropinEnv {
	t.Helper()
	return newDropinEnvLimit(t, simOpts, 0)
}

// newDropinEnvLimit is newDropinEnv with the sunset tenant's rate_limit.per_minute set (0: the
// default).
func newDropinEnvLimit(t testing.TB, simOpts hriznsim.Options, perMinute int) *dropinEnv {
	t.Helper()
	return newDropinEnvWith(t, simOpts, dropinEnvOptions{perMinute: perMinute})
}

// dropinEnvOptions change a drop-in environment for one test.
type dropinEnvOptions struct {
	perMinute int              // the sunset tenant's rate_limit.per_minute (0: the default)
	now       func() time.Time // the cache's and the gateway's clock (nil: the real one)
	// store wraps the Store the gateway is given (nil: the bridge's as it is).
	store func(gateway.Store) gateway.Store
	// logs receives the gateway's log lines, access lines included (nil: discarded).
	logs io.Writer
}

// newDropinEnvWith is newDropinEnv changed by o.
func newDropinEnvWith(t testing.TB, simOpts hriznsim.Options, o dropinEnvOptions) *dropinEnv {
	t.Helper()
	perMinute, now := o.perMinute, o.now
	if simOpts.Vehicles == 0 {
		simOpts.Vehicles = 150
	}
	sim := hriznsim.New(simOpts)
	hs := httptest.NewServer(sim)
	t.Cleanup(func() { hs.Close(); sim.Close() })
	clients := upstream.ClientMap{}
	for tenant, key := range map[string]string{"sunset": "hzk_sim_rw", "other": "hzk_sim_other"} {
		c, err := upstream.NewClient(upstream.Options{BaseURL: hs.URL + "/v1", APIKey: key, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		clients[tenant] = c
	}
	sy, err := upstream.NewSyncer(upstream.SyncerOptions{Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Options{FreshFor: 5 * time.Minute, ServeStaleFor: time.Hour, ShrinkGuard: 0.5, ShrinkConfirmAfter: time.Hour, Now: now},
		nil, nil, bridge.Syncer{S: sy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	pub := publish.NewPublisher(c, publish.PublisherOptions{})
	admin := bridge.Admin{C: c}
	scheduled := &scheduleCounter{Admin: admin, n: map[string]int{}}
	formats, err := transform.NewRegistry(transform.Builtins()...)
	if err != nil {
		t.Fatal(err)
	}
	k := keys{}
	for _, n := range []string{"admin", "website", "crm", "reader", "google", "export", "other", "theirs"} {
		k[n] = newKey(t)
	}
	metrics := gateway.NewMetrics()
	cfg := dropinConfig
	if perMinute > 0 {
		cfg = strings.Replace(cfg, "  - id: sunset\n", "  - id: sunset\n    rate_limit: {per_minute: "+strconv.Itoa(perMinute)+"}\n", 1)
	}
	var store gateway.Store = bridge.Store{C: c}
	if o.store != nil {
		store = o.store(store)
	}
	logger := slog.New(slog.DiscardHandler)
	if o.logs != nil {
		logger = slog.New(slog.NewJSONHandler(o.logs, nil))
	}
	// A refresh the admin waits for longer than 2 s answers 202 (TestAdminRefreshDoesNotHang).
	srv, err := gateway.New(gateway.Options{Config: parseConfig(t, k.fill(cfg), formats), AdminRefreshWait: 2 * time.Second, Now: now},
		gateway.Deps{Store: store, Limiter: ratelimit.NewMemory(ratelimit.MemoryOptions{}), Replay: replay.NewMemory(replay.MemoryOptions{}), Publisher: bridge.Publisher{P: pub, Formats: formats}, Metrics: metrics, Upstream: forwarder{clients},
			Admin: scheduled, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return &dropinEnv{t: t, srv: srv, sim: sim, simURL: hs.URL, admin: admin, scheduled: scheduled, cache: c, keys: k, metrics: metrics}
}

// answer is a response's status, headers and body.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// gw sends a request to the gateway; headers are name/value pairs.
func (e *dropinEnv) gw(method, target string, body []byte, headers ...string) answer {
	e.t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return answer{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// upstream sends the same request to the simulator with its key.
func (e *dropinEnv) upstream(method, target string, body []byte, simKey string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.simURL+target, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if simKey != "" {
		req.Header.Set("X-API-Key", simKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// metric is the text of the gateway's /metrics.
func (e *dropinEnv) metric() string {
	return string(e.gw(http.MethodGet, "/metrics", nil).body)
}

func newKey(t testing.TB) string {
	t.Helper()
	key, _, err := config.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// fill puts the keys' hashes into a configuration.
func (k keys) fill(yaml string) string {
	for name, key := range k {
		yaml = strings.ReplaceAll(yaml, "{"+name+"}", config.HashKey(key))
	}
	return yaml
}
