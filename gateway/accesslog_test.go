package gateway_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/syncbuf"
)

// TestLogWriterLosesNoLineAtClose writes lines, access and others, and closes at once: every
// line is in the output, whole and in order, although no batch was due yet.
func TestLogWriterLosesNoLineAtClose(t *testing.T) {
	var out syncbuf.Buffer
	lw := gateway.NewLogWriter(&out, gateway.LogWriterOptions{Interval: time.Hour})
	var want strings.Builder
	for i := range 1000 {
		if i%2 == 0 {
			want.WriteString(gateway.AppendAccessRecord(lw, fmt.Sprintf("n%d", i)))
			continue
		}
		line := fmt.Sprintf(`{"n":%d}`+"\n", i)
		want.WriteString(line)
		if _, err := lw.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatalf("after Close the output has %d of %d bytes", len(out.String()), want.Len())
	}
	if _, err := lw.Write([]byte("late\n")); err != nil || !strings.HasSuffix(out.String(), "late\n") {
		t.Errorf("a line after Close was not written at once (err %v)", err)
	}
	if err := lw.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestLogWriterEventIsWrittenAtOnce wants a non-access line, and the access lines before it, in
// the output when Write returns, though no batch is due for an hour.
func TestLogWriterEventIsWrittenAtOnce(t *testing.T) {
	var out syncbuf.Buffer
	lw := gateway.NewLogWriter(&out, gateway.LogWriterOptions{Interval: time.Hour})
	defer func() { _ = lw.Close() }()
	access := gateway.AppendAccessRecord(lw, "access")
	if _, err := lw.Write([]byte("event\n")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != access+"event\n" {
		t.Errorf("output after Write: %q", got)
	}
}

// blockedWriter blocks every Write until released, like a stdout pipe nobody reads.
type blockedWriter struct {
	release chan struct{}
	mu      sync.Mutex
	b       bytes.Buffer
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestLogWriterDropsRatherThanStalls blocks the output: access lines keep being accepted without
// waiting until the buffer is full, then are dropped and counted; other lines are kept (their
// writer waits for the output, as with a synchronous logger). Once the output moves again, every
// line that was not dropped is written.
func TestLogWriterDropsRatherThanStalls(t *testing.T) {
	w := &blockedWriter{release: make(chan struct{})}
	lw := gateway.NewLogWriter(w, gateway.LogWriterOptions{Limit: 4096, Batch: 64, Interval: time.Millisecond, Shards: 4})
	id := strings.Repeat("a", 41) // a record estimated at 256 bytes
	const n = 1000
	done := make(chan struct{})
	var line string
	go func() {
		defer close(done)
		for range n {
			line = gateway.AppendAccessRecord(lw, id)
		}
	}()
	<-done // would hang here if a request waited for the blocked output
	dropped := lw.Dropped()
	if dropped == 0 || dropped >= n {
		t.Fatalf("%d of %d lines dropped with the output blocked and room for ~17", dropped, n)
	}
	event := make(chan error)
	go func() {
		_, err := lw.Write([]byte("event\n"))
		event <- err
	}()
	close(w.release)
	if err := <-event; err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	got := w.b.String()
	kept := strings.Count(got, line)
	if uint64(kept)+dropped != n {
		t.Errorf("%d lines written + %d dropped != %d sent", kept, dropped, n)
	}
	// One goroutine's lines fill every shard before any is dropped: the whole limit is usable,
	// not a quarter of it (4 shards of 1,024 bytes hold 4 records of 256 bytes each).
	if kept < 16 {
		t.Errorf("only %d lines kept before dropping; the limit holds 16", kept)
	}
	if !strings.HasSuffix(got, "event\n") {
		t.Error("a non-access line was dropped")
	}
}

// TestAsyncAccessLog serves through a LogWriter: the lines carry the same fields as the logger's
// (no secret among them), and the drop counter is exported.
func TestAsyncAccessLog(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			e := newEnvWith(t, 0, envSetup{async: async})
			key := e.keys["export"]
			e.do("GET", "/feeds/sunset/export?key="+key+"&download=1", "X-Request-ID", "abc-123", "User-Agent", "fetcher/1 \"x\"")
			e.do("GET", "/feeds/elsewhere/export", "X-API-Key", key)
			if async {
				if err := e.logWriter.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			logs := e.logs.String()
			if strings.Contains(logs, key) {
				t.Fatalf("a key reached the log:\n%s", logs)
			}
			for _, want := range []string{`"msg":"request","request_id":"abc-123","method":"GET","path":"/feeds/sunset/export","route":"/feeds/:tenant/:feed","status":200,`,
				`"query":"key=REDACTED&download=1","user_agent":"fetcher/1 \"x\"","key_name":"office","cache_status":"feedgate; fwd=miss; stored"}`,
				`"path":"/feeds/elsewhere/export","route":"/feeds/:tenant/:feed","status":404,`} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %s:\n%s", want, logs)
				}
			}
			if m := e.do("GET", "/metrics").Body.String(); !strings.Contains(m, "feedgate_access_log_dropped_total 0") {
				t.Error("the drop counter is not exported")
			}
		})
	}
}
