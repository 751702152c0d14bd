package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/bridge"
	"github.com/feedgate/feedgate/internal/syncbuf"
	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/ratelimit"
	"github.com/feedgate/feedgate/replay"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// syncer is a scripted upstream: a generated inventory, counted calls, and failure on demand.
type syncer struct {
	clock *testclock.Clock
	calls atomic.Int32
	fail  atomic.Bool
	// delay is how long a sync takes (nanoseconds; 0: none), as a slow upstream's would.
	delay atomic.Int64
}

func (s *syncer) Sync(_ context.Context, tenant string, _ *inventory.Snapshot) (*inventory.Snapshot, error) {
	s.calls.Add(1)
	time.Sleep(time.Duration(s.delay.Load()))
	if s.fail.Load() {
		return nil, errors.New("test upstream: 500")
	}
	seed := int64(1)
	if tenant != "sunset" {
		seed = 2
	}
	return inventory.NewSnapshot(tenant, hriznsim.Generate(seed, 40), s.clock.Now(), "test"), nil
}

// brokenWriter fails or panics on every render.
type brokenWriter struct{ panics bool }

func (b brokenWriter) Name() string {
	if b.panics {
		return "panics"
	}
	return "broken"
}
func (brokenWriter) Version() string     { return "1" }
func (brokenWriter) ContentType() string { return "text/plain; charset=utf-8" }
func (brokenWriter) Extension() string   { return "txt" }
func (brokenWriter) Description() string { return "always fails" }
func (b brokenWriter) Write(w io.Writer, _ transform.Input) (transform.Diagnostics, error) {
	_, _ = io.WriteString(w, "half a feed")
	if b.panics {
		panic("writer bug")
	}
	return transform.Diagnostics{}, errors.New("writer failed")
}

// keys are the test configuration's keys by name.
type keys map[string]string

// env is a gateway over a real memory cache and the real format registry.
type env struct {
	t       testing.TB
	srv     *gateway.Server
	clock   *testclock.Clock
	syncer  *syncer
	cache   *cache.Cache
	keys    keys
	formats *transform.Registry
	logs    *syncbuf.Buffer
	// logWriter is the LogWriter the gateway logs through, when the env was made with one.
	logWriter *gateway.LogWriter
}

const testConfig = `
public_url: "http://feeds.example"
cache: {fresh_for: 5m, serve_stale_for: 1h}
admin_keys: [{name: ops, hash: "{admin}"}]
tenants:
  - id: sunset
    name: Sunset Honda
    upstream_key: hzk_sim_rw
    dealer:
      name: Sunset Honda
      vdp_url: "https://www.sunsethonda.example/inventory/{vin}"
      store_code: SH-001
      address: {street: "1 Main St", city: Springfield, region: IL, postal_code: "62701", country: US}
    rate_limit: {per_minute: {per_minute}}
    keys:
      - {name: website, hash: "{website}", scopes: ["inventory:read"]}
      - {name: reader, hash: "{reader}", scopes: ["feeds:read"]}
    feeds:
      - {name: google, format: google-vehicle-ads, keys: [{name: merchant, hash: "{google}"}]}
      - {name: export, format: csv, keys: [{name: office, hash: "{export}"}]}
      - {name: broken, format: broken, keys: [{name: b, hash: "{broken}"}]}
      - {name: panics, format: panics, keys: [{name: p, hash: "{panics}"}]}
  - id: other
    name: Other Motors
    upstream_key: hzk_sim_other
    feeds:
      - {name: export, format: csv, keys: [{name: theirs, hash: "{other}"}]}
`

func newKeys(t testing.TB) keys {
	k := keys{}
	for _, n := range []string{"admin", "website", "reader", "google", "export", "broken", "panics", "other"} {
		key, _, err := config.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		k[n] = key
	}
	return k
}

// config is the test configuration with the keys' hashes filled in.
func (k keys) config(perMinute int) string {
	if perMinute == 0 {
		perMinute = 100000 // no limit worth noticing
	}
	pairs := []string{"{per_minute}", strconv.Itoa(perMinute)}
	for name, key := range k {
		pairs = append(pairs, "{"+name+"}", config.HashKey(key))
	}
	return strings.NewReplacer(pairs...).Replace(testConfig)
}

