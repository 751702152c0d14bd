package main

import (
	"fmt"
	"strings"
)

// goBenchRow is one `go test -bench` result (bench/cmd/gobench).
type goBenchRow struct {
	Name       string             `json:"name"`
	Procs      int                `json:"procs"`
	Iterations int64              `json:"iterations"`
	Metrics    map[string]float64 `json:"metrics"`
}

// Issue 14: a template channel at most 2× the per-vehicle cost of its closest built-in writer.
const targetTemplate = 2.0

func writeTemplate(b *strings.Builder, rows []goBenchRow) {
	if !heading(b, "6. Template channels vs built-in writers", len(rows) > 0) {
		return
	}
	// Pairs in first-seen order, each with its runs (-count).
	type pair struct{ template, builtin string }
	var order []pair
	runs := map[pair][]goBenchRow{}
	for _, r := range rows {
		parts := strings.Split(r.Name, "/") // TemplateVsBuiltin/<template>/vs=<builtin>
		if len(parts) != 3 {
			continue
		}
		p := pair{parts[1], strings.TrimPrefix(parts[2], "vs=")}
		if runs[p] == nil {
			order = append(order, p)
		}
		runs[p] = append(runs[p], r)
	}
	b.WriteString("`go test ./transform -run '^$' -bench TemplateVsBuiltin` (`transform/template_bench_test.go`):\n" +
		"each template channel and its closest built-in writer render the same 10,000 simulated vehicles\n" +
		"by turns in one loop, so a busy machine slows both alike. Cells are the process's CPU time per\n" +
		"vehicle (wall time per vehicle in brackets), the mean over the runs; the ratio is template over\n" +
		fmt.Sprintf("built-in CPU time (target ≤ %.0f×; ✗ marks a ratio over it).\n\n", targetTemplate))
	b.WriteString("| template channel | closest built-in | template µs / vehicle | built-in µs / vehicle | ratio | wall ratio | runs × iterations |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
	met := 0
	for _, p := range order {
		rs := runs[p]
		tplCPU, binCPU := meanMetric(rs, "tpl-cpu-ns/vehicle"), meanMetric(rs, "builtin-cpu-ns/vehicle")
		tplWall, binWall := meanMetric(rs, "tpl-ns/vehicle"), meanMetric(rs, "builtin-ns/vehicle")
		ratioCell, wallCell := "—", "—"
		if binCPU > 0 {
			r := tplCPU / binCPU
			ratioCell = fmt.Sprintf("%.2f×", r)
			if r > targetTemplate {
				ratioCell += " ✗"
			} else {
				met++
			}
		}
		if binWall > 0 {
			wallCell = fmt.Sprintf("%.2f×", tplWall/binWall)
		}
		fmt.Fprintf(b, "| %s | %s | %.1f (%.1f) | %.1f (%.1f) | %s | %s | %d × %d |\n", p.template, p.builtin,
			tplCPU/1000, tplWall/1000, binCPU/1000, binWall/1000, ratioCell, wallCell, len(rs), rs[0].Iterations)
	}
	fmt.Fprintf(b, "\nTemplate channels are within %.0f× their closest built-in in %d of %d pairs.\n\n", targetTemplate, met, len(order))
}

// meanMetric is the mean of one metric over the runs that reported it (0 when none did).
func meanMetric(rs []goBenchRow, unit string) float64 {
	var sum float64
	n := 0
	for _, r := range rs {
		if v, ok := r.Metrics[unit]; ok {
			sum += v
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
