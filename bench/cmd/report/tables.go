package main

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// hotRow is one wrk run: the bench script's labels plus wrk's own figures (bench/wrk/feed.lua).
type hotRow struct {
	Server       string `json:"server"`
	Vehicles     int    `json:"vehicles"`
	Encoding     string `json:"encoding"`
	Conns        int    `json:"conns"`
	Threads      int    `json:"threads"`
	Requests     int64  `json:"requests"`
	DurationUS   int64  `json:"duration_us"`
	Bytes        int64  `json:"bytes"`
	P50US        int64  `json:"p50_us"`
	P99US        int64  `json:"p99_us"`
	Errors       int64  `json:"errors"`
	StatusErrors int64  `json:"status_errors"`
	BodyBytes    int64  `json:"body_bytes"`
}

func (r hotRow) rps() float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

type hotKey struct {
	vehicles int
	encoding string
	conns    int
}

// Targets of issue 7: feedgate's requests/s as a share of each reference's.
const (
	targetNginx   = 0.9
	targetVarnish = 1.0
	// Issue 14: feedgate's requests/s as a share of a bare Gin handler's sending the same answer.
	targetBareGin = 0.9
)

func writeHot(b *strings.Builder, rows []hotRow, meta metaFlags) {
	if !heading(b, "1. Hot serving", len(rows) > 0) {
		return
	}
	fmt.Fprintf(b, "One cached feed in the `%s` format, fetched %s per row after a warm-up, with the feed key\n"+
		"sent by a wrk Lua script (`bench/wrk/feed.lua`) and `Accept-Encoding: gzip` on the gzip rows.\n"+
		"Every server sends the same bytes: nginx serves the file feedgate rendered (and its `.gz` with\n"+
		"`gzip_static`), Varnish caches nginx's answers, and *bare Gin* (`bench/cmd/baregin`) is a Gin\n"+
		"handler writing a copy of feedgate's answer, headers and body, with nothing else on its path: the\n"+
		"limit of feedgate's own stack. *feedgate* is the embedded default (memory cache,\n"+
		"in-process rate limiter); *feedgate + Redis* is the scale-out setup (Redis behind the in-process\n"+
		"layer, rate limits shared through Redis: decided in process, reported in batches). wrk uses\n"+
		"one thread at 1 connection and two above. Cells are\n"+
		"requests/s, then p50 / p99 latency; the ratio columns are the requests/s of feedgate (fg) and of\n"+
		"feedgate + Redis (fg+R) over bare Gin's (target ≥ %.1f), nginx's (target ≥ %.1f) and Varnish's\n"+
		"(target ≥ %.1f); ✗ marks a ratio under target. %s\n\n",
		or(meta.get("hot format"), "google-vehicle-ads"), or(meta.get("hot duration"), "for a few seconds"),
		targetBareGin, targetNginx, targetVarnish, roundsNote(meta.get("hot rounds")))
	runs := map[hotKey]map[string][]hotRow{}
	var keys []hotKey
	for _, r := range rows {
		k := hotKey{r.Vehicles, r.Encoding, r.Conns}
		if runs[k] == nil {
			runs[k] = map[string][]hotRow{}
			keys = append(keys, k)
		}
		runs[k][r.Server] = append(runs[k][r.Server], r)
	}
	by := map[hotKey]map[string]hotRow{}
	for k, servers := range runs {
		by[k] = map[string]hotRow{}
		for s, rs := range servers {
			by[k][s] = medianRun(rs)
		}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		if o := hotOrder(a.vehicles, a.encoding, c.vehicles, c.encoding); o != 0 {
			return o < 0
		}
		return a.conns < c.conns
	})
	b.WriteString("| vehicles | encoding | body | conns | feedgate | feedgate + Redis | bare Gin | nginx | Varnish " +
		"| fg / bare Gin | fg / nginx | fg / Varnish | fg+R / bare Gin | fg+R / nginx | fg+R / Varnish |\n")
	b.WriteString("|---:|---|---:|---:|---|---|---|---|---|---:|---:|---:|---:|---:|---:|\n")
	sums := map[string]*ratioSummary{"feedgate": {}, "feedgate-redis": {}}
	for _, k := range keys {
		m := by[k]
		cells := []string{thousands(k.vehicles), k.encoding, bytesize(m["feedgate"].BodyBytes), fmt.Sprint(k.conns)}
		for _, s := range []string{"feedgate", "feedgate-redis", "baregin", "nginx", "varnish"} {
			cells = append(cells, hotCell(m[s]))
		}
		r := runs[k]
		for _, fg := range []string{"feedgate", "feedgate-redis"} {
			cells = append(cells, sums[fg].add(r[fg], r["baregin"], r["nginx"], r["varnish"])...)
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintf(b, "\nAgainst bare Gin (target ≥ %.1f): feedgate (memory cache) %s; feedgate with Redis %s.\n",
		targetBareGin, sums["feedgate"].ginString(), sums["feedgate-redis"].ginString())
	fmt.Fprintf(b, "Against nginx and Varnish together: feedgate (memory cache) meets both targets in %s; feedgate with Redis in %s.\n\n",
		sums["feedgate"], sums["feedgate-redis"])
}

// hotOrder orders the hot tables' rows: by vehicles, then identity before gzip; 0 for the same.
func hotOrder(vehicles int, encoding string, otherVehicles int, otherEncoding string) int {
	switch {
	case vehicles != otherVehicles:
		return cmp.Compare(vehicles, otherVehicles)
	case encoding != otherEncoding:
		return -cmp.Compare(encoding, otherEncoding) // identity before gzip
	}
	return 0
}

// medianRun is the run with the median requests/s (the lower of the middle two for an even
// count), whole, so that its latencies are those of the same run; an empty row for no runs.
func medianRun(rs []hotRow) hotRow {
	if len(rs) == 0 {
		return hotRow{}
	}
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b hotRow) int {
		switch {
		case a.rps() < b.rps():
			return -1
		case a.rps() > b.rps():
			return 1
		}
		return 0
	})
	return rs[(len(rs)-1)/2]
}

