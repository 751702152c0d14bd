package cache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"unsafe"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// The sizing benchmarks measure what the memory formula in docs/operations.md is built from; they
// report numbers and assert none:
//
//	go test -run '^$' -bench 'Resident' -benchtime 1x ./cache/
//
// sizingTenants × sizingVehicles is the sample: the 150 vehicles a tenant, over enough
// tenants that the per-vehicle figure does not depend on one inventory's draw.
const (
	sizingTenants  = 40
	sizingVehicles = 150
)

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// sizingBlobs is the tenants' snapshots of a profile as Redis and the local store hold them.
func sizingBlobs(b *testing.B, cd *codec, profile string) [][]byte {
	blobs := make([][]byte, sizingTenants)
	for i := range blobs {
		vs, err := hriznsim.GenerateProfile(profile, int64(i+1), sizingVehicles)
		if err != nil {
			b.Fatal(err)
		}
		snap := inventory.NewSnapshot(fmt.Sprintf("t%d", i), vs, hriznsim.BaseTime(), "feed")
		if blobs[i], err = cd.encodeSnapshot(snap); err != nil {
			b.Fatal(err)
		}
	}
	return blobs
}

// BenchmarkSnapshotResident measures the heap one vehicle of a snapshot holds as the cache keeps
// it: decoded from its stored form (zstd JSON, as read from Redis or the local store, which is also
// the shape an upstream sync decodes from JSON), sizingTenants snapshots at once, after a GC.
// "B/vehicle" is that heap, "stored-B/vehicle" the compressed record in Redis.
func BenchmarkSnapshotResident(b *testing.B) {
	cd, err := newCodec()
	if err != nil {
		b.Fatal(err)
	}
	defer cd.close()
	forms := []struct {
		name   string
		decode func([]byte) (*inventory.Snapshot, error)
	}{
		{"decoded", func(bl []byte) (*inventory.Snapshot, error) { return decodePlain(cd, bl) }},
		{"compact", cd.decodeSnapshot},
	}
	for _, profile := range hriznsim.Profiles() {
		blobs := sizingBlobs(b, cd, profile)
		stored := 0
		for _, bl := range blobs {
			stored += len(bl)
		}
		for _, form := range forms {
			b.Run("profile="+profile+"/form="+form.name, func(b *testing.B) {
				var perVehicle float64
				for b.Loop() {
					held := make([]*inventory.Snapshot, len(blobs))
					before := liveHeap()
					for i, bl := range blobs {
						if held[i], err = form.decode(bl); err != nil {
							b.Fatal(err)
						}
					}
					after := liveHeap()
					perVehicle = float64(after-before) / float64(sizingTenants*sizingVehicles)
					runtime.KeepAlive(held)
				}
				b.ReportMetric(perVehicle, "B/vehicle")
				b.ReportMetric(float64(stored)/float64(sizingTenants*sizingVehicles), "stored-B/vehicle")
			})
		}
	}
}

// decodePlain is decodeSnapshot without inventory.Compact: the form every snapshot had before,
// and the one an upstream sync still builds until it is compacted.
func decodePlain(cd *codec, b []byte) (*inventory.Snapshot, error) {
	js, err := cd.dec.DecodeAll(b[2:], nil)
	if err != nil {
		return nil, err
	}
	s := &inventory.Snapshot{}
	return s, json.Unmarshal(js, s)
}

// BenchmarkOutputResident measures, per format, what one cached output costs per vehicle of its
// tenant's inventory: the rendered body and its gzip copy as the cache stores them (lengths), and
// what a freshly rendered output keeps allocated (capacities: a body grown in a bytes.Buffer, as
// publish.Render and the drop-in API render, holds more than its length until it is evicted).
// Outputs read back from Redis hold exactly their lengths.
func BenchmarkOutputResident(b *testing.B) {
	cd, err := newCodec()
	if err != nil {
		b.Fatal(err)
	}
	defer cd.close()
	defs, err := transform.LoadTemplates(templates.FS())
	if err != nil {
		b.Fatal(err)
	}
	reg, err := transform.NewRegistry(append(transform.Builtins(), defs...)...)
	if err != nil {
		b.Fatal(err)
	}
	vs, err := hriznsim.GenerateProfile(hriznsim.ProfileRealistic, 1, sizingVehicles)
	if err != nil {
		b.Fatal(err)
	}
	lat, lon := 39.78, -89.65
	in := transform.Input{
		Snapshot: inventory.NewSnapshot("t", vs, hriznsim.BaseTime(), "feed"),
		Dealer: inventory.Dealer{Name: "Sizing Motors", Website: "https://dealer.example",
			VDPURL: "https://dealer.example/inventory/{vin}", Phone: "+1 217 555 0100", StoreCode: "S1",
			Address:  inventory.Address{Street: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
			Latitude: &lat, Longitude: &lon},
	}
	for _, w := range reg.Writers() {
		b.Run("format="+w.Name(), func(b *testing.B) {
			var raw, gz, held int
			for b.Loop() {
				var buf bytes.Buffer
				if _, err := w.Write(&buf, in); err != nil {
					b.Fatal(err)
				}
				body := buf.Bytes()
				z, err := cd.gzip(body)
				if err != nil {
					b.Fatal(err)
				}
				raw, gz, held = len(body), len(z), cap(body)+cap(z)
			}
			n := float64(sizingVehicles)
			b.ReportMetric(float64(raw)/n, "raw-B/vehicle")
			b.ReportMetric(float64(gz)/n, "gzip-B/vehicle")
			b.ReportMetric(float64(held)/n, "rendered-held-B/vehicle")
		})
	}
}

// TestDecodedSnapshotIsCompact checks that a snapshot read back from Redis or the local store
// comes compacted: two decodes share their repeated strings and keep every value.
func TestDecodedSnapshotIsCompact(t *testing.T) {
	cd, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	defer cd.close()
	vs, err := hriznsim.GenerateProfile(hriznsim.ProfileRealistic, 1, sizingVehicles)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := cd.encodeSnapshot(inventory.NewSnapshot("t1", vs, hriznsim.BaseTime(), "feed"))
	if err != nil {
		t.Fatal(err)
	}
	a, errA := cd.decodeSnapshot(blob)
	b, errB := cd.decodeSnapshot(blob)
	plain, errP := decodePlain(cd, blob)
	if errA != nil || errB != nil || errP != nil {
		t.Fatal(errA, errB, errP)
	}
	if !reflect.DeepEqual(a, plain) {
		t.Fatal("the decoded snapshot differs from its plain decode")
	}
	for i := range a.Vehicles {
		if x, y := a.Vehicles[i].Model, b.Vehicles[i].Model; unsafe.StringData(x) != unsafe.StringData(y) {
			t.Fatalf("vehicle %d: model %q is held once per decode, not shared", i, x)
		}
	}
}
