// Command memsize measures the resident memory of a gateway process holding many tenants: the
// snapshot and output cache (cache.Cache) over a real Redis, with each tenant's feeds rendered
// and stored there, as docs/operations.md sizes it.
//
// Run it twice against one empty Redis. --phase fill plays the replica that synced every tenant
// (hriznsim inventories, decoded from JSON as the upstream client decodes them) and rendered every
// feed: its L1 holds freshly rendered outputs. --phase serve is a fresh replica, or the same one
// after a restart, with every feed warm in Redis: it reads every tenant's snapshot and every feed
// once (from Redis into its bounded L1; its syncer refuses, so nothing is rendered), then reports.
// Either phase prints one JSON line: live heap after a GC, the runtime's view, and the process's
// resident set (now and at its peak) from /proc/self/status.
//
//	memsize --redis 127.0.0.1:6379 --phase fill
//	GOMEMLIMIT=270MiB memsize --redis 127.0.0.1:6379 --phase serve
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/feedgate/feedgate/bench/internal/cli"
	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// result is the report line.
type result struct {
	Phase     string  `json:"phase"`
	Tenants   int     `json:"tenants"`
	Vehicles  int     `json:"vehicles_per_tenant"`
	Feeds     int     `json:"feeds_per_tenant"`
	MemoryMB  int     `json:"memory_mb"`
	Compact   bool    `json:"compact_synced"`
	LimitMiB  int64   `json:"memory_limit_mib"`
	L1Entries int     `json:"l1_entries"`
	L1MiB     float64 `json:"l1_mib"`
	// LiveMiB is the heap in use after a full collection.
	LiveMiB float64 `json:"live_heap_mib"`
	// LivePerVehicle is LiveMiB over every tenant's vehicles, the L1 included.
	LivePerVehicle float64 `json:"live_bytes_per_vehicle"`
	// RuntimeMiB is what the Go runtime holds from the OS (Sys minus HeapReleased).
	RuntimeMiB float64 `json:"runtime_mib"`
	RSSMiB     float64 `json:"rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	Seconds    float64 `json:"seconds"`
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("memsize", flag.ContinueOnError)
	addr := fs.String("redis", "", "the Redis `host:port` (required; use an empty one)")
	phase := fs.String("phase", "fill", "fill (sync and render every tenant) or serve (read everything back from Redis)")
	tenants := fs.Int("tenants", 500, "tenants")
	vehicles := fs.Int("vehicles", 150, "vehicles per tenant")
	formats := fs.String("formats", "google-vehicle-ads,meta-automotive,csv", "the feeds of every tenant, comma-separated formats")
	memoryMB := fs.Int("memory-mb", 64, "the L1 output budget, as cache.memory_mb")
	compact := fs.Bool("compact", true, "compact synced snapshots (inventory.Compact), as the sync path does")
	profile := fs.String("profile", hriznsim.ProfileRealistic, "the hriznsim inventory profile")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" || (*phase != "fill" && *phase != "serve") {
		return errors.New("memsize: --redis is required and --phase is fill or serve")
	}
	writers, err := lookup(*formats)
	if err != nil {
		return err
	}
	rc := redis.NewClient(&redis.Options{Addr: *addr})
	defer func() { _ = rc.Close() }()

	fill := *phase == "fill"
	syncer := cache.SyncFunc(func(_ context.Context, tenant string, _ *inventory.Snapshot) (*inventory.Snapshot, error) {
		if !fill {
			return nil, errors.New("memsize: the serve phase reads from Redis only")
		}
		return synced(tenant, *profile, *vehicles, *compact)
	})
	l1 := cache.NewMemory(cache.MemoryOptions{MaxBytes: int64(*memoryMB) << 20})
	c, err := cache.New(cache.Options{FreshFor: time.Hour, ServeStaleFor: 2 * time.Hour},
		l1, cache.NewRedis(rc, cache.RedisOptions{Prefix: "memsize:"}), syncer)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()

	start := time.Now()
	ctx := context.Background()
	for i := range *tenants {
		tenant := "t" + strconv.Itoa(i)
		snap, _, err := c.Snapshot(ctx, tenant)
		if err != nil {
			return fmt.Errorf("memsize: %s: %w", tenant, err)
		}
		for _, w := range writers {
			key := cache.OutputKey{Tenant: tenant, Feed: w.Name(), Format: w.Name() + "@1", Variant: "memsize"}
			if _, _, err := c.Output(ctx, key, snap, renderer(w, snap, fill)); err != nil {
				return fmt.Errorf("memsize: %s/%s: %w", tenant, w.Name(), err)
			}
		}
	}
	r := result{Phase: *phase, Tenants: *tenants, Vehicles: *vehicles, Feeds: len(writers), MemoryMB: *memoryMB,
		Compact: *compact, LimitMiB: debug.SetMemoryLimit(-1) >> 20, Seconds: time.Since(start).Seconds()}
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	st := l1.Stats()
	r.L1Entries, r.L1MiB = st.Entries, mib(uint64(st.Bytes))
	r.LiveMiB = mib(m.HeapAlloc)
	r.LivePerVehicle = float64(m.HeapAlloc) / float64(*tenants**vehicles)
	r.RuntimeMiB = mib(m.Sys - m.HeapReleased)
	rss, peak, err := residentSet()
	if err != nil {
		return err
	}
	r.RSSMiB, r.PeakRSSMiB = mib(rss), mib(peak)
	return json.NewEncoder(stdout).Encode(r)
}

// synced is a tenant's inventory as a sync builds it: decoded from the upstream's JSON.
func synced(tenant, profile string, n int, compact bool) (*inventory.Snapshot, error) {
	seed, _ := strconv.Atoi(strings.TrimPrefix(tenant, "t"))
	vs, err := hriznsim.GenerateProfile(profile, int64(seed+1), n)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(vs)
	if err != nil {
		return nil, err
	}
	var decoded []inventory.Vehicle
	if err := json.Unmarshal(js, &decoded); err != nil {
		return nil, err
	}
	snap := inventory.NewSnapshot(tenant, decoded, time.Now(), "feed")
	if compact {
		inventory.Compact(snap)
	}
	return snap, nil
}

// renderer renders w over snap into a buffer, as publish.Render does; in the serve phase a
// render is a failure: every output must come from Redis.
func renderer(w transform.Writer, snap *inventory.Snapshot, allowed bool) func() (cache.Rendered, error) {
	return func() (cache.Rendered, error) {
		if !allowed {
			return cache.Rendered{}, errors.New("memsize: an output is missing from Redis")
		}
		var buf bytes.Buffer
		if _, err := w.Write(&buf, transform.Input{Snapshot: snap}); err != nil {
			return cache.Rendered{}, err
		}
		return cache.Rendered{Body: buf.Bytes(), ContentType: w.ContentType(), ModifiedAt: snap.ModifiedAt}, nil
	}
}

// lookup finds the named formats among the built-ins and the embedded templates.
func lookup(names string) ([]transform.Writer, error) {
	reg, err := cli.Formats()
	if err != nil {
		return nil, fmt.Errorf("memsize: %w", err)
	}
	var ws []transform.Writer
	for _, n := range strings.Split(names, ",") {
		w, err := reg.Lookup(strings.TrimSpace(n))
		if err != nil {
			return nil, fmt.Errorf("memsize: %w", err)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// residentSet is the process's resident set size now and at its peak (VmRSS, VmHWM).
func residentSet() (rss, peak uint64, err error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("memsize: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
