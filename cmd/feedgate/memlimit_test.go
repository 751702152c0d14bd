package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/config"
)

// cgroupDir is a fake cgroup file system root holding the given files.
func cgroupDir(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestChooseMemoryLimit(t *testing.T) {
	const mib = int64(1) << 20
	v1 := filepath.Join("memory", "memory.limit_in_bytes")
	tests := []struct {
		name    string
		env     string
		files   map[string]string
		mb      int
		want    memoryLimit
		wantErr bool
	}{
		{name: "GOMEMLIMIT wins over a container", env: "200MiB", files: map[string]string{"memory.max": "536870912\n"},
			mb: 64, want: memoryLimit{source: "GOMEMLIMIT"}},
		{name: "cgroup v2", files: map[string]string{"memory.max": "536870912\n", v1: "1073741824\n"},
			mb: 64, want: memoryLimit{bytes: 512 * mib / 100 * 85, source: "cgroup v2", container: 512 * mib}},
		{name: "cgroup v2 without a limit falls to v1", files: map[string]string{"memory.max": "max\n", v1: "357564416\n"},
			mb: 64, want: memoryLimit{bytes: 341 * mib / 100 * 85, source: "cgroup v1", container: 341 * mib}},
		{name: "cgroup v1 unlimited", files: map[string]string{v1: "9223372036854771712\n"},
			mb: 64, want: memoryLimit{bytes: (2*64 + 256) * mib, source: "cache.memory_mb"}},
		{name: "no cgroup files", mb: 32, want: memoryLimit{bytes: (2*32 + 256) * mib, source: "cache.memory_mb"}},
		{name: "no memory_mb means its default", want: memoryLimit{bytes: (2*256 + 256) * mib, source: "cache.memory_mb"}},
		{name: "a malformed file is reported and ignored", files: map[string]string{"memory.max": "lots\n"},
			mb: 64, want: memoryLimit{bytes: (2*64 + 256) * mib, source: "cache.memory_mb"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseMemoryLimit(tt.env, cgroupDir(t, tt.files), tt.mb)
			if got != tt.want {
				t.Errorf("chooseMemoryLimit = %+v, want %+v", got, tt.want)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestApplyMemoryLimitSetsTheRuntimeLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	root := cgroupDir(t, map[string]string{"memory.max": "400000000\n"})
	want := int64(400000000 / 100 * 85)
	if got := applyMemoryLimit("", root, 64, log); got != want {
		t.Errorf("applyMemoryLimit = %d, want %d", got, want)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("runtime limit = %d, want %d", got, want)
	}
	if !strings.Contains(logs.String(), `"source":"cgroup v2"`) || !strings.Contains(logs.String(), `"container_mib":381`) {
		t.Errorf("log does not name the limit's source and container: %s", logs.String())
	}

	// With GOMEMLIMIT the runtime's own limit stays as it is.
	debug.SetMemoryLimit(123 << 20)
	if got := applyMemoryLimit("123MiB", root, 64, log); got != 123<<20 {
		t.Errorf("with GOMEMLIMIT applyMemoryLimit = %d, want the runtime's %d", got, 123<<20)
	}
}

// TestSetMemoryLimitLogsIt runs the wiring's entry point on this machine: whatever the rule
// picks here, a limit is in force afterwards and the log says which.
func TestSetMemoryLimitLogsIt(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	var logs bytes.Buffer
	cfg := &config.Config{}
	cfg.Cache.MemoryMB = 64
	setMemoryLimit(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if !strings.Contains(logs.String(), `"msg":"memory limit"`) || !strings.Contains(logs.String(), `"source":`) {
		t.Errorf("no memory limit log line: %s", logs.String())
	}
}

// TestSetGCFloorLogsIt: the start-up line says whether the floor is on, and that GOGC turned it
// off (docs/operations.md, "The heap floor").
func TestSetGCFloorLogsIt(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct{ gogc, want string }{
		{"", `"msg":"gc heap floor","floor_mib":16}`},
		{"150", `"msg":"gc heap floor","floor_mib":"off","source":"GOGC"}`},
	} {
		t.Setenv("GOGC", c.gogc)
		var logs bytes.Buffer
		f := setGCFloor(slog.New(slog.NewJSONHandler(&logs, nil)))
		if (f != nil) != (c.gogc == "") {
			t.Errorf("GOGC=%q: floor running %v", c.gogc, f != nil)
		}
		if f != nil {
			f.stop()
		}
		if !strings.Contains(logs.String(), c.want) {
			t.Errorf("GOGC=%q: log %s, want %s", c.gogc, logs.String(), c.want)
		}
	}
}

// TestGCFloorRaisesGOGCWhileTheHeapIsSmall: with GOGC unset, after a collection of this test
// binary's small heap GOGC is above 100 and the next heap goal is about the floor; GOGC set
// leaves it alone.
func TestGCFloorRaisesGOGCWhileTheHeapIsSmall(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if applyGCFloor("200", gcHeapFloor) != nil {
		t.Fatal("GOGC=200 set, yet the floor is on")
	}
	runtime.GC()
	runtime.GC()
	if got := gcMetric(t, "/gc/gogc:percent"); got != 100 {
		t.Fatalf("GOGC set: GOGC became %d, want it left at 100", got)
	}

	// A floor well over this test binary's heap, whatever other tests left in it.
	floor := gcHeapFloor + 4*gcMetric(t, "/gc/heap/live:bytes")
	f := applyGCFloor("", floor)
	if f == nil {
		t.Fatal("GOGC unset, yet the floor is off")
	}
	defer f.stop()
	// The floor is set from a finalizer after each cycle, on the finalizer goroutine: collect
	// until it has run (once is enough; the rest is patience on a loaded machine).
	for range 100 {
		runtime.GC()
		if gcMetric(t, "/gc/gogc:percent") > 100 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := gcMetric(t, "/gc/gogc:percent")
	if got <= 100 {
		t.Fatalf("GOGC is %d, want it raised towards the %d MiB floor", got, floor>>20)
	}
	goal := gcMetric(t, "/gc/heap/goal:bytes")
	if goal < floor/2 || goal > 2*floor {
		t.Errorf("GOGC %d puts the heap goal at %d MiB, want about the %d MiB floor", got, goal>>20, floor>>20)
	}
}

func gcMetric(t *testing.T, name string) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		t.Fatalf("runtime/metrics has no %s", name)
	}
	return s[0].Value.Uint64()
}

func TestFloorPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, scan, floor uint64
		want              int
	}{
		{3 * mib, 3 * mib, 64 * mib, 1600},    // the runtime's minimum goal, 4 MiB × 16, is the floor
		{3 * mib, 4 * mib, 64 * mib, 1525},    // the goal is the floor; stacks and globals count
		{8 * mib, 8 * mib, 64 * mib, 700},     // the goal is the floor
		{32 * mib, 32 * mib, 64 * mib, 100},   // GOGC 100 reaches the floor
		{700 * mib, 700 * mib, 64 * mib, 100}, // a big heap keeps GOGC=100, never less
		{0, 0, 64 * mib, 1600},                // an empty heap: the minimum goal is the floor
		// The shipped floor (16 MiB): GOGC never above 400, and 100 from a live heap of 8 MiB on,
		// as memlimit.go and docs/operations.md say.
		{0, 0, gcHeapFloor, 400},
		{3 * mib, 3 * mib, gcHeapFloor, 400},
		{4 * mib, 4 * mib, gcHeapFloor, 300},
		{8 * mib, 8 * mib, gcHeapFloor, 100},
	} {
		if got := floorPercent(c.live, c.scan, c.floor); got != c.want {
			t.Errorf("floorPercent(%d, %d, %d MiB) = %d, want %d", c.live/mib, c.scan/mib, c.floor/mib, got, c.want)
		}
	}
}
