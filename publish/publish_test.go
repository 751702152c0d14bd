package publish_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/internal/testredis"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// versionedWriter writes its version into every output, as a changed writer would write other
// bytes.
type versionedWriter struct{ version string }

func (versionedWriter) Name() string        { return "versioned" }
func (versionedWriter) ContentType() string { return "text/plain; charset=utf-8" }
func (versionedWriter) Extension() string   { return "txt" }
func (versionedWriter) Description() string { return "writes its version" }
func (w versionedWriter) Version() string   { return w.version }
func (w versionedWriter) Write(out io.Writer, in transform.Input) (transform.Diagnostics, error) {
	_, err := io.WriteString(out, "written by version "+w.version+"\n")
	return transform.Diagnostics{Included: len(in.Snapshot.Vehicles)}, err
}

const testConfig = `
public_url: "http://feeds.example"
tenants:
  - id: sunset
    name: Sunset Honda
    upstream_key: hzk_sim_rw
    dealer: {name: Sunset Honda, vdp_url: "https://sunset.example/{vin}", store_code: "SH-1"}
    feeds:
      - {name: plain, format: versioned, options: {currency: EUR}}
      - {name: export, format: csv}
`

func parse(t *testing.T, formats *transform.Registry) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig), config.ParseOptions{
		Getenv: func(string) (string, bool) { return "", false }, Formats: formats})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func registry(t *testing.T, w transform.Writer) *transform.Registry {
	t.Helper()
	reg, err := transform.NewRegistry(append(transform.Builtins(), w)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// fixedSyncer answers every sync with the same inventory at the same time, so two processes
// agree on the snapshot's version.
type fixedSyncer struct{}

func (fixedSyncer) Sync(_ context.Context, tenant string, _ *inventory.Snapshot) (*inventory.Snapshot, error) {
	return inventory.NewSnapshot(tenant, hriznsim.Generate(3, 12), time.Now(), "test"), nil
}

// TestNewWriterVersionRendersAnew is the regression test for outputs keyed without the writer's
// version: a replica running an upgraded writer against a Redis that an older build filled must
// render anew, not serve the old bytes.
func TestNewWriterVersionRendersAnew(t *testing.T) {
	r := testredis.Start(t)
	serve := func(version string) string {
		t.Helper()
		c, err := cache.New(cache.Options{}, nil, cache.NewRedis(r.Client(), cache.RedisOptions{Prefix: "fg:"}), fixedSyncer{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		reg := registry(t, versionedWriter{version: version})
		set, err := publish.Build(parse(t, reg), reg)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := set.Feed("sunset", "plain")
		if !ok {
			t.Fatal("no feed sunset/plain")
		}
		sv, err := publish.NewPublisher(c, publish.PublisherOptions{}).Output(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		return string(sv.Output.Body)
	}
	if got := serve("1"); !strings.Contains(got, "version 1") {
		t.Fatalf("first render %q", got)
	}
	if got := serve("2"); !strings.Contains(got, "version 2") {
		t.Fatalf("after the upgrade the feed still says %q: an output stored by the old writer was served", got)
	}
}

// TestOptionsMapping checks the one config → options mapping with what render and the gateway
// both rely on.
func TestOptionsMapping(t *testing.T) {
	reg := registry(t, versionedWriter{version: "1"})
	cfg := parse(t, reg)
	ten, _ := cfg.Tenant("sunset")
	f, _ := ten.Feed("plain")
	o := publish.Options(cfg, ten, f)
	if o.Currency != "EUR" || o.FeedURL != "http://feeds.example/feeds/sunset/plain" {
		t.Errorf("options %+v", o)
	}
	set, err := publish.Build(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	feeds := set.Tenant("sunset")
	if len(feeds) != 2 || feeds[0].Name != "export" || feeds[1].Name != "plain" {
		t.Fatalf("tenant feeds %v", feeds)
	}
	if k := feeds[1].OutputKey(); k.Format != "versioned@1" || k.Variant == "" || k.Variant == feeds[0].OutputKey().Variant {
		t.Errorf("output key %+v", k)
	}
}

// TestRenderRecoversPanic checks that a panicking writer is an error, not a crash.
func TestRenderRecoversPanic(t *testing.T) {
	f := &publish.Feed{Tenant: "t", Name: "f", Writer: panicWriter{}}
	_, _, err := publish.Render(f, inventory.NewSnapshot("t", nil, time.Unix(0, 0), "test"))
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("err = %v, want a panic turned into an error", err)
	}
}

type panicWriter struct{ versionedWriter }

func (panicWriter) Write(io.Writer, transform.Input) (transform.Diagnostics, error) { panic("bug") }

// excludingWriter lists the first keep vehicles and excludes the rest, as a channel does when a
// dealer setting is missing.
type excludingWriter struct {
	versionedWriter
	keep *int
}

func (w excludingWriter) Write(out io.Writer, in transform.Input) (transform.Diagnostics, error) {
	var d transform.Diagnostics
	for i, v := range in.Snapshot.Vehicles {
		if i < *w.keep {
			_, _ = io.WriteString(out, v.VIN+"\n")
			d.Included++
			continue
		}
		d.Excluded = append(d.Excluded, transform.Exclusion{VIN: v.VIN, Reason: "missing_field", Detail: "dealer.store_code: missing"})
	}
	return d, nil
}

// countingSyncer answers n vehicles and a new version each time n changes.
type countingSyncer struct{ n *int }

func (s countingSyncer) Sync(_ context.Context, tenant string, _ *inventory.Snapshot) (*inventory.Snapshot, error) {
	return inventory.NewSnapshot(tenant, hriznsim.Generate(3, *s.n), time.Now(), "test"), nil
}

// TestCollapsedFeedIsHeldBack: a render that includes nothing while the channel excluded
// vehicles is never served as an empty 200 (503 saying why), and one far smaller than the feed's
// previous good render is held back while the previous output keeps serving, marked stale.
func TestCollapsedFeedIsHeldBack(t *testing.T) {
	keep, n := 0, 12
	w := excludingWriter{versionedWriter{version: "1"}, &keep}
	reg := registry(t, w)
	c, err := cache.New(cache.Options{FreshFor: time.Hour}, nil, nil, countingSyncer{&n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	p := publish.NewPublisher(c, publish.PublisherOptions{ShrinkGuard: 0.5})
	set, err := p.Build(parse(t, reg), reg)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := set.Feed("sunset", "plain")
	ctx := context.Background()

	_, err = p.Output(ctx, f)
	if inventory.ErrorCode(err) != inventory.EUnavailable || !strings.Contains(inventory.ErrorMessage(err), "store_code") {
		t.Fatalf("an all-excluded feed: err %v, want 503 naming the cause", err)
	}
	if h := p.Held(); len(h) != 1 || h[0].Feed != "plain" {
		t.Errorf("held %+v", h)
	}

	keep = 12 // the dealer fixed the config: a fresh version renders and is good
	n = 13
	if _, err := c.Refresh(ctx, "sunset"); err != nil {
		t.Fatal(err)
	}
	good, err := p.Output(ctx, f)
	if err != nil || strings.Count(string(good.Output.Body), "\n") != 12 {
		t.Fatalf("good render: %v, %q", err, good.Output.Body)
	}
	keep, n = 3, 14 // a glitch: 3 of 14 listed
	if _, err := c.Refresh(ctx, "sunset"); err != nil {
		t.Fatal(err)
	}
	sv, err := p.Output(ctx, f)
	if err != nil || string(sv.Output.Body) != string(good.Output.Body) || sv.Result.Outcome != cache.Stale {
		t.Fatalf("collapsed render: err %v, outcome %v, body %q; want the previous output, stale", err, sv.Result.Outcome, sv.Output.Body)
	}
	// The held render is remembered for its version: the next fetch serves the previous output
	// again, and Held names the one feed with the reason, once.
	again, err := p.Output(ctx, f)
	if err != nil || again.Output != sv.Output || again.Result.Outcome != cache.Stale {
		t.Fatalf("second fetch of the held version: err %v, outcome %v; want the previous output, stale", err, again.Result.Outcome)
	}
	if h := p.Held(); len(h) != 1 || h[0].Feed != "plain" || !strings.Contains(h[0].Reason, "shrink from 12 to 3") {
		t.Errorf("held %+v", h)
	}

	// A reload that removes the feed forgets its held render (and its last good output).
	cfg := parse(t, reg)
	ten, _ := cfg.Tenant("sunset")
	ten.Feeds = slices.DeleteFunc(ten.Feeds, func(f config.Feed) bool { return f.Name == "plain" })
	if _, err := p.Build(cfg, reg); err != nil {
		t.Fatal(err)
	}
	if h := p.Held(); len(h) != 0 {
		t.Errorf("held after the feed was removed: %+v", h)
	}
}
