package main

import (
	"fmt"
	"sort"
	"strings"
)

// interleaveRow is one bench/cmd/interleave run of bench/run: bare Gin first, then one
// feedgate server, taking turns on one connection each, request by request, or on Conns
// connections each, burst by burst.
type interleaveRow struct {
	Server   string `json:"server"`
	Vehicles int    `json:"vehicles"`
	Encoding string `json:"encoding"`
	Seconds  int    `json:"seconds"`
	Turns    int    `json:"turns"`
	Conns    int    `json:"conns"` // 0 in results written before interleave had -c: one
	Servers  []struct {
		Body    int64   `json:"body_bytes"`
		MeanUS  float64 `json:"mean_us"`
		Ratio   float64 `json:"ratio"`
		RatioLo float64 `json:"ratio_lo"`
		RatioHi float64 `json:"ratio_hi"`
	} `json:"servers"`
}

// valid: the run compared two servers, bare Gin first.
func (r interleaveRow) valid() bool { return len(r.Servers) == 2 && r.Servers[0].MeanUS > 0 }

// writeInterleave writes the one-connection comparison of feedgate and feedgate + Redis with bare
// Gin, request by request, under the hot-serving table whose one-connection rows it sharpens, and
// then the same burst by burst for each larger number of connections.
func writeInterleave(b *strings.Builder, rows []interleaveRow) {
	byConns := map[int][]interleaveRow{}
	for _, r := range rows {
		n := max(1, r.Conns)
		byConns[n] = append(byConns[n], r)
	}
	if one := byConns[1]; len(one) > 0 {
		b.WriteString("### One connection, request by request\n\n")
		b.WriteString("At one connection a server's requests/s is one over its round trip, and on this VM the round\n" +
			"trip drifts by ±10% within seconds: a wrk run of each server in turn meets each at another\n" +
			"moment, and the 1-connection ratios above move by about ±0.05 from one run of `bench/run` to\n" +
			"the next. Here `bench/cmd/interleave` sends one request to bare Gin, then one to the feedgate, on\n" +
			"one connection each, and so on (the order alternating), so that both meet the same moments; its\n" +
			"ratio is feedgate's requests/s over bare Gin's (bare Gin's mean round trip over feedgate's), with\n" +
			"a 95% interval from a bootstrap over 50 blocks of consecutive turns. Between two requests of one\n" +
			"server the other server, the client and the kernel ran, as the kernel and the load generator do\n" +
			"between two requests of a loaded server. ✗ marks a ratio under the target of 0.9.\n\n")
		interleaveTable(b, one, "at one connection, request by request", "round trip")
	}
	var many []int
	for n := range byConns {
		if n > 1 {
			many = append(many, n)
		}
	}
	sort.Ints(many)
	for _, n := range many {
		fmt.Fprintf(b, "### %d connections, burst by burst\n\n", n)
		fmt.Fprintf(b, "The same at concurrency (`interleave -c %d`): a server's turn is a burst of %d requests at once,\n"+
			"one on each of its %d connections, timed from the first request sent to the last answer read,\n"+
			"bare Gin and the feedgate taking turns burst by burst, so that the wrk rows above at this\n"+
			"concurrency, which meet each server at another moment, are read at the same moments. The ratio\n"+
			"is feedgate's requests/s over bare Gin's (bare Gin's mean burst over feedgate's). Runs of fresh\n"+
			"processes differ by a few hundredths beyond a run's own interval (where each process's memory\n"+
			"lands; bench/measured.md lists one row's readings over runs of `bench/run`), so a row near the\n"+
			"target wants several runs. ✗ marks a ratio under the target of 0.9.\n\n", n, n, n)
		interleaveTable(b, byConns[n], fmt.Sprintf("at %d connections, burst by burst", n), "burst")
	}
}

// interleaveTable writes one table of interleaved runs and its summary lines; how names the
// measure in the summary ("at one connection, request by request") and turn a server's turn in
// the column heads ("round trip", "burst").
func interleaveTable(b *strings.Builder, rows []interleaveRow, how, turn string) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, c := rows[i], rows[j]
		if o := hotOrder(a.Vehicles, a.Encoding, c.Vehicles, c.Encoding); o != 0 {
			return o < 0
		}
		return a.Server < c.Server
	})
	fmt.Fprintf(b, "| vehicles | encoding | body | server | seconds | turns | bare Gin %s | its %s | requests/s over bare Gin's | 95%% interval |\n", turn, turn)
	b.WriteString("|---:|---|---:|---|---:|---:|---:|---:|---:|---|\n")
	type tally struct{ rows, met, sure int }
	sums := map[string]*tally{}
	var servers []string
	for _, r := range rows {
		if !r.valid() {
			continue
		}
		g, s := r.Servers[0], r.Servers[1]
		name := map[string]string{"feedgate": "feedgate", "feedgate-redis": "feedgate + Redis"}[r.Server]
		if name == "" {
			name = r.Server
		}
		if sums[name] == nil {
			sums[name] = &tally{}
			servers = append(servers, name)
		}
		t := sums[name]
		t.rows++
		if s.Ratio >= targetBareGin {
			t.met++
		}
		if s.RatioLo >= targetBareGin {
			t.sure++
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d | %s | %s | %s | %s | %.2f–%.2f |\n",
			thousands(r.Vehicles), r.Encoding, bytesize(s.Body), name, r.Seconds, thousands(r.Turns),
			millis(g.MeanUS/1000), millis(s.MeanUS/1000), ratioCell(s.Ratio, true, targetBareGin), s.RatioLo, s.RatioHi)
	}
	b.WriteString("\n")
	for _, name := range servers {
		t := sums[name]
		fmt.Fprintf(b, "%s %s: at least %.1f× bare Gin in %d of %d rows, "+
			"the whole 95%% interval at or above it in %d.\n", name, how, targetBareGin, t.met, t.rows, t.sure)
	}
	b.WriteString("\n")
}
