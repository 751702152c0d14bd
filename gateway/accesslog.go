package gateway

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// LogWriter is a buffered, asynchronous writer of log lines: a request appends its access-log
// line to a buffer under a short lock and goes on; a goroutine of its own writes the buffer in
// batches. A slow or blocked output never stalls a request: past the buffer's limit, access lines
// are dropped and counted (feedgate_access_log_dropped_total) instead. Other log lines (those a
// slog handler writes through Write: events, rare) are never dropped and are written at once,
// with the access lines buffered before them, as a synchronous logger would write them. Close
// writes everything still buffered, so no line is lost at shutdown.
type LogWriter struct {
	w        io.Writer
	limit    int
	batch    int
	interval time.Duration

	mu      sync.Mutex // guards buf and closed
	buf     []byte
	closed  bool
	wmu     sync.Mutex // serialises writes to w; guards spare
	spare   []byte
	dropped atomic.Uint64

	wake, full chan struct{}
	done       chan struct{}
	stopped    chan struct{}
	closeOnce  sync.Once
}

// LogWriterOptions tunes a LogWriter; zero values take the defaults.
type LogWriterOptions struct {
	// Limit is how many bytes may wait to be written before access lines are dropped (default
	// 4 MiB).
	Limit int
	// Batch is the buffered size that is written at once, without waiting (default 64 KiB).
	Batch int
	// Interval is the longest a line waits for others to join its batch (default 50ms).
	Interval time.Duration
}

// NewLogWriter starts a LogWriter onto w; Close stops it.
func NewLogWriter(w io.Writer, o LogWriterOptions) *LogWriter {
	if o.Limit <= 0 {
		o.Limit = 4 << 20
	}
	if o.Batch <= 0 {
		o.Batch = 64 << 10
	}
	if o.Interval <= 0 {
		o.Interval = 50 * time.Millisecond
	}
	l := &LogWriter{w: w, limit: o.Limit, batch: min(o.Batch, o.Limit), interval: o.Interval,
		wake: make(chan struct{}, 1), full: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go l.run()
	return l
}

// Write writes p, one or more whole lines (a slog handler writes one record per call), after the
// access lines buffered before it, before returning: these lines are never dropped, and whoever
// logs an event finds it in the output when the call returns.
func (l *LogWriter) Write(p []byte) (int, error) {
	if !l.appendLine(p, false) {
		l.wmu.Lock()
		defer l.wmu.Unlock()
		return l.w.Write(p)
	}
	return len(p), l.Flush()
}

// appendLine buffers a copy of p, reporting false when the writer is closed, or when p is an
// access line (droppable) and the buffer is at its limit, which counts a drop.
func (l *LogWriter) appendLine(p []byte, droppable bool) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		if droppable {
			l.dropped.Add(1)
		}
		return false
	}
	if droppable && len(l.buf)+len(p) > l.limit {
		l.mu.Unlock()
		l.dropped.Add(1)
		return false
	}
	wasEmpty := len(l.buf) == 0
	l.buf = append(l.buf, p...)
	big := len(l.buf) >= l.batch
	l.mu.Unlock()
	if wasEmpty {
		signal(l.wake)
	}
	if big {
		signal(l.full)
	}
	return true
}

// signal wakes the writer goroutine without ever waiting for it.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Dropped is how many access lines were dropped because the output fell behind.
func (l *LogWriter) Dropped() uint64 { return l.dropped.Load() }

func (l *LogWriter) run() {
	defer close(l.stopped)
	t := time.NewTimer(l.interval)
	t.Stop()
	for {
		select {
		case <-l.wake:
		case <-l.full:
		case <-l.done:
			return
		}
		// Give the lines of other requests a moment to join this one, unless a batch is ready.
		t.Reset(l.interval)
		select {
		case <-t.C:
		case <-l.full:
			t.Stop()
		case <-l.done:
			t.Stop()
			return
		}
		_ = l.Flush()
	}
}

// Flush writes everything buffered so far, waiting for the write.
func (l *LogWriter) Flush() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	b := l.buf
	l.buf = l.spare[:0]
	l.mu.Unlock()
	if len(b) == 0 {
		l.spare = b
		return nil
	}
	_, err := l.w.Write(b)
	if cap(b) <= 2*l.limit {
		l.spare = b[:0]
	} else {
		l.spare = nil
	}
	return err
}

// Close writes every buffered line and stops the writer; later lines are written at once
// (access lines are dropped). It is safe to call more than once.
func (l *LogWriter) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		<-l.stopped
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		err = l.Flush()
	})
	return err
}

// accessLine is one request's access-log line, formatted as slog's JSONHandler formats the same
// record (key order, escaping, time and number formats), without its reflection and allocation.
type accessLine struct{ b []byte }

// newAccessLines is the pool a Server takes its access-line buffers from.
func newAccessLines() *sync.Pool {
	return &sync.Pool{New: func() any { return &accessLine{b: make([]byte, 0, 512)} }}
}

func (a *accessLine) begin(t time.Time, level slog.Level, msg string) {
	a.b = append(a.b[:0], `{"time":"`...)
	a.b = t.AppendFormat(a.b, time.RFC3339Nano)
	a.b = append(a.b, `","level":"`...)
	a.b = append(a.b, level.String()...)
	a.b = append(a.b, '"')
	a.str("msg", msg)
}

func (a *accessLine) key(k string) {
	a.b = append(a.b, ',', '"')
	a.b = append(a.b, k...)
	a.b = append(a.b, '"', ':')
}

func (a *accessLine) str(k, v string) {
	a.key(k)
	a.b = append(a.b, '"')
	a.b = appendJSONString(a.b, v)
	a.b = append(a.b, '"')
}

func (a *accessLine) int(k string, v int) {
	a.key(k)
	a.b = strconv.AppendInt(a.b, int64(v), 10)
}

// float writes a non-negative number as encoding/json does for values from 1e-6 to 1e21 (and 0),
// which is every duration in milliseconds a request can take.
func (a *accessLine) float(k string, v float64) {
	a.key(k)
	a.b = strconv.AppendFloat(a.b, v, 'f', -1, 64)
}

func (a *accessLine) end() { a.b = append(a.b, '}', '\n') }

// appendJSONString escapes s as slog's JSON handler does: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced, U+2028 and U+2029 escaped, HTML left alone.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}
