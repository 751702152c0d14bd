// Command growth measures how rendering grows with the inventory: for each inventory size and
// each registered format (built-ins and the embedded template channels) it reports render time, output size (plain and gzip), the peak memory of
// a process that holds the snapshot and renders it, and the heap one cached vehicle costs.
//
// Each (size, format) runs in a child process of this same binary, so that one measurement's
// garbage never inflates the next one's peak: the parent reads the child's result line and its
// maximum resident set size from the kernel. Results are JSON lines on stdout, one per
// measurement, for bench/cmd/report.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/feedgate/feedgate/bench/internal/cli"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// result is one measurement, a line of the report's growth table.
type result struct {
	Table    string `json:"table"`
	Format   string `json:"format"`
	Vehicles int    `json:"vehicles"`
	Included int    `json:"included"`
	// RenderMS is the median of the render repetitions, into a buffer as the gateway renders.
	RenderMS float64 `json:"render_ms"`
	GzipMS   float64 `json:"gzip_ms"`
	Bytes    int     `json:"bytes"`
	GzBytes  int     `json:"gz_bytes"`
	// SnapshotHeap is the live heap the snapshot holds, measured after a GC.
	SnapshotHeap uint64 `json:"snapshot_heap"`
	// RenderAlloc is how many bytes one render allocates (garbage included).
	RenderAlloc uint64 `json:"render_alloc"`
	// RenderAllocs is the number of heap allocations of one render.
	RenderAllocs uint64 `json:"render_allocs"`
	// MaxRSS is the child process's peak resident set size in bytes.
	MaxRSS int64 `json:"max_rss"`
	// Skipped says why a measurement was not made ("" when it was).
	Skipped string `json:"skipped,omitempty"`
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("growth", flag.ContinueOnError)
	sizes := fs.String("sizes", "1000,10000,100000", "comma-separated inventory sizes")
	formats := fs.String("formats", "", "comma-separated formats (default: every registered format)")
	reps := fs.Int("reps", 3, "render repetitions per measurement up to 10,000 vehicles (the median is reported; larger inventories render once)")
	budget := fs.Duration("budget", 0, "start no measurement after this long (0 = no limit); the rest are reported as skipped")
	child := fs.Bool("child", false, "internal: measure one size and format in this process")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ns, err := parseSizes(*sizes)
	if err != nil {
		return err
	}
	names := splitList(*formats)
	if len(names) == 0 {
		reg, err := cli.Formats()
		if err != nil {
			return err
		}
		names = reg.Names()
	}
	if *child {
		if len(ns) != 1 || len(names) != 1 {
			return errors.New("growth: -child measures exactly one size and one format")
		}
		r, err := measure(names[0], ns[0], *reps)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(r)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("growth: find own binary: %w", err)
	}
	enc := json.NewEncoder(stdout)
	start := time.Now()
	for _, n := range ns {
		for _, name := range names {
			r := result{Table: "growth", Format: name, Vehicles: n, Skipped: "time budget spent"}
			if *budget <= 0 || time.Since(start) < *budget {
				r, err = runChild(self, name, n, repsFor(n, *reps))
				if err != nil {
					return err
				}
			}
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("growth: write result: %w", err)
			}
		}
	}
	return nil
}

// repsFor is how many times to render n vehicles: a large inventory once, to keep the run short.
func repsFor(n, reps int) int {
	if n > 10000 {
		return 1
	}
	return reps
}

// runChild measures one size and format in a fresh process and adds its peak RSS.
func runChild(self, format string, n, reps int) (result, error) {
	cmd := exec.Command(self, "-child", "-formats", format, "-sizes", strconv.Itoa(n), "-reps", strconv.Itoa(reps))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("growth: %s at %d vehicles: %w", format, n, err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("growth: %s at %d vehicles: read result: %w", format, n, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss * 1024 // Linux reports kilobytes
	}
	return r, nil
}

// benchDealer is a complete dealer, so that no channel leaves a vehicle out for want of dealer
// facts; the bench's gateway configuration uses the same values.
func benchDealer() inventory.Dealer {
	lat, lon := 39.78, -89.65
	return inventory.Dealer{
		Name: "Bench Motors", Website: "https://bench.example",
		VDPURL: "https://bench.example/inventory/{vin}", Phone: "+1 217 555 0100",
		StoreCode: "BM-1",
		Address: inventory.Address{Street: "1 Main St", City: "Springfield", Region: "IL",
			PostalCode: "62701", Country: "US"},
		Latitude: &lat, Longitude: &lon,
	}
}

// measure renders n generated vehicles in one format in this process.
func measure(format string, n, reps int) (result, error) {
	reg, err := cli.Formats()
	if err != nil {
		return result{}, err
	}
	w, err := reg.Lookup(format)
	if err != nil {
		return result{}, fmt.Errorf("growth: %w", err)
	}
	base := heapInUse()
	snap := inventory.NewSnapshot("bench", hriznsim.Generate(1, n), hriznsim.BaseTime(), "feed")
	held := heapInUse() - base

	in := transform.Input{Snapshot: snap, Dealer: benchDealer()}
	r := result{Table: "growth", Format: format, Vehicles: n, SnapshotHeap: held}
	var renders, gzips []time.Duration
	var body []byte
	for i := 0; i < max(reps, 1); i++ {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var buf bytes.Buffer
		start := time.Now()
		d, err := w.Write(&buf, in)
		renders = append(renders, time.Since(start))
		if err != nil {
			return result{}, fmt.Errorf("growth: render %s: %w", format, err)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		r.RenderAlloc = after.TotalAlloc - before.TotalAlloc
		r.RenderAllocs = after.Mallocs - before.Mallocs
		r.Included = d.Included
		body = buf.Bytes()

		start = time.Now()
		gz, err := gzipped(body)
		gzips = append(gzips, time.Since(start))
		if err != nil {
			return result{}, err
		}
		r.GzBytes = len(gz)
	}
	r.Bytes = len(body)
	r.RenderMS = cli.Millis(median(renders))
	r.GzipMS = cli.Millis(median(gzips))
	runtime.KeepAlive(snap)
	return r, nil
}

// gzipped compresses body at the default level with the library the cache uses at store time.
func gzipped(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("growth: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("growth: gzip: %w", err)
	}
	return buf.Bytes(), nil
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func parseSizes(s string) ([]int, error) {
	var ns []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("growth: size %q is not a positive number", f)
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, errors.New("growth: no sizes")
	}
	return ns, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