// roundsNote says how a cell was chosen when each server ran more than once.
func roundsNote(rounds string) string {
	if rounds == "" || rounds == "1" {
		return ""
	}
	return "Each server ran " + rounds + " times per row, the servers taking turns (each round " +
		"starting one server further along, so that none always runs first); a cell is the " +
		"median run (requests/s and its latencies), and a ratio the median of the ratios of runs made " +
		"one after the other, so that neither one disturbed run nor the machine's drift over a row " +
		"decides it."
}

// ratioSummary collects one feedgate variant's ratios over the rows of the hot table.
type ratioSummary struct {
	rows, met           int
	ginMet              int
	gin, nginx, varnish []float64
}

// add scores one row from each server's runs and returns its three ratio cells: to bare Gin,
// nginx and Varnish.
func (r *ratioSummary) add(fg, gin, nginx, varnish []hotRow) []string {
	rg, okG := ratio(fg, gin)
	if okG {
		r.gin = append(r.gin, rg)
		if rg >= targetBareGin {
			r.ginMet++
		}
	}
	cells := []string{ratioCell(rg, okG, targetBareGin)}
	rn, okN := ratio(fg, nginx)
	rv, okV := ratio(fg, varnish)
	if !okN && !okV {
		return append(cells, "—", "—")
	}
	r.rows++
	if (!okN || rn >= targetNginx) && (!okV || rv >= targetVarnish) {
		r.met++
	}
	if okN {
		r.nginx = append(r.nginx, rn)
	}
	if okV {
		r.varnish = append(r.varnish, rv)
	}
	return append(cells, ratioCell(rn, okN, targetNginx), ratioCell(rv, okV, targetVarnish))
}

func (r *ratioSummary) String() string {
	return fmt.Sprintf("%d of %d rows (ratio to nginx %s, to Varnish %s)", r.met, r.rows, spread(r.nginx), spread(r.varnish))
}

// ginString is the bare-Gin part of the summary: rows at target and the spread of the ratios.
func (r *ratioSummary) ginString() string {
	return fmt.Sprintf("reaches it in %d of %d rows (%s)", r.ginMet, len(r.gin), spread(r.gin))
}

// ratio is fg's requests/s over ref's. With as many runs of each (the servers took turns) it is
// the median of the ratios of the runs made one after the other, which cancels the machine's
// drift over the minutes of a row; otherwise the ratio of the median runs.
func ratio(fg, ref []hotRow) (float64, bool) {
	if len(fg) == 0 || len(ref) == 0 {
		return 0, false
	}
	if len(fg) != len(ref) {
		a, b := medianRun(fg).rps(), medianRun(ref).rps()
		return a / b, a > 0 && b > 0
	}
	rs := make([]float64, 0, len(fg))
	for i := range fg {
		a, b := fg[i].rps(), ref[i].rps()
		if a == 0 || b == 0 {
			return 0, false
		}
		rs = append(rs, a/b)
	}
	slices.Sort(rs)
	return rs[(len(rs)-1)/2], true
}

