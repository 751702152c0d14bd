package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"

	"github.com/feedgate/feedgate/config"
)

// The soft memory limit's rule (docs/operations.md, "Sizing memory"):
//
//  1. GOMEMLIMIT set: the Go runtime already applied it; feedgate leaves it alone.
//  2. Else a container memory limit (cgroup v2 memory.max, else cgroup v1
//     memory/memory.limit_in_bytes): containerLimitPercent of it, so that the collector works
//     harder before the kernel's OOM killer is near, leaving room for what the Go runtime does not
//     count (thread stacks of the OS, the binary's mapped text, page tables).
//  3. Else derived from cache.memory_mb: the output budget twice (a freshly rendered output
//     keeps up to about twice its length allocated until it is evicted or read back from Redis),
//     plus derivedBaseMiB for the snapshots (about 170,000 compacted vehicles) and the runtime.
const (
	containerLimitPercent = 85
	derivedBaseMiB        = 256
	// cgroupUnlimited: cgroup v1 writes "no limit" as the largest page-aligned int64; anything this
	// large is no limit.
	cgroupUnlimited = int64(1) << 60
)

// memoryLimit is a chosen soft limit and where it came from.
type memoryLimit struct {
	// bytes is the limit to set; 0 leaves the runtime's (GOMEMLIMIT).
	bytes int64
	// source is "GOMEMLIMIT", "cgroup v2", "cgroup v1" or "cache.memory_mb".
	source string
	// container is the container's hard limit, 0 when none was found.
	container int64
}

// setMemoryLimit gives the Go runtime a soft memory limit (runtime/debug.SetMemoryLimit) by the
// rule above, from GOMEMLIMIT, the container's cgroup or cfg.Cache.MemoryMB, and logs the limit
// and its source. Call it once at start, before the caches fill.
func setMemoryLimit(cfg *config.Config, log *slog.Logger) {
	applyMemoryLimit(os.Getenv("GOMEMLIMIT"), "/sys/fs/cgroup", cfg.Cache.MemoryMB, log)
}

// applyMemoryLimit is setMemoryLimit with the environment variable and the cgroup file system's
// root given, and returns the limit in force.
func applyMemoryLimit(env, cgroupRoot string, memoryMB int, log *slog.Logger) int64 {
	l, err := chooseMemoryLimit(env, cgroupRoot, memoryMB)
	if err != nil {
		log.Warn("memory limit: the container's limit could not be read; using the configured rule", "err", err)
	}
	if l.bytes > 0 {
		debug.SetMemoryLimit(l.bytes)
	}
	limit := debug.SetMemoryLimit(-1)
	attrs := []any{"limit_mib", limit >> 20, "source", l.source}
	if limit == math.MaxInt64 {
		attrs[1] = "off"
	}
	if l.container > 0 {
		attrs = append(attrs, "container_mib", l.container>>20)
	}
	log.Info("memory limit", attrs...)
	return limit
}

// chooseMemoryLimit applies the rule. An unreadable or malformed cgroup file is reported and
// treated as no container limit.
func chooseMemoryLimit(env, cgroupRoot string, memoryMB int) (memoryLimit, error) {
	if strings.TrimSpace(env) != "" {
		return memoryLimit{source: "GOMEMLIMIT"}, nil
	}
	limit, source, err := containerMemoryLimit(cgroupRoot)
	if limit > 0 {
		return memoryLimit{bytes: limit / 100 * containerLimitPercent, source: source, container: limit}, nil
	}
	if memoryMB <= 0 {
		memoryMB = config.DefaultMemoryMB
	}
	return memoryLimit{bytes: (2*int64(memoryMB) + derivedBaseMiB) << 20, source: "cache.memory_mb"}, err
}

// containerMemoryLimit reads the cgroup v2 limit, else the v1 one: the limit in bytes and which
// version set it, or 0 when neither sets one.
func containerMemoryLimit(root string) (int64, string, error) {
	var errs []error
	for _, f := range []struct{ path, source string }{
		{"memory.max", "cgroup v2"},
		{filepath.Join("memory", "memory.limit_in_bytes"), "cgroup v1"},
	} {
		b, err := os.ReadFile(filepath.Join(root, f.path))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("feedgate: %s: %w", f.source, err))
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("feedgate: %s: %s holds %q, not a byte count", f.source, f.path, s))
			continue
		}
		if n >= cgroupUnlimited {
			continue
		}
		return n, f.source, nil
	}
	return 0, "", errors.Join(errs...)
}

