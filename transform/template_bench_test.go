//go:build unix

package transform

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// BenchmarkTemplateVsBuiltin renders each template channel and its closest built-in writer by
// turns, on the same 10,000 simulated vehicles, and reports each side's time and the process
// CPU time per vehicle and their ratios. Taking turns inside one loop, and counting CPU time
// beside wall time, keeps a shared, busy machine from favouring either side, which separate
// BenchmarkWrite runs minutes apart cannot:
//
//	go test ./transform -run '^$' -bench TemplateVsBuiltin -benchtime 5x
func BenchmarkTemplateVsBuiltin(b *testing.B) {
	defined, err := LoadTemplates(templates.FS())
	if err != nil {
		b.Fatal(err)
	}
	byName := make(map[string]Writer)
	for _, w := range append(Builtins(), defined...) {
		byName[w.Name()] = w
	}
	const n = 10_000
	in := tplSampleInput()
	in.Options.Currency, in.Options.MileageUnit = "", ""
	in.Snapshot = inventory.NewSnapshot("bench", hriznsim.Generate(1, n), hriznsim.BaseTime(), "bench")
	for _, pair := range [][2]string{
		{"dealer-csv", "csv"},
		{"marketplace-xml", "google-vehicle-ads"},
		{"marketplace-xml", "google-vehicle-listings"},
		{"marketplace-xml", "meta-automotive"},
	} {
		b.Run(pair[0]+"/vs="+pair[1], func(b *testing.B) {
			var wall, cpu [2]time.Duration
			var buf bytes.Buffer
			for b.Loop() {
				for i, name := range pair {
					buf.Reset()
					c0, t0 := tplCPUTime(b), time.Now()
					if _, err := byName[name].Write(&buf, in); err != nil {
						b.Fatal(err)
					}
					wall[i] += time.Since(t0)
					cpu[i] += tplCPUTime(b) - c0
				}
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*n) }
			b.ReportMetric(per(wall[0]), "tpl-ns/vehicle")
			b.ReportMetric(per(wall[1]), "builtin-ns/vehicle")
			b.ReportMetric(per(cpu[0]), "tpl-cpu-ns/vehicle")
			b.ReportMetric(per(cpu[1]), "builtin-cpu-ns/vehicle")
			b.ReportMetric(float64(wall[0])/float64(wall[1]), "time-ratio")
			b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "cpu-ratio")
		})
	}
}

// tplCPUTime is the CPU time (user and system) the process has used so far.
func tplCPUTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