func hotCell(r hotRow) string {
	if r.Requests == 0 {
		return "—"
	}
	s := fmt.Sprintf("%s/s, %s / %s", rate(r.rps()), micros(r.P50US), micros(r.P99US))
	if errs := r.Errors + r.StatusErrors; errs > 0 {
		s += fmt.Sprintf(" (%d errors)", errs)
	}
	return s
}

func ratioCell(v float64, ok bool, target float64) string {
	if !ok {
		return "—"
	}
	if v < target {
		return fmt.Sprintf("%.2f ✗", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func spread(vs []float64) string {
	if len(vs) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f–%.2f (median %.2f)", slices.Min(vs), slices.Max(vs), medianOf(vs))
}

func medianOf(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	return s[len(s)/2]
}

// ampRow is one stampede (bench/cmd/stampede).
type ampRow struct {
	Name           string         `json:"name"`
	Servers        int            `json:"servers"`
	Requests       int            `json:"requests"`
	Statuses       map[string]int `json:"statuses"`
	Upstream       map[string]int `json:"upstream"`
	UpstreamTotal  int            `json:"upstream_total"`
	UpstreamBefore int            `json:"upstream_before"`
	P50MS          float64        `json:"p50_ms"`
	MaxMS          float64        `json:"max_ms"`
	Bodies         int            `json:"bodies"`
}

func writeAmplification(b *strings.Builder, rows []ampRow) {
	if !heading(b, "3. Upstream amplification", len(rows) > 0) {
		return
	}
	b.WriteString("Concurrent requests for one cold feed (5,000 vehicles), each on its own connection, all\n" +
		"released together and asking for gzip (`bench/cmd/stampede`); the gateways sync with `sync: feed`\n" +
		"and `refresh.mode: on_request` (so the first requests find the feed cold), and one sync is one\n" +
		"upstream `feed` call, then a details call for each vehicle it has not seen (all calls counted by\n" +
		"the simulator, by kind, in brackets). Target: exactly 1 `feed` call.\n\n")
	b.WriteString("| case | servers | requests | answers | upstream feed calls (all calls) | distinct bodies | p50 | slowest |\n")
	b.WriteString("|---|---:|---:|---|---|---:|---:|---:|\n")
	for _, r := range rows {
		calls := fmt.Sprintf("**%d** (%s)", r.Upstream["feed"], counts(r.Upstream))
		if r.UpstreamBefore > 0 {
			calls += fmt.Sprintf(", %d before the start: not cold", r.UpstreamBefore)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %d | %s | %s |\n", r.Name, r.Servers,
			thousands(r.Requests), counts(r.Statuses), calls, r.Bodies, millis(r.P50MS), millis(r.MaxMS))
	}
	b.WriteString("\n")
}

// syncRow is one sync (bench/cmd/coldsync).
type syncRow struct {
	Strategy    string         `json:"strategy"`
	Phase       string         `json:"phase"`
	Vehicles    int            `json:"vehicles"`
	Changed     int            `json:"changed"`
	SyncMS      float64        `json:"sync_ms"`
	Calls       int            `json:"calls"`
	CallsByKind map[string]int `json:"calls_by_kind"`
}

// freshRow is one freshness measurement (bench/cmd/freshness).
type freshRow struct {
	Name        string  `json:"name"`
	FreshFor    string  `json:"fresh_for"`
	ColdMS      float64 `json:"cold_ms"`
	ColdStatus  string  `json:"cold_status"`
	Changed     int     `json:"changed"`
	StaleMS     float64 `json:"stale_ms"`
	Polls       int     `json:"polls"`
	PollEveryMS float64 `json:"poll_every_ms"`
	FinalStatus string  `json:"final_status"`
}

func writeColdPath(b *strings.Builder, syncs []syncRow, fresh []freshRow) {
	if !heading(b, "4. Cold path and freshness", len(syncs)+len(fresh) > 0) {
		return
	}
	if len(syncs) > 0 {
		b.WriteString("Sync cost with the real upstream client and `Syncer` against the simulator over loopback\n" +
			"(`bench/cmd/coldsync`); calls are counted by the client and checked against the simulator.\n\n")
		b.WriteString("| strategy | sync | vehicles | changed | time | upstream calls |\n|---|---|---:|---:|---:|---|\n")
		for _, r := range syncs {
			fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | **%s** (%s) |\n", r.Strategy, r.Phase,
				thousands(r.Vehicles), thousands(r.Changed), millis(r.SyncMS), thousands(r.Calls), counts(r.CallsByKind))
		}
		b.WriteString("\n")
	}
	if len(fresh) > 0 {
		b.WriteString("Through a running gateway (`bench/cmd/freshness`): the first request for a cold feed, then\n" +
			"the time from a change upstream (`POST /_sim/inventory`) to the first response with a new\n" +
			"ETag, polling with `If-None-Match`. Expected: up to `fresh_for`, plus one sync and render.\n\n")
		b.WriteString("| case | fresh_for | cold first request | vehicles changed | change → new feed | polls | Cache-Status of the new feed |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---|\n")
		for _, r := range fresh {
			fmt.Fprintf(b, "| %s | %s | %s | %d | %s (±%s) | %d | `%s` |\n", r.Name, r.FreshFor, millis(r.ColdMS),
				r.Changed, millis(r.StaleMS), millis(r.PollEveryMS), r.Polls, r.FinalStatus)
		}
		b.WriteString("\n")
	}
}

// growthRow is one render measurement (bench/cmd/growth).
type growthRow struct {
	Format       string  `json:"format"`
	Vehicles     int     `json:"vehicles"`
	Included     int     `json:"included"`
	RenderMS     float64 `json:"render_ms"`
	GzipMS       float64 `json:"gzip_ms"`
	Bytes        int64   `json:"bytes"`
	GzBytes      int64   `json:"gz_bytes"`
	SnapshotHeap int64   `json:"snapshot_heap"`
	RenderAlloc  int64   `json:"render_alloc"`
	RenderAllocs int64   `json:"render_allocs"`
	MaxRSS       int64   `json:"max_rss"`
	Skipped      string  `json:"skipped"`
}

func writeGrowth(b *strings.Builder, rows []growthRow) {
	if !heading(b, "5. Growth", len(rows) > 0) {
		return
	}
	b.WriteString("Each format renders a generated inventory into a buffer, as the gateway does, in a process of\n" +
		"its own (`bench/cmd/growth`); then the output is gzipped once, as the cache stores it. Render\n" +
		"time is the median of 3 runs (1 run at 100,000 vehicles). Peak RSS is the whole process:\n" +
		"generated inventory, snapshot, output and gzip copy.\n\n")
	b.WriteString("| format | vehicles | included | render | ns / vehicle | gzip | output | gzip | bytes / vehicle (plain, gzip) | allocated by render | allocs / vehicle | peak RSS |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var perVehicle []float64
	for _, r := range rows {
		if r.Skipped != "" {
			fmt.Fprintf(b, "| %s | %s | — | skipped: %s | | | | | | | | |\n", r.Format, thousands(r.Vehicles), r.Skipped)
			continue
		}
		n := float64(max(r.Vehicles, 1))
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f, %.0f | %s | %.1f | %s |\n", r.Format,
			thousands(r.Vehicles), thousands(r.Included), millis(r.RenderMS), thousands(int(r.RenderMS*1e6/n)),
			millis(r.GzipMS), bytesize(r.Bytes), bytesize(r.GzBytes), float64(r.Bytes)/n, float64(r.GzBytes)/n,
			bytesize(r.RenderAlloc), float64(r.RenderAllocs)/n, bytesize(r.MaxRSS))
		if r.SnapshotHeap > 0 {
			perVehicle = append(perVehicle, float64(r.SnapshotHeap)/n)
		}
	}
	if len(perVehicle) > 0 {
		fmt.Fprintf(b, "\nMemory per cached vehicle: the snapshot (decoded `inventory.Vehicle`s, the L1 form) holds\n"+
			"%.0f bytes of heap per vehicle (median over every row, measured after a GC). A cached feed adds its\n"+
			"output and gzip copy: the bytes-per-vehicle columns above.\n\n", medianOf(perVehicle))
	}
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, thousands(m[k])))
	}
	return strings.Join(parts, ", ")
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func rate(v float64) string {
	switch {
	case v >= 100:
		return thousands(int(v + 0.5))
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func micros(us int64) string { return millis(float64(us) / 1000) }

func millis(ms float64) string {
	switch {
	case ms >= 10000:
		return fmt.Sprintf("%.1f s", ms/1000)
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f µs", ms*1000)
}

func bytesize(n int64) string {
	const k = 1024
	switch {
	case n >= k*k*k:
		return fmt.Sprintf("%.1f GiB", float64(n)/(k*k*k))
	case n >= k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	case n >= k:
		return fmt.Sprintf("%.0f KiB", float64(n)/k)
	}
	return fmt.Sprintf("%d B", n)
}

// heading writes a section's heading and, when the run measured nothing for it, says so; it
// returns measured, for the caller to write the section's body or stop.
func heading(b *strings.Builder, title string, measured bool) bool {
	fmt.Fprintf(b, "## %s\n\n", title)
	if !measured {
		b.WriteString("Not measured in this run.\n\n")
	}
	return measured
}
