package cache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/klauspost/compress/gzip"
)

// renderer counts renders and renders the snapshot's version into the body.
type renderer struct{ calls atomic.Int32 }

func (r *renderer) for_(snap *inventory.Snapshot) func() (Rendered, error) {
	return func() (Rendered, error) {
		r.calls.Add(1)
		return Rendered{
			Body:        []byte("<feed version=\"" + snap.Version + "\">" + string(bytes.Repeat([]byte("x"), 2000)) + "</feed>"),
			ContentType: "application/xml",
			Meta:        []byte(`{"skipped":1}`),
		}, nil
	}
}

func TestOutputsKeyedBySnapshotVersion(t *testing.T) {
	r := startRedis(t, true)
	clk, s, a := setup(t, r, 10)
	b := newTestCache(t, testOptions(clk), r, s)
	key := OutputKey{Tenant: "t1", Feed: "google", Format: "google-vehicle-ads@1"}
	ctx := context.Background()
	var rd renderer

	v1, _ := mustSnapshot(t, a, "t1")
	var wg sync.WaitGroup
	outs := make([]*Rendered, 100)
	for i := range outs {
		wg.Go(func() {
			out, _, err := a.Output(ctx, key, v1, rd.for_(v1))
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		})
	}
	wg.Wait()
	if rd.calls.Load() != 1 {
		t.Fatalf("renders for 100 concurrent requests = %d, want 1", rd.calls.Load())
	}
	out := outs[0]
	if out.ETag != StrongETag(out.Body) || !out.ModifiedAt.Equal(v1.ModifiedAt) || string(out.Meta) != `{"skipped":1}` {
		t.Fatalf("stored output: etag %s modified %v meta %s", out.ETag, out.ModifiedAt, out.Meta)
	}
	zr, err := gzip.NewReader(bytes.NewReader(out.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, out.Body) {
		t.Fatal("gzip bytes do not decompress to the body")
	}

	if got, res, _ := a.Output(ctx, key, v1, rd.for_(v1)); got != out || res.Outcome != Hit || res.Layer != LayerMemory {
		t.Fatalf("second read: %v, want the same output from memory", res)
	}
	// The other replica finds it in Redis, byte for byte, without rendering.
	got, res, err := b.Output(ctx, key, v1, rd.for_(v1))
	if err != nil || res.Layer != LayerRedis || rd.calls.Load() != 1 {
		t.Fatalf("replica b: %v %v renders=%d", res, err, rd.calls.Load())
	}
	if !bytes.Equal(got.Body, out.Body) || !bytes.Equal(got.Gzip, out.Gzip) || got.ETag != out.ETag ||
		got.ContentType != out.ContentType || !got.ModifiedAt.Equal(out.ModifiedAt) || !bytes.Equal(got.Meta, out.Meta) {
		t.Fatal("output read from Redis differs from the stored one")
	}

	// A new snapshot version is a new key: rendered again, with another ETag.
	s.set(func(s *script) { s.price = 99999 })
	v2, err := a.Refresh(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	out2, res, _ := a.Output(ctx, key, v2, rd.for_(v2))
	if rd.calls.Load() != 2 || res.Layer != LayerOrigin || out2.ETag == out.ETag {
		t.Fatalf("new version: renders=%d layer=%v", rd.calls.Load(), res.Layer)
	}

	boom := errors.New("template failed")
	if _, _, err := a.Output(ctx, OutputKey{Tenant: "t1", Feed: "bad"}, v2, func() (Rendered, error) { return Rendered{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("render error: %v", err)
	}
	if _, _, err := a.Output(ctx, OutputKey{Tenant: "t1", Feed: "panic"}, v2, func() (Rendered, error) { panic("bug") }); err == nil {
		t.Fatal("a panicking render returned no error")
	}
}

// A caller that missed L1 just before the flight it would have joined ended starts a flight of
// its own; that flight must take the output the first one stored, not read Redis again and
// replace L1's entry with a copy (which made concurrent callers see two different outputs).
func TestALateFlightTakesTheStoredOutput(t *testing.T) {
	r := startRedis(t, true)
	_, _, a := setup(t, r, 10)
	key := OutputKey{Tenant: "t1", Feed: "google", Format: "google-vehicle-ads@1"}
	var rd renderer
	v1, _ := mustSnapshot(t, a, "t1")
	first, _, err := a.Output(context.Background(), key, v1, rd.for_(v1))
	if err != nil {
		t.Fatal(err)
	}
	var buf [192]byte
	l1Key := string(appendOutputKey(buf[:0], key, v1.Version))
	before := a.Counters().OutputHitsRedis
	lr, err := a.loadOutput(l1Key, key, v1, rd.for_(v1))
	if err != nil {
		t.Fatal(err)
	}
	if lr.out != first || lr.layer != LayerMemory || rd.calls.Load() != 1 || a.Counters().OutputHitsRedis != before {
		t.Fatalf("late flight: same output %v, layer %v, renders %d, Redis reads %d", lr.out == first, lr.layer, rd.calls.Load(), a.Counters().OutputHitsRedis-before)
	}
}

func TestOutputCodecRoundTrip(t *testing.T) {
	tests := []Rendered{
		{},
		{Body: []byte("a,b\n"), Gzip: []byte{1, 2}, ETag: `"x"`, ContentType: "text/csv", Meta: []byte("m")},
		{Body: bytes.Repeat([]byte{0, 255}, 5000), ETag: `"e"`},
	}
	for i, in := range tests {
		got, err := decodeOutput(encodeOutput(&in))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !bytes.Equal(got.Body, in.Body) || !bytes.Equal(got.Gzip, in.Gzip) || !bytes.Equal(got.Meta, in.Meta) ||
			got.ETag != in.ETag || got.ContentType != in.ContentType {
			t.Fatalf("case %d: round trip changed the output", i)
		}
	}
	for _, bad := range [][]byte{nil, {'O'}, {'O', 9}, {'O', 1, 0, 200}} {
		if _, err := decodeOutput(bad); err == nil {
			t.Fatalf("decodeOutput(%v) accepted garbage", bad)
		}
	}
}

func TestSnapshotCodecRoundTrip(t *testing.T) {
	cd, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	defer cd.close()
	clk := newClock()
	in := inventory.NewSnapshot("t1", vehicles(300, 1), clk.Now(), "full")
	b, err := cd.encodeSnapshot(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cd.decodeSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != in.Version || !out.FetchedAt.Equal(in.FetchedAt) || out.Len() != 300 ||
		inventory.ContentVersion(out.Vehicles) != in.Version {
		t.Fatal("snapshot round trip changed the content")
	}
	if _, err := cd.decodeSnapshot([]byte("{}")); err == nil {
		t.Fatal("decodeSnapshot accepted an unknown format")
	}
}

func TestHitPathDoesNotAllocate(t *testing.T) {
	clk := newClock()
	c := newTestCache(t, testOptions(clk), nil, newScript(clk, 100))
	ctx := context.Background()
	snap, _ := mustSnapshot(t, c, "t1")
	key := OutputKey{Tenant: "t1", Feed: "google", Format: "google-vehicle-ads@1"}
	var rd renderer
	if _, _, err := c.Output(ctx, key, snap, rd.for_(snap)); err != nil {
		t.Fatal(err)
	}
	render := rd.for_(snap)
	allocs := testing.AllocsPerRun(200, func() {
		s, _, _ := c.Snapshot(ctx, "t1")
		_, _, _ = c.Output(ctx, key, s, render)
	})
	if allocs != 0 {
		t.Fatalf("warm hit path allocates %.1f times per request, want 0", allocs)
	}
}

// TestL1RunsOnTheCachesClock: an L1 handed to New without the cache's clock still expires a
// stored output by it (the hit path measures L1 expiry with the cache's clock reading): past
// ServeStaleFor on the cache's clock the output is no longer a hit.
func TestL1RunsOnTheCachesClock(t *testing.T) {
	clk := newClock() // months away from the wall clock NewMemory would default to
	opts := testOptions(clk)
	c, err := New(opts, NewMemory(MemoryOptions{}), nil, newScript(clk, 3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	snap, _ := mustSnapshot(t, c, "t1")
	key := OutputKey{Tenant: "t1", Feed: "f", Format: "csv@1"}
	var rd renderer
	if _, _, err := c.Output(context.Background(), key, snap, rd.for_(snap)); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.CachedOutput(key, snap); !ok {
		t.Fatal("the output just stored is not a hit")
	}
	clk.Advance(opts.ServeStaleFor + time.Second)
	if _, _, ok := c.CachedOutput(key, snap); ok {
		t.Fatal("the output is still a hit past ServeStaleFor on the cache's clock")
	}
}
