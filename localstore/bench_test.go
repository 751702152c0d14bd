package localstore

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
	"github.com/klauspost/compress/zstd"
)

// snapshotEncodings are a 5,000-vehicle snapshot of the simulator's realistic vehicles as plain
// JSON and as the cache stores it in Redis (JSON, zstd at the default level, behind a two-byte
// tag; cache's codec is unexported, so the same steps are repeated here).
func snapshotEncodings(b *testing.B) map[string][]byte {
	b.Helper()
	snap := inventory.NewSnapshot("bench", hriznsim.Generate(1, 5000), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "full")
	js, err := json.Marshal(snap)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		b.Fatal(err)
	}
	return map[string][]byte{"json": js, "zstd-json": enc.EncodeAll(js, []byte{'S', 1})}
}

// BenchmarkSnapshot5000 measures Put (temp file, fsync, rename, directory fsync) and Get (read,
// header and CRC-32C check) of one 5,000-vehicle snapshot record, with its size in bytes.
func BenchmarkSnapshot5000(b *testing.B) {
	for _, name := range []string{"json", "zstd-json"} {
		data := snapshotEncodings(b)[name]
		b.Run("put/"+name, func(b *testing.B) {
			s := open(b)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := s.Put("bench", "snapshot", data); err != nil {
					b.Fatal(err)
				}
			}
			// After the loop: b.Loop's timer reset would drop a metric reported before it.
			b.ReportMetric(float64(len(data)), "bytes/record")
		})
		b.Run("get/"+name, func(b *testing.B) {
			s := open(b)
			if err := s.Put("bench", "snapshot", data); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				got, ok, err := s.Get("bench", "snapshot")
				if err != nil || !ok || !bytes.Equal(got[:16], data[:16]) {
					b.Fatal(ok, err)
				}
			}
			b.ReportMetric(float64(len(data)), "bytes/record")
		})
	}
}
