package changelog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// localRecord is the payload of a tenant's record: entries oldest first.
type localRecord struct {
	Entries []stored `json:"entries"`
}

func (l *localBackend) append(_ context.Context, tenant string, e Entry, minSeq int64, keep int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec, err := l.read(tenant)
	if err != nil {
		return err
	}
	var last int64
	if n := len(rec.Entries); n > 0 {
		last = rec.Entries[n-1].Seq
	}
	entries := append(rec.Entries, stored{Seq: nextSeq(e.At, last), Entry: e})
	first := 0
	for first < len(entries) && entries[first].Seq < minSeq {
		first++
	}
	first = max(first, len(entries)-keep)
	rec.Entries = entries[first:]
	js, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("changelog: encode: %w", err)
	}
	if err := l.store.Put(tenant, recordName, js); err != nil {
		return fmt.Errorf("changelog: %w", err)
	}
	return nil
}

func (l *localBackend) page(_ context.Context, tenant string, before, minSeq int64, n int) ([]stored, error) {
	l.mu.Lock()
	rec, err := l.read(tenant)
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]stored, 0, n)
	for i := len(rec.Entries) - 1; i >= 0 && len(out) < n; i-- {
		s := rec.Entries[i]
		if s.Seq < minSeq {
			break
		}
		if before == 0 || s.Seq < before {
			out = append(out, s)
		}
	}
	return out, nil
}

// read loads a tenant's record; a missing or corrupt one is an empty log (a corrupt one is logged
// and set aside first, so it is reported once).
func (l *localBackend) read(tenant string) (localRecord, error) {
	var rec localRecord
	data, ok, err := l.store.Get(tenant, recordName)
	var cerr *localstore.CorruptError
	if errors.As(err, &cerr) {
		attrs := []any{"tenant", tenant, "path", cerr.Path, "reason", cerr.Reason}
		if dst, qerr := l.store.Quarantine(cerr); qerr != nil {
			attrs = append(attrs, "quarantine_err", qerr)
		} else if dst != "" {
			attrs = append(attrs, "moved_to", dst)
		}
		l.log.Warn("changelog: ignoring a corrupt change log", attrs...)
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("changelog: %w", err)
	}
	if !ok {
		return rec, nil
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		// The checksum matched, so this is a record of another shape, not a damaged one.
		l.log.Warn("changelog: ignoring an unreadable change log", "tenant", tenant, "err", err)
		return localRecord{}, nil
	}
	return rec, nil
}