// gcHeapFloor is the heap size below which the collector does not start a cycle (unless GOGC
// is set). A feed gateway's steady state is a small live heap (a 150-vehicle tenant: 3 MiB)
// and a stream of short-lived per-request garbage from net/http; with Go's default GOGC=100
// the collector ran 16 times a second under load there and took 3 µs of every 50 µs request
// (BENCHMARKS.md, "Garbage collection"). A floor of 16 MiB makes that about five times a
// second. It is not higher because the per-request garbage lands in memory the allocator has
// not touched since the last cycle: with a 64 MiB goal every request wrote into lines long
// gone from the caches, and a feed hit's round trip was 1–2% longer than with 16 MiB, whose
// arena stays within a server's last-level cache (bench/measured.md, "The heap floor's size").
// A live heap over 8 MiB keeps GOGC=100 exactly, and the soft memory limit above still makes
// the collector work harder near the limit, so the floor never risks the container.
const gcHeapFloor = 16 << 20

// setGCFloor keeps the heap goal at or above gcHeapFloor by raising GOGC while the live heap is
// small, unless the operator set GOGC, which then rules as usual. It logs what it did and
// returns the running floor (nil when off), which a test stops.
func setGCFloor(log *slog.Logger) *gcFloor {
	f := applyGCFloor(os.Getenv("GOGC"), gcHeapFloor)
	if f != nil {
		log.Info("gc heap floor", "floor_mib", gcHeapFloor>>20)
		return f
	}
	log.Info("gc heap floor", "floor_mib", "off", "source", "GOGC")
	return nil
}

// applyGCFloor is setGCFloor with GOGC's value given: the running floor, or nil when GOGC is set.
func applyGCFloor(gogc string, floor uint64) *gcFloor {
	if strings.TrimSpace(gogc) != "" {
		return nil
	}
	f := &gcFloor{floor: floor, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	f.arm()
	return f
}

// gcFloor sets GOGC after every collection so that the next heap goal is the floor, and never
// under 100. The runtime's goal is live + (live + stacks + globals) × GOGC/100, with live the
// bytes the cycle marked: all three are its own counts (runtime/metrics). Written here rather than taken from
// github.com/bytedance/gopkg/util/gctuner, which reads MemStats.HeapInuse from the same hook:
// right after a cycle that still counts the garbage not yet swept (12 MiB for a 3 MiB live heap
// under load here), so its goal landed at 13–16 MiB instead of 64, and ReadMemStats stops the
// world on every cycle.
type gcFloor struct {
	floor  uint64
	sample []metrics.Sample

	mu      sync.Mutex // held by tune and stop: once stop returns, no tune runs
	percent int        // last set
	stopped bool
}

// gcSentinel is garbage made for the collector to find: its finalizer runs once per cycle.
type gcSentinel struct{ f *gcFloor }

func (f *gcFloor) arm() {
	runtime.SetFinalizer(&gcSentinel{f}, func(s *gcSentinel) {
		if s.f.tune() {
			s.f.arm()
		}
	})
}

// tune sets GOGC for the live heap the last cycle found, and reports whether the floor still
// runs (false once stopped).
func (f *gcFloor) tune() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	metrics.Read(f.sample)
	var v [3]uint64
	for i, s := range f.sample {
		if s.Value.Kind() != metrics.KindUint64 {
			return true
		}
		v[i] = s.Value.Uint64()
	}
	if p := floorPercent(v[0], v[0]+v[1]+v[2], f.floor); p != f.percent {
		f.percent = p
		debug.SetGCPercent(p)
	}
	return true
}

// stop leaves GOGC as it is and tunes no more: when it returns, no tune is running or will run.
func (f *gcFloor) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
}

// floorPercent is the GOGC that puts the heap goal at floor for a live heap and the bytes the
// collector scans (the live heap, stacks and globals): 100 once that goal is no higher than
// GOGC=100's. The runtime never sets a goal under its heap minimum, 4 MiB × GOGC/100, so GOGC
// stays at or under floor / 4 MiB × 100 (400 for 16 MiB): a tiny heap's goal is the floor too.
func floorPercent(live, scan, floor uint64) int {
	const heapMinimum = 4 << 20 // the runtime's at GOGC=100
	scan = max(scan, live, 1)
	if live+scan >= floor {
		return 100
	}
	return int(min((floor-live)*100/scan, floor*100/heapMinimum))
}
