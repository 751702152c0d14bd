package changelog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/syncbuf"
	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/internal/testredis"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/localstore"
	"github.com/redis/go-redis/v9"
)

var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// backend builds a Log of one kind for a test; replica gives another Log over the same storage,
// as a second process would have.
type kind struct {
	name  string
	start func(t *testing.T) (newLog func(Options) *Log)
}

var kinds = []kind{
	{"redis", func(t *testing.T) func(Options) *Log {
		srv := testredis.Start(t)
		return func(o Options) *Log { return NewRedis(srv.Client(), "fg:", o) }
	}},
	{"local", func(t *testing.T) func(Options) *Log {
		st, err := localstore.Open(t.TempDir(), localstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return func(o Options) *Log { return NewLocal(st, o) }
	}},
}

func each(t *testing.T, f func(t *testing.T, newLog func(Options) *Log)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { f(t, k.start(t)) })
	}
}

// entry is a change at at; n tells entries apart.
func entry(at time.Time, n int) Entry {
	return Entry{At: at, Version: fmt.Sprintf("v%d", n), Vehicles: 100 + n,
		Added: []string{fmt.Sprintf("1HGCM82633A%06d", n)}, Removed: []string{}, PriceChanges: []inventory.PriceChange{}}
}

func mustAppend(t *testing.T, l *Log, tenant string, e Entry) {
	t.Helper()
	if err := l.Append(context.Background(), tenant, e); err != nil {
		t.Fatal(err)
	}
}

func mustList(t *testing.T, l *Log, tenant, cursor string, limit int) ([]Entry, string) {
	t.Helper()
	es, next, err := l.List(context.Background(), tenant, cursor, limit)
	if err != nil {
		t.Fatal(err)
	}
	return es, next
}

// versions lists entries by version, newest first as List returns them.
func versions(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Version
	}
	return out
}

func listAll(t *testing.T, l *Log, tenant string, limit int) []string {
	t.Helper()
	var all []string
	cursor := ""
	for range 100 {
		es, next := mustList(t, l, tenant, cursor, limit)
		all = append(all, versions(es)...)
		if next == "" {
			return all
		}
		cursor = next
	}
	t.Fatal("List never ended")
	return nil
}

func TestAppendAndPaginate(t *testing.T) {
	each(t, func(t *testing.T, newLog func(Options) *Log) {
		clk := testclock.New(t0)
		l := newLog(Options{Now: clk.Now})
		for n := 1; n <= 5; n++ {
			mustAppend(t, l, "t1", entry(clk.Now(), n))
			clk.Advance(time.Minute)
		}
		es, next := mustList(t, l, "t1", "", 2)
		if got := versions(es); !slices.Equal(got, []string{"v5", "v4"}) || next == "" {
			t.Fatalf("first page = %v, next %q", got, next)
		}
		// The entry comes back as it went in.
		want, _ := json.Marshal(entry(t0.Add(4*time.Minute), 5))
		if got, _ := json.Marshal(es[0]); string(got) != string(want) {
			t.Fatalf("entry =\n%s\nwant\n%s", got, want)
		}
		// New entries appended between pages do not shift the next page.
		mustAppend(t, l, "t1", entry(clk.Now(), 6))
		es, next = mustList(t, l, "t1", next, 2)
		if got := versions(es); !slices.Equal(got, []string{"v3", "v2"}) || next == "" {
			t.Fatalf("second page = %v, next %q", got, next)
		}
		es, next = mustList(t, l, "t1", next, 2)
		if got := versions(es); !slices.Equal(got, []string{"v1"}) || next != "" {
			t.Fatalf("last page = %v, next %q", got, next)
		}
		if got := listAll(t, l, "t1", 0); !slices.Equal(got, []string{"v6", "v5", "v4", "v3", "v2", "v1"}) {
			t.Fatalf("default page = %v", got)
		}
		if es, next := mustList(t, l, "other", "", 10); len(es) != 0 || next != "" {
			t.Fatalf("another tenant sees %v", versions(es))
		}
	})
}

