package gateway

import (
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// LogWriter is a buffered, asynchronous writer of log lines: a request leaves its access-log
// record (its fields, not yet masked or formatted) in one of a few buffers under a short lock
// and goes on; a goroutine of its own masks, formats and writes the buffers in batches. The
// masking and formatting run there, in a loop over a batch, rather than in each request, where
// their code and data would be fetched anew every time. A slow or blocked output never stalls a
// request: past the buffers' limit, access lines are dropped and counted
// (feedgate_access_log_dropped_total) instead. Other log lines (those a slog handler writes
// through Write: events, rare) are never dropped and are written at once, after every access
// line buffered before them, as a synchronous logger would write them. Close writes everything
// still buffered, so no line is lost at shutdown.
//
// The buffers are shards: a request takes the first one whose lock is free, starting from one
// its core tends to keep, so that requests on other cores neither queue behind each other's copy
// nor pass a lock's cache line back and forth (one lock was the gateway's most contended one
// under load). Lines within one batch (at most Interval apart) may be written out of time order,
// which log stores sort by their time field anyway; a line never splits or mixes with another.
type LogWriter struct {
	w        io.Writer
	limit    int // per shard
	batch    int // per shard
	interval time.Duration
	// keepRecords is the largest record slice a shard keeps between batches: four batches' worth
	// (a record's line is estimated at 200 bytes or more), where one burst could leave the limit's.
	keepRecords int

	shards  []logShard
	closed  atomic.Bool
	wmu     sync.Mutex // serialises writes to w; guards out, stamp and the shards' spare
	out     []byte
	stamp   timeStamp
	dropped atomic.Uint64

	wake, full chan struct{}
	done       chan struct{}
	stopped    chan struct{}
	closeOnce  sync.Once
}

// logShard is one of a LogWriter's buffers, padded to its own cache lines so that two cores
// appending to neighbouring shards do not contend for one.
type logShard struct {
	mu   sync.Mutex
	recs []accessRecord
	size int // the estimated bytes of recs' lines (accessRecord.size)
	// spare is the writer's: the slice recs was swapped for at the last collect, emptied.
	spare []accessRecord
	_     [64]byte
}

// LogWriterOptions tunes a LogWriter; zero values take the defaults.
type LogWriterOptions struct {
	// Limit is how many bytes may wait to be written before access lines are dropped (default
	// 4 MiB), as estimated before they are formatted.
	Limit int
	// Batch is the buffered size that is written at once, without waiting (default 64 KiB).
	Batch int
	// Interval is the longest a line waits for others to join its batch (default 50ms).
	Interval time.Duration
	// Shards is how many buffers requests append to (default twice GOMAXPROCS, at most 64).
	Shards int
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
	if o.Shards <= 0 {
		o.Shards = min(64, 2*runtime.GOMAXPROCS(0))
	}
	l := &LogWriter{w: w, limit: max(1, o.Limit/o.Shards), batch: max(1, min(o.Batch, o.Limit)/o.Shards),
		interval: o.Interval, shards: make([]logShard, o.Shards),
		wake: make(chan struct{}, 1), full: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	l.keepRecords = 4 * (l.batch/200 + 1)
	go l.run()
	return l
}

// Write writes p, one or more whole lines (a slog handler writes one record per call), after the
// access lines buffered before it, before returning: these lines are never dropped, and whoever
// logs an event finds it in the output when the call returns.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.collectLocked()
	l.out = append(l.out, p...)
	if err := l.writeOutLocked(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// appendRecord buffers a copy of the access record r in the first shard that has room for it,
// looking from shard hint on; the record is dropped and counted when the writer is closed or
// every shard is at its limit. A caller passes the same hint from the same core as far as it can
// (the gateway passes its pooled per-request state's shard, which the pool keeps on the core that
// put it back), so that the cores append to shards of their own and no shard's lock moves between
// them.
func (l *LogWriter) appendRecord(r *accessRecord, hint int) bool {
	if l.closed.Load() {
		l.dropped.Add(1)
		return false
	}
	size := r.size()
	// First the shards no other request holds, then, all being busy or full, each in turn.
	n := len(l.shards)
	hint %= n
	for _, wait := range [2]bool{false, true} {
		for j := range n {
			s := &l.shards[(hint+j)%n]
			if wait {
				s.mu.Lock()
			} else if !s.mu.TryLock() {
				continue
			}
			if l.closed.Load() {
				s.mu.Unlock()
				l.dropped.Add(1)
				return false
			}
			if s.size+size > l.limit {
				s.mu.Unlock()
				continue
			}
			wasEmpty := s.size == 0
			s.recs = append(s.recs, *r)
			s.size += size
			big := s.size >= l.batch
			s.mu.Unlock()
			if wasEmpty {
				signal(l.wake)
			}
			if big {
				signal(l.full)
			}
			return true
		}
	}
	l.dropped.Add(1)
	return false
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
	l.collectLocked()
	return l.writeOutLocked()
}

// collectLocked masks and formats every shard's records into l.out, shard by shard; l.wmu is
// held. A shard's records are swapped for its spare slice under its lock and formatted after, so
// that requests never wait for the formatting.
func (l *LogWriter) collectLocked() {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		recs := s.recs
		s.recs, s.size = s.spare[:0], 0
		s.mu.Unlock()
		for j := range recs {
			l.out = recs[j].appendLine(l.out, &l.stamp)
		}
		clear(recs) // keeps no request's strings alive
		if cap(recs) > l.keepRecords {
			recs = nil // a burst's slice is not kept for the calm after it
		}
		s.spare = recs
	}
}

// writeOutLocked writes l.out and empties it, keeping its memory unless a burst made it large;
// l.wmu is held.
func (l *LogWriter) writeOutLocked() error {
	if len(l.out) == 0 {
		return nil
	}
	_, err := l.w.Write(l.out)
	if cap(l.out) <= 2*l.limit*len(l.shards) {
		l.out = l.out[:0]
	} else {
		l.out = nil
	}
	return err
}

// Close writes every buffered line and stops the writer; later access lines are dropped, other
// lines are written at once. It is safe to call more than once.
func (l *LogWriter) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		<-l.stopped
		// An append that holds a shard's lock now finishes before the final Flush takes that
		// lock; every later one sees closed and drops its line.
		l.closed.Store(true)
		err = l.Flush()
	})
	return err
}

