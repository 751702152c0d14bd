package inventory_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"runtime"
	"testing"
	"unsafe"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// decoded is a tenant's snapshot as a sync or the cache decodes it from JSON, with its JSON.
func decoded(t *testing.T, profile string, seed int64) (*inventory.Snapshot, []byte) {
	t.Helper()
	vs, err := hriznsim.GenerateProfile(profile, seed, 150)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(inventory.NewSnapshot("t1", vs, hriznsim.BaseTime(), "feed"))
	if err != nil {
		t.Fatal(err)
	}
	var s inventory.Snapshot
	if err := json.Unmarshal(js, &s); err != nil {
		t.Fatal(err)
	}
	return &s, js
}

func TestCompactKeepsEveryValue(t *testing.T) {
	for _, profile := range hriznsim.Profiles() {
		t.Run(profile, func(t *testing.T) {
			s, js := decoded(t, profile, 1)
			want, _ := decoded(t, profile, 1)
			if got := inventory.Compact(s); got != s {
				t.Fatalf("Compact returned %p, want its argument %p", got, s)
			}
			if !reflect.DeepEqual(s, want) {
				t.Fatal("Compact changed a value")
			}
			after, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, js) {
				t.Error("the compacted snapshot encodes to different JSON")
			}
			if got := inventory.ContentVersion(s.Vehicles); got != s.Version {
				t.Errorf("ContentVersion after Compact = %s, want %s", got, s.Version)
			}
		})
	}
}

func TestCompactSharesRepeatedStrings(t *testing.T) {
	a, _ := decoded(t, hriznsim.ProfileRealistic, 1)
	b, _ := decoded(t, hriznsim.ProfileRealistic, 1) // same content, decoded apart: no sharing yet
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	if same(a.Vehicles[0].Make, b.Vehicles[0].Make) {
		t.Fatal("two decodes already share a string; the test proves nothing")
	}
	inventory.Compact(a)
	// Sharing must outlive a collection: unique drops a value once no Handle to it is left.
	runtime.GC()
	runtime.GC()
	inventory.Compact(b)
	for i := range a.Vehicles {
		va, vb := &a.Vehicles[i], &b.Vehicles[i]
		for _, f := range []struct{ name, x, y string }{
			{"make", va.Make, vb.Make}, {"model", va.Model, vb.Model}, {"body_style", va.BodyStyle, vb.BodyStyle},
			{"exterior_color", va.ExteriorColor, vb.ExteriorColor}, {"fuel_type", va.FuelType, vb.FuelType},
			{"condition", string(va.Condition), string(vb.Condition)},
		} {
			if f.x != "" && !same(f.x, f.y) {
				t.Errorf("vehicle %d: %s %q is held twice across snapshots", i, f.name, f.x)
			}
		}
		for j := range va.Features {
			if !same(va.Features[j], vb.Features[j]) {
				t.Errorf("vehicle %d: feature %q is held twice across snapshots", i, va.Features[j])
			}
		}
		if len(va.Images) > 0 && va.Images[0] == va.ImageURL && !same(va.Images[0], va.ImageURL) {
			t.Errorf("vehicle %d: the main image is held twice", i)
		}
		if va.AIDescription != "" && va.ImageURL != "" &&
			unsafe.Pointer(unsafe.StringData(va.ImageURL)) != unsafe.Add(unsafe.Pointer(unsafe.StringData(va.AIDescription)), len(va.AIDescription)) {
			t.Errorf("vehicle %d: description and main image are not packed together", i)
		}
		if same(va.AIDescription, vb.AIDescription) && va.AIDescription != "" {
			t.Errorf("vehicle %d: a description is shared across snapshots; it is not enum-like", i)
		}
	}
}

func TestCompactNeverWritesSharedArrays(t *testing.T) {
	features := []string{string([]byte("Sunroof")), string([]byte("Navigation"))}
	images := []string{string([]byte("https://cdn.example/a.jpg")), string([]byte("https://cdn.example/b.jpg"))}
	orig := [2][2]*byte{{unsafe.StringData(features[0]), unsafe.StringData(features[1])},
		{unsafe.StringData(images[0]), unsafe.StringData(images[1])}}
	// Two vehicles, as a sync that reuses the previous snapshot's vehicles might hand over: they
	// share the arrays of a snapshot already being read.
	v := inventory.Vehicle{VIN: "1HGBH41JXMN109186", Make: "Honda", Features: features, Images: images, ImageURL: images[0]}
	s := &inventory.Snapshot{Vehicles: []inventory.Vehicle{v, v}}
	inventory.Compact(s)
	for i, arr := range [][]string{features, images} {
		for j, x := range arr {
			if unsafe.StringData(x) != orig[i][j] {
				t.Errorf("Compact wrote into a shared array: %q moved", x)
			}
		}
	}
	if &s.Vehicles[0].Features[0] == &features[0] || &s.Vehicles[0].Images[0] == &images[0] {
		t.Error("the compacted vehicle still uses the shared arrays")
	}
}

func TestCompactCutsGrownVehicleSlice(t *testing.T) {
	vs := make([]inventory.Vehicle, 3, 64)
	for i := range vs {
		vs[i] = inventory.Vehicle{VIN: "V" + string(rune('A'+i)), Make: "Ford"}
	}
	s := inventory.Compact(&inventory.Snapshot{Vehicles: vs})
	if cap(s.Vehicles) != 3 || s.Vehicles[2].VIN != "VC" {
		t.Errorf("Vehicles: len %d cap %d, last %q; want len 3 cap 3, last VC", len(s.Vehicles), cap(s.Vehicles), s.Vehicles[2].VIN)
	}
	if inventory.Compact(nil) != nil {
		t.Error("Compact(nil) is not nil")
	}
}

// BenchmarkCompact is the CPU a sync or a Redis read spends compacting a 150-vehicle snapshot.
func BenchmarkCompact(b *testing.B) {
	vs, err := hriznsim.GenerateProfile(hriznsim.ProfileRealistic, 1, 150)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(vs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		var s inventory.Snapshot
		if err := json.Unmarshal(js, &s.Vehicles); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		inventory.Compact(&s)
	}
}
