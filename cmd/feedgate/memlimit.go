package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

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