// timeStamp keeps the formatted second of the last access line's time (accessFields.format):
// lines come in time order, mostly many within a second, so only the fraction is formatted per
// line.
type timeStamp struct {
	sec   int64          // the unix second stamp holds, valid when loc is not nil
	loc   *time.Location // the location stamp was formatted in
	stamp []byte         // "2006-01-02T15:04:05" and the zone ("Z" or "+01:00")
}

// appendTime appends t as t.AppendFormat(b, time.RFC3339Nano) would.
func (a *timeStamp) appendTime(b []byte, t time.Time) []byte {
	const secLen = len("2006-01-02T15:04:05")
	if sec := t.Unix(); a.loc != t.Location() || a.sec != sec {
		// A new second: check its year (a stamp is only kept for four-digit years) and format it.
		if y := t.Year(); y < 0 || y > 9999 {
			return t.AppendFormat(b, time.RFC3339Nano)
		}
		a.stamp = t.AppendFormat(a.stamp[:0], time.RFC3339) // no fraction: RFC3339 drops it
		a.sec, a.loc = sec, t.Location()
	}
	b = append(b, a.stamp[:secLen]...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, a.stamp[secLen:]...)
}

// appendMillis appends us microseconds as milliseconds, exactly as encoding/json writes the
// float64 us/1000 (for 0 ≤ us < 2^53 the shortest decimal that reads back as that float is
// us/1000's own decimal: digits, then up to three decimals without trailing zeros), without float
// formatting.
func appendMillis(b []byte, us int64) []byte {
	b = strconv.AppendInt(b, us/1000, 10)
	if f := us % 1000; f != 0 {
		d := [4]byte{'.', byte('0' + f/100), byte('0' + f/10%10), byte('0' + f%10)}
		n := 4
		for d[n-1] == '0' {
			n--
		}
		b = append(b, d[:n]...)
	}
	return b
}

// appendJSONString escapes s as slog's JSON handler does: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced, U+2028 and U+2029 escaped, HTML left alone.
func appendJSONString(b []byte, s string) []byte {
	// Most values (ids, routes, paths, addresses) need no escape: one scan, one copy.
	i := 0
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	return appendJSONEscaped(append(b, s[:i]...), s[i:])
}

// jsonPlain marks the bytes appendJSONString copies as they are: printable ASCII but the quote
// and the backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONEscaped is appendJSONString past its plain prefix.
func appendJSONEscaped(b []byte, s string) []byte {
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
