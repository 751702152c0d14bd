package transform_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// BenchmarkWrite renders 10,000 and 100,000 vehicles in every registered format (the built-ins
// and the embedded template channels) from the simulator's realistic inventory, hostile text and
// vehicles a channel must leave out included, with a dealer complete enough for every channel.
// It reports time, output bytes and allocations per vehicle:
//
//	go test ./transform -run '^$' -bench '^BenchmarkWrite$' -benchtime 1x
func BenchmarkWrite(b *testing.B) {
	writers := allWriters(b)
	lat, lon := 39.78, -89.65
	dealer := inventory.Dealer{
		Name: "Sunset Honda", Website: "https://www.sunsethonda.example",
		VDPURL: "https://www.sunsethonda.example/inventory/{vin}", Phone: "+1 217 555 0100", StoreCode: "SH-001",
		Address:  inventory.Address{Street: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
		Latitude: &lat, Longitude: &lon,
	}
	for _, n := range []int{10_000, 100_000} {
		in := transform.Input{
			Snapshot: inventory.NewSnapshot("bench", hriznsim.Generate(1, n), hriznsim.BaseTime(), "bench"),
			Dealer:   dealer,
			Options:  transform.Options{FeedURL: "https://feeds.example/feeds/sunset-honda/all"},
		}
		for _, w := range writers {
			b.Run(fmt.Sprintf("format=%s/vehicles=%d", w.Name(), n), func(b *testing.B) {
				var buf bytes.Buffer
				b.ReportAllocs()
				for b.Loop() {
					buf.Reset()
					if _, err := w.Write(&buf, in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/vehicle")
				b.ReportMetric(float64(buf.Len())/float64(n), "bytes/vehicle")
			})
		}
	}
}