func TestSameInstantKeepsAppendOrder(t *testing.T) {
	each(t, func(t *testing.T, newLog func(Options) *Log) {
		clk := testclock.New(t0)
		l := newLog(Options{Now: clk.Now})
		for n := 1; n <= 4; n++ {
			mustAppend(t, l, "t1", entry(t0, n)) // the clock never moves
		}
		if got := listAll(t, l, "t1", 1); !slices.Equal(got, []string{"v4", "v3", "v2", "v1"}) {
			t.Fatalf("entries = %v", got)
		}
	})
}

func TestEmptyEntryIsNotRecorded(t *testing.T) {
	each(t, func(t *testing.T, newLog func(Options) *Log) {
		l := newLog(Options{})
		mustAppend(t, l, "t1", Entry{At: t0, Version: "same", Vehicles: 10})
		if es, _ := mustList(t, l, "t1", "", 10); len(es) != 0 {
			t.Fatalf("an unchanged sync was recorded: %v", versions(es))
		}
	})
}

// TestRetention: the last MaxAge or the last MaxEntries, whichever keeps fewer.
func TestRetention(t *testing.T) {
	each(t, func(t *testing.T, newLog func(Options) *Log) {
		clk := testclock.New(t0)
		l := newLog(Options{Now: clk.Now, MaxAge: 24 * time.Hour, MaxEntries: 3})

		// The count limit keeps fewer: 5 entries within a day, 3 kept.
		for n := 1; n <= 5; n++ {
			mustAppend(t, l, "t1", entry(clk.Now(), n))
			clk.Advance(time.Hour)
		}
		if got := listAll(t, l, "t1", 2); !slices.Equal(got, []string{"v5", "v4", "v3"}) {
			t.Fatalf("after 5 appends: %v", got)
		}
		// The age limit keeps fewer: at t0+27h, v3 (appended at t0+2h) is over a day old, v4
		// (t0+3h) exactly a day.
		clk.Advance(22 * time.Hour)
		if got := listAll(t, l, "t1", 2); !slices.Equal(got, []string{"v5", "v4"}) {
			t.Fatalf("a day after v3: %v", got)
		}
		clk.Advance(2 * time.Hour) // now t0+29h: v5 (t0+4h) is too old as well
		if got := listAll(t, l, "t1", 2); len(got) != 0 {
			t.Fatalf("everything is over a day old, still listed: %v", got)
		}
		// Appending trims what is past retention for good.
		mustAppend(t, l, "t1", entry(clk.Now(), 6))
		if got := listAll(t, l, "t1", 2); !slices.Equal(got, []string{"v6"}) {
			t.Fatalf("after a new append: %v", got)
		}
		// An entry already past retention is not recorded.
		mustAppend(t, l, "t1", entry(clk.Now().Add(-25*time.Hour), 7))
		if got := listAll(t, l, "t1", 2); !slices.Equal(got, []string{"v6"}) {
			t.Fatalf("an entry over a day old was recorded: %v", got)
		}
	})
}

// TestRetentionDefaults runs on Redis only: 1,000 appends to the local store rewrite its record
// 1,000 times with fsync, which takes long and tests nothing TestRetention does not.
func TestRetentionDefaults(t *testing.T) {
	srv := testredis.Start(t)
	clk := testclock.New(t0)
	l := NewRedis(srv.Client(), "fg:", Options{Now: clk.Now})
	for n := 1; n <= DefaultMaxEntries+5; n++ {
		mustAppend(t, l, "t1", entry(clk.Now(), n))
		clk.Advance(time.Second)
	}
	got := listAll(t, l, "t1", MaxLimit)
	if len(got) != DefaultMaxEntries || got[0] != fmt.Sprintf("v%d", DefaultMaxEntries+5) {
		t.Fatalf("kept %d entries, newest %s; want %d", len(got), got[0], DefaultMaxEntries)
	}
	clk.Advance(DefaultMaxAge + time.Minute)
	if got := listAll(t, l, "t1", MaxLimit); len(got) != 0 {
		t.Fatalf("after 30 days: %d entries", len(got))
	}
}

