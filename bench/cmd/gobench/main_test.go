package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/feedgate/feedgate/transform
cpu: AMD EPYC
BenchmarkTemplateVsBuiltin/dealer-csv/vs=csv-2         	       4	 330000000 ns/op	     13200 builtin-cpu-ns/vehicle	     13100 builtin-ns/vehicle	         1.470 cpu-ratio	     19400 tpl-cpu-ns/vehicle	     19300 tpl-ns/vehicle	         1.473 time-ratio
BenchmarkTemplateVsBuiltin/marketplace-xml/vs=meta-automotive-2	4	800000000 ns/op	44300 builtin-cpu-ns/vehicle	35800 tpl-cpu-ns/vehicle
BenchmarkTemplateVsBuiltin/dealer-csv/vs=csv-2 some log line of the benchmark
PASS
ok  	github.com/feedgate/feedgate/transform	21.3s
`

func TestParseReadsResultLinesOnly(t *testing.T) {
	got, err := parse(strings.NewReader(sample), "template")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2: %+v", len(got), got)
	}
	r := got[0]
	if r.Table != "template" || r.Name != "TemplateVsBuiltin/dealer-csv/vs=csv" || r.Procs != 2 || r.Iterations != 4 {
		t.Errorf("first result %+v", r)
	}
	if r.Metrics["tpl-cpu-ns/vehicle"] != 19400 || r.Metrics["cpu-ratio"] != 1.470 || len(r.Metrics) != 7 {
		t.Errorf("first result's metrics %v", r.Metrics)
	}
	if got[1].Name != "TemplateVsBuiltin/marketplace-xml/vs=meta-automotive" || got[1].Metrics["builtin-cpu-ns/vehicle"] != 44300 {
		t.Errorf("second result %+v", got[1])
	}
}

func TestRunWritesJSONLinesAndFailsOnNoResults(t *testing.T) {
	var out bytes.Buffer
	in := t.TempDir() + "/bench.txt"
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-table", "template", "-in", in}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %s", len(lines), out.String())
	}
	var r result
	if err := json.Unmarshal([]byte(lines[1]), &r); err != nil || r.Table != "template" {
		t.Fatalf("line %q: %v", lines[1], err)
	}
	empty := t.TempDir() + "/empty.txt"
	if err := os.WriteFile(empty, []byte("FAIL\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-table", "template", "-in", empty}, &out); err == nil {
		t.Error("no benchmark lines gave no error")
	}
}
