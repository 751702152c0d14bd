package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// report runs the command on the fixture results and hand-measured file, as bench/run does, and
// returns the Markdown it wrote.
func report(t *testing.T, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	args := append([]string{"-results", "testdata/results.jsonl", "-out", out,
		"-meta", "command=bench/run", "-meta", "date=2026-11-30 03:00 UTC", "-meta", "nproc=2"}, extra...)
	if err := run(args, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section is the text of the "## title" section, up to the next "## " heading.
func section(t *testing.T, doc, title string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n## "+title+"\n")
	if !ok {
		t.Fatalf("no section %q in:\n%s", title, doc)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// row is the table row of a section that starts with prefix.
func row(t *testing.T, sec, prefix string) string {
	t.Helper()
	for line := range strings.SplitSeq(sec, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	t.Fatalf("no row %q in:\n%s", prefix, sec)
	return ""
}

func cells(line string) []string {
	parts := strings.Split(strings.Trim(line, "|"), "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func TestHotTableHasBareGinRatiosForBothGateways(t *testing.T) {
	hot := section(t, report(t), "1. Hot serving")
	header := cells(row(t, hot, "| vehicles |"))
	got := cells(row(t, hot, "| 150 | identity |"))
	if len(got) != len(header) {
		t.Fatalf("row has %d cells, header %d:\n%v\n%v", len(got), len(header), header, got)
	}
	want := map[string]string{
		"feedgate": "9,000/s, 100 µs / 900 µs", "bare Gin": "10,000/s, 100 µs / 900 µs",
		"fg / bare Gin": "0.90", "fg / nginx": "0.90", "fg / Varnish": "1.00",
		"fg+R / bare Gin": "0.45 ✗", "fg+R / nginx": "0.45 ✗", "fg+R / Varnish": "0.50 ✗",
	}
	for i, h := range header {
		if w, ok := want[h]; ok && got[i] != w {
			t.Errorf("column %q = %q, want %q", h, got[i], w)
		}
		delete(want, h)
	}
	if len(want) != 0 {
		t.Errorf("columns missing from the header: %v", want)
	}
	for _, s := range []string{
		"Against bare Gin (target ≥ 0.9): feedgate (memory cache) reaches it in 1 of 1 rows (0.90–0.90 (median 0.90)); feedgate with Redis reaches it in 0 of 1 rows",
		"feedgate (memory cache) meets both targets in 1 of 1 rows",
	} {
		if !strings.Contains(hot, s) {
			t.Errorf("hot summary lacks %q:\n%s", s, hot)
		}
	}
}

func TestDropinTableComparesWithFeedHitAndBareGin(t *testing.T) {
	dropin := section(t, report(t), "2. Drop-in API")
	for prefix, want := range map[string][]string{
		// read, path, encoding, body, feedgate, bare Gin, fg / bare Gin, read / feed hit
		"| feed hit |": {"feed hit", "`/feeds/t150/google`", "identity", "74 KiB", "10,000/s, 100 µs / 900 µs", "12,000/s, 100 µs / 900 µs", "0.83 ✗", "—"},
		"| list 25 |":  {"list 25", "`/v1/public/inventory?limit=25`", "identity", "8 KiB", "8,000/s, 100 µs / 900 µs", "8,000/s, 100 µs / 900 µs", "1.00", "0.80 ✗"},
		"| list 100 |": {"list 100", "`/v1/public/inventory?limit=100`", "identity", "32 KiB", "9,500/s, 100 µs / 900 µs", "10,000/s, 100 µs / 900 µs", "0.95", "0.95"},
		// details has no feed-hit target: its ratio is shown without a mark.
		"| details |": {"details", "`/v1/public/inventory/1HGCM82633A004352`", "identity", "1 KiB", "7,000/s, 100 µs / 900 µs", "10,000/s, 100 µs / 900 µs", "0.70 ✗", "0.70"},
	} {
		got := cells(row(t, dropin, prefix))
		if strings.Join(got, " | ") != strings.Join(want, " | ") {
			t.Errorf("row %s\n got %q\nwant %q", prefix, got, want)
		}
	}
	if s := "List pages reach 0.9× the feed hit in 1 of 2 rows; feedgate reaches 0.9× bare Gin in 2 of 4 rows."; !strings.Contains(dropin, s) {
		t.Errorf("drop-in summary lacks %q:\n%s", s, dropin)
	}
	if !strings.Contains(dropin, "150-vehicle tenant") || !strings.Contains(dropin, "at 32 connections") {
		t.Errorf("drop-in text does not say what was measured:\n%s", dropin)
	}
}

func TestTemplateTableAveragesRunsAndMarksRatiosOverTarget(t *testing.T) {
	tpl := section(t, report(t), "6. Template channels vs built-in writers")
	// dealer-csv: CPU means 19,000 and 13,000 ns over two runs; wall 20,000 and 13,500.
	if got, want := cells(row(t, tpl, "| dealer-csv |")),
		[]string{"dealer-csv", "csv", "19.0 (20.0)", "13.0 (13.5)", "1.46×", "1.48×", "2 × 4"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("dealer-csv row %q, want %q", got, want)
	}
	if got, want := cells(row(t, tpl, "| marketplace-xml |")),
		[]string{"marketplace-xml", "meta-automotive", "100.0 (110.0)", "40.0 (40.0)", "2.50× ✗", "2.75×", "1 × 4"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("marketplace-xml row %q, want %q", got, want)
	}
	if s := "within 2× their closest built-in in 1 of 2 pairs"; !strings.Contains(tpl, s) {
		t.Errorf("template summary lacks %q:\n%s", s, tpl)
	}
}

func TestHandMeasuredFileIsAppendedAsItIs(t *testing.T) {
	measured, err := os.ReadFile("testdata/measured.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := report(t, "-measured", "testdata/measured.md")
	_, tail, ok := strings.Cut(doc, "\n"+measuredHeading+"\n")
	if !ok {
		t.Fatalf("no %q heading in:\n%s", measuredHeading, doc)
	}
	if !strings.HasSuffix(tail, "\n\n"+strings.TrimSpace(string(measured))+"\n") {
		t.Errorf("the hand-measured file is not the end of the report, as it is:\n%s", tail)
	}
	if strings.Contains(report(t), measuredHeading) {
		t.Error("without -measured the report still has the hand-measured heading")
	}
}

func TestTablesWithoutResultsSayNotMeasured(t *testing.T) {
	doc := report(t)
	for _, title := range []string{"4. Cold path and freshness", "5. Growth"} {
		if s := section(t, doc, title); strings.TrimSpace(s) != "Not measured in this run." {
			t.Errorf("section %q = %q", title, s)
		}
	}
	if !strings.Contains(section(t, doc, "3. Upstream amplification"), "| feedgate, one gateway (Redis) | 1 | 1,000 |") {
		t.Error("the amplification row is missing")
	}
}

func TestUnknownTableIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	if err := os.WriteFile(path, []byte(`{"table":"mystery"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-results", path}, nil); err == nil || !strings.Contains(err.Error(), `unknown table "mystery"`) {
		t.Errorf("err = %v", err)
	}
}

// TestHotCellIsTheMedianRun: with several runs of a server per row the cell is the median run,
// whole (its latencies too), and one disturbed run moves no ratio.
func TestHotCellIsTheMedianRun(t *testing.T) {
	run := func(server string, rps, p50 int64) hotRow {
		return hotRow{Server: server, Vehicles: 150, Encoding: "gzip", Conns: 32, Requests: rps, DurationUS: 1e6, P50US: p50, BodyBytes: 100}
	}
	rows := []hotRow{
		run("feedgate", 9000, 1), run("baregin", 10000, 2),
		run("feedgate", 3000, 3), run("baregin", 10100, 4), // feedgate's run disturbed
		run("feedgate", 9100, 5), run("baregin", 9900, 6),
	}
	if m := medianRun([]hotRow{rows[0], rows[2], rows[4]}); m.Requests != 9000 || m.P50US != 1 {
		t.Fatalf("median of 9,000, 3,000 and 9,100/s: %+v, want the 9,000/s run whole", m)
	}
	if m := medianRun([]hotRow{rows[2], rows[0]}); m.Requests != 3000 {
		t.Fatalf("median of two runs: %+v, want the lower", m)
	}
	var b strings.Builder
	writeHot(&b, rows, metaFlags{{"hot rounds", "3"}})
	out := b.String()
	if !strings.Contains(out, "9,000/s") || !strings.Contains(out, "10,000/s") || !strings.Contains(out, "| 0.90 |") {
		t.Errorf("want the median runs (9,000/s and 10,000/s, ratio 0.90):\n%s", out)
	}
	if strings.Contains(out, "3,000/s") || !strings.Contains(out, "median run") {
		t.Errorf("the disturbed run decided a cell, or the note is missing:\n%s", out)
	}
}

// TestHotRatioPairsRunsMadeTogether: when the machine slows down and speeds up over a row, the
// ratio is taken run by run (each feedgate run against the bare-Gin run beside it), not between
// medians taken from different moments.
func TestHotRatioPairsRunsMadeTogether(t *testing.T) {
	run := func(server string, rps int64) hotRow {
		return hotRow{Server: server, Vehicles: 150, Encoding: "gzip", Conns: 32, Requests: rps, DurationUS: 1e6}
	}
	fg := []hotRow{run("feedgate", 10000), run("feedgate", 5000), run("feedgate", 7600)}
	gin := []hotRow{run("baregin", 10400), run("baregin", 5300), run("baregin", 12000)}
	got, ok := ratio(fg, gin)
	if !ok || got < 0.94 || got > 0.95 {
		t.Errorf("paired ratio %.3f, want 0.943 (10,000/10,400 = 0.96, 5,000/5,300 = 0.94, 7,600/12,000 = 0.63); medians alone give 0.73", got)
	}
	if got, _ := ratio(fg[:2], gin[:1]); got != 5000.0/10400 {
		t.Errorf("unequal run counts: %.3f, want the ratio of the median runs (the lower of two: 5,000/10,400)", got)
	}
}

// With several rounds of drop-in reads, a cell is the median run and each ratio the median of
// the ratios of runs in the same round: one disturbed round moves neither.
func TestDropinRoundsTakeMedianRunsAndPairedRatios(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results.jsonl")
	line := func(server, endpoint, path string, requests int) string {
		return `{"table":"dropin","server":"` + server + `","endpoint":"` + endpoint + `","path":"` + path +
			`","vehicles":150,"encoding":"gzip","conns":32,"threads":2,"body_bytes":2000,"requests":` +
			strconv.Itoa(requests) + `,"duration_us":1000000,"bytes":1,"p50_us":100,"p99_us":900,"errors":0,"status_errors":0}`
	}
	var lines []string
	// Three rounds; in the second the machine was twice as slow for everyone.
	for _, r := range []struct{ feed, feedGin, list, listGin int }{
		{10000, 10000, 9500, 10000},
		{5000, 5000, 4000, 5000},
		{11000, 10000, 9000, 10000},
	} {
		lines = append(lines,
			line("feedgate", "feed", "/feeds/t150/google", r.feed), line("baregin", "feed", "/feeds/t150/google", r.feedGin),
			line("baregin", "list 25", "/v1/public/inventory?limit=25", r.listGin), line("feedgate", "list 25", "/v1/public/inventory?limit=25", r.list))
	}
	if err := os.WriteFile(results, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "BENCHMARKS.md")
	if err := run([]string{"-results", results, "-out", out, "-meta", "dropin rounds=3"}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	dropin := section(t, string(b), "2. Drop-in API")
	// feed hit: runs 10,000 / 5,000 / 11,000, median 10,000; against bare Gin 1.0, 1.0, 1.1.
	if got, want := cells(row(t, dropin, "| feed hit |")),
		[]string{"feed hit", "`/feeds/t150/google`", "gzip", "2 KiB", "10,000/s, 100 µs / 900 µs", "10,000/s, 100 µs / 900 µs", "1.00", "—"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("feed hit row %q, want %q", got, want)
	}
	// list 25: median run 9,000; against bare Gin 0.95, 0.80, 0.90 (median 0.90); against the
	// feed hit of the same round 0.95, 0.80, 0.82 (median 0.82), not 9,000 / 10,000.
	if got, want := cells(row(t, dropin, "| list 25 |")),
		[]string{"list 25", "`/v1/public/inventory?limit=25`", "gzip", "2 KiB", "9,000/s, 100 µs / 900 µs", "10,000/s, 100 µs / 900 µs", "0.90", "0.82 ✗"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("list 25 row %q, want %q", got, want)
	}
	if !strings.Contains(dropin, "Each read ran 3 times on each server") {
		t.Errorf("drop-in text does not say how rounds were taken:\n%s", dropin)
	}
}

// TestInterleaveTableSharpensTheOneConnectionRows: the interleaved runs make a table under the hot
// one, each row's ratio being feedgate's requests/s over bare Gin's (bare Gin's round trip over
// feedgate's) with its interval, marked under target, and the summary counts rows whose whole
// interval clears the target apart from those whose ratio alone does.
func TestInterleaveTableSharpensTheOneConnectionRows(t *testing.T) {
	line := func(server string, vehicles int, enc string, ginUS, fgUS, ratio, lo, hi float64) string {
		return `{"table":"interleave","server":"` + server + `","vehicles":` + strconv.Itoa(vehicles) +
			`,"encoding":"` + enc + `","seconds":10,"turns":12345,"servers":[` +
			`{"body_bytes":26542,"mean_us":` + strconv.FormatFloat(ginUS, 'f', -1, 64) + `,"ratio":1,"ratio_lo":1,"ratio_hi":1},` +
			`{"body_bytes":26542,"mean_us":` + strconv.FormatFloat(fgUS, 'f', -1, 64) + `,"ratio":` +
			strconv.FormatFloat(ratio, 'f', -1, 64) + `,"ratio_lo":` + strconv.FormatFloat(lo, 'f', -1, 64) +
			`,"ratio_hi":` + strconv.FormatFloat(hi, 'f', -1, 64) + `}]}`
	}
	base, err := os.ReadFile("testdata/results.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(t.TempDir(), "results.jsonl")
	lines := strings.Join([]string{
		line("feedgate", 150, "gzip", 140, 152, 0.921, 0.905, 0.937),
		line("feedgate-redis", 150, "gzip", 141, 160, 0.881, 0.86, 0.90),
		line("feedgate", 150, "identity", 220, 240, 0.917, 0.89, 0.94),
		strings.Replace(line("feedgate", 150, "gzip", 2500, 2750, 0.909, 0.889, 0.928), `"turns"`, `"conns":32,"turns"`, 1),
	}, "\n")
	if err := os.WriteFile(results, append(base, []byte("\n"+lines+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := run([]string{"-results", results, "-out", out}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	hot := section(t, string(b), "1. Hot serving")
	_, il, ok := strings.Cut(hot, "### One connection, request by request")
	if !ok {
		t.Fatalf("no interleaved table under the hot one:\n%s", hot)
	}
	for prefix, want := range map[string][]string{
		"| 150 | gzip | 26 KiB | feedgate |":         {"140 µs", "152 µs", "0.92", "0.91–0.94"},
		"| 150 | gzip | 26 KiB | feedgate + Redis |": {"0.88 ✗", "0.86–0.90"},
		"| 150 | identity | 26 KiB | feedgate |":     {"0.92", "0.89–0.94"},
	} {
		got := cells(row(t, il, prefix))
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("row %s: %v lacks %q", prefix, got, w)
			}
		}
	}
	if !strings.Contains(il, "feedgate at one connection, request by request: at least 0.9× bare Gin in 2 of 2 rows, the whole 95% interval at or above it in 1.") ||
		!strings.Contains(il, "feedgate + Redis at one connection, request by request: at least 0.9× bare Gin in 0 of 1 rows, the whole 95% interval at or above it in 0.") {
		t.Errorf("summary lines:\n%s", il)
	}
	il, burst, ok := strings.Cut(il, "### 32 connections, burst by burst")
	if !ok {
		t.Fatalf("no burst table for the 32-connection run:\n%s", hot)
	}
	if strings.Index(il, "identity | 26 KiB | feedgate |") > strings.Index(il, "gzip | 26 KiB | feedgate |") {
		t.Errorf("identity rows come before gzip rows, as in the hot table:\n%s", il)
	}
	if strings.Contains(il, "2.8 ms") {
		t.Errorf("the 32-connection run is in the one-connection table:\n%s", il)
	}
	got := cells(row(t, burst, "| 150 | gzip | 26 KiB | feedgate |"))
	for _, w := range []string{"2.5 ms", "2.8 ms", "0.91", "0.89–0.93"} {
		if !slices.Contains(got, w) {
			t.Errorf("burst row %v lacks %q", got, w)
		}
	}
	if !strings.Contains(burst, "bare Gin burst | its burst") ||
		!strings.Contains(burst, "feedgate at 32 connections, burst by burst: at least 0.9× bare Gin in 1 of 1 rows, the whole 95% interval at or above it in 0.") {
		t.Errorf("burst table:\n%s", burst)
	}
}
