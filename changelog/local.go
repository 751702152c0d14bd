package changelog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/feedgate/feedgate/localstore"
)

// recordName is the change log's record in each tenant's directory of the local store.
const recordName = "changes"

// NewLocal returns a Log kept in the local store, for the embedded default without Redis: one
// record per tenant holding its retained entries, rewritten atomically on each append. A corrupt
// record is logged with its path, set aside and read as an empty log.
func NewLocal(store *localstore.Store, opts Options) *Log {
	opts = opts.withDefaults()
	return &Log{b: &localBackend{store: store, log: opts.Logger}, opts: opts}
}

type localBackend struct {
	store *localstore.Store
	log   *slog.Logger
	mu    sync.Mutex // serializes read-modify-write of a record within this process
}

// A record holds one line per entry, oldest first, each "<seq> <entry JSON>" like a Redis member
// (JSON never holds a raw newline). An append reads only the sequences, so it costs a scan of the
// record, not a decode of every entry.
type line struct {
	seq  int64
	text []byte // the whole line without its newline
}

func (l *localBackend) append(_ context.Context, tenant string, e Entry, minSeq int64, keep int) error {
	js, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("changelog: encode entry: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.read(tenant)
	var last int64
	if n := len(lines); n > 0 {
		last = lines[n-1].seq
	}
	seq := nextSeq(e.At, last)
	first := 0
	for first < len(lines) && lines[first].seq < minSeq {
		first++
	}
	lines = lines[max(first, len(lines)+1-keep):]
	var buf bytes.Buffer
	for _, ln := range lines {
		buf.Write(ln.text)
		buf.WriteByte('\n')
	}
	buf.WriteString(strconv.FormatInt(seq, 10))
	buf.WriteByte(' ')
	buf.Write(js)
	buf.WriteByte('\n')
	if err := l.store.Put(tenant, recordName, buf.Bytes()); err != nil {
		return fmt.Errorf("changelog: %w", err)
	}
	return nil
}

func (l *localBackend) page(_ context.Context, tenant string, before, minSeq int64, n int) ([]stored, error) {
	l.mu.Lock()
	lines := l.read(tenant)
	l.mu.Unlock()
	out := make([]stored, 0, min(n, len(lines)))
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if lines[i].seq < minSeq {
			break
		}
		if before != 0 && lines[i].seq >= before {
			continue
		}
		s, err := decodeMember(string(lines[i].text))
		if err != nil {
			l.log.Warn("changelog: skipping an unreadable entry", "tenant", tenant, "err", err)
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// read returns a tenant's lines. A missing record is an empty log; so is one that cannot be read
// or failed its checks, which is logged with its path and, if corrupt, set aside so it is
// reported once: the log is history, worth less than the sync that records the next change.
func (l *localBackend) read(tenant string) []line {
	data, ok, err := l.store.Get(tenant, recordName)
	var cerr *localstore.CorruptError
	switch {
	case errors.As(err, &cerr):
		attrs := []any{"tenant", tenant, "path", cerr.Path, "reason", cerr.Reason}
		if dst, qerr := l.store.Quarantine(cerr); qerr != nil {
			attrs = append(attrs, "quarantine_err", qerr)
		} else if dst != "" {
			attrs = append(attrs, "moved_to", dst)
		}
		l.log.Warn("changelog: ignoring a corrupt change log", attrs...)
		return nil
	case err != nil:
		l.log.Warn("changelog: cannot read the change log", "tenant", tenant, "err", err)
		return nil
	case !ok:
		return nil
	}
	lines := make([]line, 0, bytes.Count(data, []byte{'\n'}))
	for len(data) > 0 {
		text, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		seqText, _, found := bytes.Cut(text, []byte{' '})
		seq, err := strconv.ParseInt(string(seqText), 10, 64)
		if !found || err != nil {
			l.log.Warn("changelog: skipping a line without a sequence", "tenant", tenant)
			continue
		}
		lines = append(lines, line{seq: seq, text: text})
	}
	return lines
}
