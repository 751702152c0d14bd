// Command gobench turns the output of `go test -bench` into bench/run's JSON result lines: one
// line per benchmark result, with the table it belongs to, the benchmark's name without its
// "Benchmark" prefix and GOMAXPROCS suffix, its iteration count and every metric it reported
// (ns/op, B/op, allocs/op and custom ones such as tpl-cpu-ns/vehicle) by unit.
//
//	go test ./transform -run '^$' -bench TemplateVsBuiltin | gobench -table template >>results.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/feedgate/feedgate/bench/internal/cli"
)

// result is one benchmark line as a JSON result line.
type result struct {
	Table      string             `json:"table"`
	Name       string             `json:"name"`
	Procs      int                `json:"procs"`
	Iterations int64              `json:"iterations"`
	Metrics    map[string]float64 `json:"metrics"`
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gobench", flag.ContinueOnError)
	table := fs.String("table", "", "the table value of every line (required)")
	in := fs.String("in", "", "file with the go test output (default stdin)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *table == "" {
		return errors.New("gobench: -table is required")
	}
	r := io.Reader(os.Stdin)
	if *in != "" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("gobench: %w", err)
		}
		defer f.Close()
		r = f
	}
	results, err := parse(r, *table)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return errors.New("gobench: no benchmark results in the input")
	}
	enc := json.NewEncoder(stdout)
	for _, res := range results {
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("gobench: %w", err)
		}
	}
	return nil
}

// parse reads benchmark result lines ("BenchmarkX/sub-2  4  123 ns/op  4.5 unit ...") and skips
// everything else (goos, pkg, PASS, logs).
func parse(r io.Reader, table string) ([]result, error) {
	var out []result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || len(fields)%2 != 0 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue // a benchmark's log line, not a result
		}
		res := result{Table: table, Name: strings.TrimPrefix(fields[0], "Benchmark"), Procs: 1, Iterations: n,
			Metrics: map[string]float64{}}
		if i := strings.LastIndexByte(res.Name, '-'); i > 0 {
			if p, err := strconv.Atoi(res.Name[i+1:]); err == nil {
				res.Name, res.Procs = res.Name[:i], p
			}
		}
		ok := true
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				ok = false
				break
			}
			res.Metrics[fields[i+1]] = v
		}
		if ok {
			out = append(out, res)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gobench: %w", err)
	}
	return out, nil
}
