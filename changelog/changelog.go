// Package changelog keeps, per tenant, what each sync changed in the inventory: VINs added and
// removed, price changes and a count of other changes, for the admin API, the admin page and the
// price-drops feed. Entries live in Redis when feedgate has one, else in the local store; both
// backends keep the same retention and the same newest-first, cursor-paginated view.
package changelog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Defaults for Options.
const (
	DefaultMaxAge     = 30 * 24 * time.Hour
	DefaultMaxEntries = 1000
	DefaultLimit      = 50
	// MaxLimit caps the entries one List call returns.
	MaxLimit = 1000
)

// ErrBadCursor is returned by List for a cursor it did not hand out (the admin API maps it to
// 400).
var ErrBadCursor = errors.New("changelog: invalid cursor")

// Entry is one sync's changes to a tenant's inventory.
type Entry struct {
	// At is when the sync that made the change finished.
	At time.Time `json:"at"`
	// Version is the content version of the snapshot the sync put in service.
	Version string `json:"version"`
	// Vehicles is how many vehicles that snapshot holds.
	Vehicles     int                     `json:"vehicles"`
	Added        []string                `json:"added"`
	Removed      []string                `json:"removed"`
	PriceChanges []inventory.PriceChange `json:"price_changes"`
	OtherChanged int                     `json:"other_changed"`
}

// NewEntry is the entry for a sync that put next in service after prev (nil on the first sync,
// when every vehicle counts as added), at next's fetch time.
func NewEntry(prev, next *inventory.Snapshot) Entry {
	c := inventory.Diff(prev, next)
	e := Entry{
		Vehicles:     next.Len(),
		Added:        c.Added,
		Removed:      c.Removed,
		PriceChanges: c.PriceChanges,
		OtherChanged: c.OtherChanged,
	}
	if next != nil {
		e.At, e.Version = next.FetchedAt.UTC(), next.Version
	}
	return e
}

// Empty reports whether the entry records no change.
func (e *Entry) Empty() bool {
	return len(e.Added) == 0 && len(e.Removed) == 0 && len(e.PriceChanges) == 0 && e.OtherChanged == 0
}

// PriceDrop is one price reduction, for the price-drops feed.
type PriceDrop struct {
	VIN string    `json:"vin"`
	Old float64   `json:"old"`
	New float64   `json:"new"`
	At  time.Time `json:"at"`
	// Version is the snapshot version that carried the new price.
	Version string `json:"version"`
}

// Options configures a Log; zero values take the defaults.
type Options struct {
	// MaxAge drops entries older than this (default 30 days).
	MaxAge time.Duration
	// MaxEntries keeps at most this many entries per tenant (default 1,000). Whichever of the two
	// limits keeps fewer entries wins.
	MaxEntries int
	// Now is the clock that retention is measured by (default time.Now).
	Now func() time.Time
	// Logger receives corrupt local records (logged with their path, then set aside); nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// stored is an entry with its sequence number: its time in Unix milliseconds, raised where
// needed to one more than the newest entry's, so it orders entries by append and never repeats.
// Retention and cursors work on it.
type stored struct {
	Seq int64
	Entry
}

// backend is what a Log keeps its entries in. append adds e after every existing entry and drops
// entries with a sequence below minSeq and all but the newest keep; page returns up to n entries
// newest first with a sequence below before (0: from the newest) and not below minSeq.
type backend interface {
	append(ctx context.Context, tenant string, e Entry, minSeq int64, keep int) error
	page(ctx context.Context, tenant string, before, minSeq int64, n int) ([]stored, error)
}

// Log is the change log of every tenant, over one backend.
type Log struct {
	b    backend
	opts Options
}

// Append records e for tenant unless it is empty: a sync that found the same inventory is not a
// change, so the retention limit counts changes, not syncs.
func (l *Log) Append(ctx context.Context, tenant string, e Entry) error {
	if e.Empty() {
		return nil
	}
	if e.At.IsZero() {
		e.At = l.opts.Now()
	}
	e.At = e.At.UTC()
	if e.At.UnixMilli() < l.minSeq() {
		return nil // already past retention: it would be dropped at once
	}
	return l.b.append(ctx, tenant, e, l.minSeq(), l.opts.MaxEntries)
}

// minSeq is the oldest sequence retention keeps: entries older than MaxAge are gone even before
// the next append trims them.
func (l *Log) minSeq() int64 {
	return l.opts.Now().Add(-l.opts.MaxAge).UnixMilli()
}

// List returns up to limit of tenant's entries, newest first, after cursor ("" for the newest),
// and the cursor of the next page ("" when there is none). A limit of 0 or less means
// DefaultLimit; over MaxLimit means MaxLimit. Entries appended meanwhile never shift a page.
func (l *Log) List(ctx context.Context, tenant, cursor string, limit int) ([]Entry, string, error) {
	before, err := parseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	page, err := l.b.page(ctx, tenant, before, l.minSeq(), limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(page) > limit {
		page = page[:limit]
		next = formatCursor(page[limit-1].Seq)
	}
	out := make([]Entry, len(page))
	for i := range page {
		out[i] = page[i].Entry
	}
	return out, next, nil
}

// PriceDrops returns tenant's most recent price reductions, newest first (within one sync, by
// VIN), at most limit (DefaultLimit when 0 or less): the content of the price-drops feed.
func (l *Log) PriceDrops(ctx context.Context, tenant string, limit int) ([]PriceDrop, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	var out []PriceDrop
	cursor := ""
	for {
		page, next, err := l.List(ctx, tenant, cursor, MaxLimit)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			for _, p := range e.PriceChanges {
				if !p.Drop() {
					continue
				}
				out = append(out, PriceDrop{VIN: p.VIN, Old: *p.Old, New: *p.New, At: e.At, Version: e.Version})
				if len(out) == limit {
					return out, nil
				}
			}
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

func formatCursor(seq int64) string { return strconv.FormatInt(seq, 36) }

func parseCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	seq, err := strconv.ParseInt(c, 36, 64)
	if err != nil || seq <= 0 {
		return 0, fmt.Errorf("%w %q", ErrBadCursor, c)
	}
	return seq, nil
}

// nextSeq is the sequence of an entry at at appended after one with sequence last.
func nextSeq(at time.Time, last int64) int64 {
	return max(at.UnixMilli(), last+1)
}