func parseConfig(t testing.TB, yaml string, formats *transform.Registry) *config.Config {
	t.Helper()
	opts := config.ParseOptions{Getenv: func(string) (string, bool) { return "", false }}
	if formats != nil {
		opts.Formats = formats
	}
	cfg, err := config.Parse([]byte(yaml), opts)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func newEnv(t testing.TB, perMinute int) *env {
	t.Helper()
	return newEnvLogging(t, perMinute, slog.LevelInfo)
}

// newEnvLogging is newEnv with the access log at level (slog.LevelWarn drops its lines, as
// log_level: warn does).
func newEnvLogging(t testing.TB, perMinute int, level slog.Level) *env {
	t.Helper()
	return newEnvWith(t, perMinute, envSetup{level: level})
}

// envSetup says how an env is built beyond newEnv's defaults. It logs at level, onto out (nil:
// env.logs), and through a LogWriter (Deps.AccessLog, which the logger writes onto too) when
// async is set. With realClock the gateway and the cache read the wall clock, as feedgate serve
// does, instead of env.clock (whose mutex a benchmark would otherwise measure); env.clock then
// starts at the wall clock's time, so that what the syncer fetches is fresh.
type envSetup struct {
	level     slog.Level
	out       io.Writer
	async     bool
	realClock bool
	// interval is the LogWriter's batch interval (0: its default).
	interval time.Duration
	// tune, when set, adjusts the gateway's options (its server timeouts, say) before New.
	tune func(*gateway.Options)
}

// newEnvWith is newEnv built as ls says.
func newEnvWith(t testing.TB, perMinute int, ls envSetup) *env {
	t.Helper()
	formats, err := transform.NewRegistry(append(transform.Builtins(), brokenWriter{}, brokenWriter{panics: true})...)
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	now := clk.Now
	if ls.realClock {
		clk, now = testclock.New(time.Now()), time.Now
	}
	sy := &syncer{clock: clk}
	c, err := cache.New(cache.Options{FreshFor: 5 * time.Minute, ServeStaleFor: time.Hour, Now: now}, nil, nil, sy)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	k := newKeys(t)
	logs := &syncbuf.Buffer{}
	var out io.Writer = logs
	if ls.out != nil {
		out = ls.out
	}
	var lw *gateway.LogWriter
	if ls.async {
		lw = gateway.NewLogWriter(out, gateway.LogWriterOptions{Interval: ls.interval})
		t.Cleanup(func() { _ = lw.Close() })
		out = lw
	}
	metrics := gateway.NewMetrics()
	pub := publish.NewPublisher(c, publish.PublisherOptions{OnRender: metrics.ObserveRender})
	opts := gateway.Options{Config: parseConfig(t, k.config(perMinute), formats), Now: now}
	if ls.tune != nil {
		ls.tune(&opts)
	}
	srv, err := gateway.New(opts,
		gateway.Deps{Store: bridge.Store{C: c}, Limiter: ratelimit.NewMemory(ratelimit.MemoryOptions{}), Replay: replay.NewMemory(replay.MemoryOptions{Now: now}), Publisher: bridge.Publisher{P: pub, Formats: formats}, Metrics: metrics, AccessLog: lw, Logger: slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: ls.level}))})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, clock: clk, syncer: sy, cache: c, keys: k, formats: formats, logs: logs, logWriter: lw}
}

// do sends a request through the gateway; headers are name/value pairs.
func (e *env) do(method, target string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

// errorCode decodes an error body and checks its shape.
func errorCode(t *testing.T, rec *httptest.ResponseRecorder) inventory.ErrorDetail {
	t.Helper()
	var body inventory.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("status %d: body %q is not the error shape (%v)", rec.Code, rec.Body.String(), err)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q", ct)
	}
	return body.Error
}

var _ http.Handler = (*gateway.Server)(nil)

// serveOn runs serve (a Server's Serve or ServeMetrics) on a fresh loopback listener and returns
// the listener's address and a stop that ends it and returns what serve returned. A test that
// does not stop it has it stopped at its end.
func serveOn(t testing.TB, serve func(context.Context, net.Listener) error) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()
	var once sync.Once
	var served error
	stop = func() error {
		once.Do(func() {
			cancel()
			served = <-done
		})
		return served
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}