func TestBadCursor(t *testing.T) {
	each(t, func(t *testing.T, newLog func(Options) *Log) {
		l := newLog(Options{})
		for _, c := range []string{"not a cursor!", "-5", "0"} {
			if _, _, err := l.List(context.Background(), "t1", c, 10); !errors.Is(err, ErrBadCursor) {
				t.Errorf("List(cursor %q) err = %v, want ErrBadCursor", c, err)
			}
		}
	})
}

func TestPriceDrops(t *testing.T) {
	each(t, func(t *testing.T, newLog func(Options) *Log) {
		clk := testclock.New(t0)
		l := newLog(Options{Now: clk.Now})
		p := inventory.Ptr[float64]
		changes := [][]inventory.PriceChange{
			{{VIN: "A", Old: p(100), New: p(90)}, {VIN: "B", Old: p(50), New: p(60)}},
			{{VIN: "C", Old: nil, New: p(10)}},
			{{VIN: "D", Old: p(30), New: p(20)}, {VIN: "E", Old: p(40), New: p(35)}, {VIN: "F", Old: p(9), New: nil}},
		}
		for n, pc := range changes {
			e := entry(clk.Now(), n)
			e.Added, e.PriceChanges = []string{}, pc
			mustAppend(t, l, "t1", e)
			clk.Advance(time.Hour)
		}
		drops, err := l.PriceDrops(context.Background(), "t1", 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []PriceDrop{
			{VIN: "D", Old: 30, New: 20, At: t0.Add(2 * time.Hour), Version: "v2"},
			{VIN: "E", Old: 40, New: 35, At: t0.Add(2 * time.Hour), Version: "v2"},
			{VIN: "A", Old: 100, New: 90, At: t0, Version: "v0"},
		}
		if !slices.EqualFunc(drops, want, func(a, b PriceDrop) bool {
			return a == b || a.At.Equal(b.At) && a.VIN == b.VIN && a.Old == b.Old && a.New == b.New && a.Version == b.Version
		}) {
			t.Fatalf("PriceDrops =\n%+v\nwant\n%+v", drops, want)
		}
		if drops, _ := l.PriceDrops(context.Background(), "t1", 2); len(drops) != 2 || drops[1].VIN != "E" {
			t.Fatalf("PriceDrops(limit 2) = %+v", drops)
		}
	})
}

func TestNewEntry(t *testing.T) {
	v := func(vin string, price float64) inventory.Vehicle {
		return inventory.Vehicle{VIN: vin, Year: 2020, Make: "Honda", Price: inventory.Ptr(price)}
	}
	prev := inventory.NewSnapshot("t1", []inventory.Vehicle{v("AAA11111111", 10), v("BBB11111111", 20)}, t0, "full")
	next := inventory.NewSnapshot("t1", []inventory.Vehicle{v("AAA11111111", 9), v("CCC11111111", 5)}, t0.Add(time.Hour), "full")
	e := NewEntry(prev, next)
	if !e.At.Equal(t0.Add(time.Hour)) || e.Version != next.Version || e.Vehicles != 2 ||
		!slices.Equal(e.Added, []string{"CCC11111111"}) || !slices.Equal(e.Removed, []string{"BBB11111111"}) ||
		len(e.PriceChanges) != 1 || !e.PriceChanges[0].Drop() {
		t.Fatalf("NewEntry = %+v", e)
	}
	if first := NewEntry(nil, prev); len(first.Added) != 2 || first.Empty() {
		t.Fatalf("first sync's entry = %+v", first)
	}
	if same := NewEntry(prev, prev); !same.Empty() {
		t.Fatalf("an unchanged sync's entry = %+v", same)
	}
}

func TestRedisKeyAndTTL(t *testing.T) {
	srv := testredis.Start(t)
	c := srv.Client()
	clk := testclock.New(t0)
	l := NewRedis(c, "fg:", Options{Now: clk.Now, MaxAge: 2 * time.Hour})
	mustAppend(t, l, "sunset-honda", entry(t0, 1))
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || !slices.Equal(keys, []string{"fg:{sunset-honda}:changes"}) {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	ttl, err := c.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= time.Hour || ttl > 2*time.Hour {
		t.Fatalf("TTL = %v, %v; want about MaxAge (2h)", ttl, err)
	}
	if err := l.Append(ctx, "bad{tenant}", entry(t0, 2)); err == nil {
		t.Fatal("a tenant id with braces was accepted as a hash tag")
	}
	// A member that is not ours is skipped, the rest stays readable.
	if err := c.ZAdd(ctx, keys[0], redisZ(t0.UnixMilli()-1, "garbage")).Err(); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, l, "sunset-honda", 10); !slices.Equal(got, []string{"v1"}) {
		t.Fatalf("entries with a foreign member = %v", got)
	}
}

// TestReplicasAppendAtOnce: replicas appending to one tenant at the same instant never overwrite
// each other's entries (the sequence is taken inside Redis).
func TestReplicasAppendAtOnce(t *testing.T) {
	srv := testredis.Start(t)
	clk := testclock.New(t0)
	logs := []*Log{NewRedis(srv.Client(), "fg:", Options{Now: clk.Now}), NewRedis(srv.Client(), "fg:", Options{Now: clk.Now})}
	var wg sync.WaitGroup
	for r, l := range logs {
		wg.Go(func() {
			for n := range 25 {
				if err := l.Append(context.Background(), "t1", entry(t0, r*100+n)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := listAll(t, logs[0], "t1", 7); len(got) != 50 {
		t.Fatalf("%d entries, want 50", len(got))
	}
}

func TestLocalCorruptLogIsIgnoredAndSetAside(t *testing.T) {
	st, err := localstore.Open(t.TempDir(), localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	clk := testclock.New(t0)
	l := NewLocal(st, Options{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	mustAppend(t, l, "t1", entry(t0, 1))
	path := filepath.Join(st.Dir(), "tenants", "t1", "changes.rec")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, l, "t1", 10); len(got) != 0 {
		t.Fatalf("a truncated log was read: %v", got)
	}
	if out := logs.String(); !strings.Contains(out, path) || !strings.Contains(out, "truncated") {
		t.Fatalf("log lacks the path and reason:\n%s", out)
	}
	if _, err := os.Stat(strings.TrimSuffix(path, ".rec") + ".corrupt"); err != nil {
		t.Fatalf("corrupt log not set aside: %v", err)
	}
	mustAppend(t, l, "t1", entry(t0, 2))
	if got := listAll(t, l, "t1", 10); !slices.Equal(got, []string{"v2"}) {
		t.Fatalf("after the corrupt log: %v", got)
	}

	// A record that passes its checksum but holds lines that are not entries: they are skipped,
	// the entries around them still read, and the next append drops them.
	good, _, err := st.Get("t1", recordName)
	if err != nil {
		t.Fatal(err)
	}
	mixed := append([]byte("no sequence here\n1 {not json\n"), good...)
	if err := st.Put("t1", recordName, mixed); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	mustAppend(t, l, "t1", entry(clk.Now(), 3))
	if got := listAll(t, l, "t1", 10); !slices.Equal(got, []string{"v3", "v2"}) {
		t.Fatalf("with foreign lines: %v", got)
	}
}

func redisZ(score int64, member string) redis.Z {
	return redis.Z{Score: float64(score), Member: member}
}
