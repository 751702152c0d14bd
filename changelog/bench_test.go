package changelog

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/localstore"
)

// BenchmarkLocalAppendFull measures an append to a local change log that holds the full 1,000
// entries (each a typical sync: two VINs added, one sold, three price changes), which rewrites
// the whole record durably; it reports the record's size.
func BenchmarkLocalAppendFull(b *testing.B) {
	st, err := localstore.Open(b.TempDir(), localstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	clk := testclock.New(t0)
	typical := func(n int) Entry {
		p := inventory.Ptr[float64]
		vin := func(k int) string { return fmt.Sprintf("1HGCM82633A%06d", n*10+k) }
		return Entry{At: clk.Now(), Version: fmt.Sprintf("%032x", n), Vehicles: 150,
			Added: []string{vin(0), vin(1)}, Removed: []string{vin(2)},
			PriceChanges: []inventory.PriceChange{{VIN: vin(3), Old: p(21990), New: p(20990)},
				{VIN: vin(4), Old: p(18500), New: p(17995)}, {VIN: vin(5), Old: nil, New: p(32000)}},
			OtherChanged: 4}
	}
	var rec []byte
	for n := range DefaultMaxEntries {
		js, err := json.Marshal(typical(n))
		if err != nil {
			b.Fatal(err)
		}
		rec = fmt.Appendf(rec, "%d %s\n", clk.Now().UnixMilli(), js)
		clk.Advance(time.Minute)
	}
	if err := st.Put("t1", recordName, rec); err != nil {
		b.Fatal(err)
	}
	l := NewLocal(st, Options{Now: clk.Now})
	ctx := context.Background()
	n := DefaultMaxEntries
	for b.Loop() {
		clk.Advance(time.Minute)
		if err := l.Append(ctx, "t1", typical(n)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(len(rec)), "bytes/record")
}
