package inventory

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
)

func car(vin string, price *float64) Vehicle {
	return Vehicle{VIN: vin, Year: 2021, Make: "Honda", Model: "Civic", Condition: Used, Price: price,
		Mileage: Ptr(12000), UpdatedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
}

func with(v Vehicle, change func(*Vehicle)) Vehicle {
	c := v.Clone()
	change(&c)
	return c
}

func snap(vs ...Vehicle) *Snapshot {
	return NewSnapshot("t", vs, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), "test")
}

func TestDiff(t *testing.T) {
	a, b, c := "1HGCM82633A000001", "1HGCM82633A000002", "1HGCM82633A000003"
	tests := []struct {
		name       string
		prev, next *Snapshot
		want       Changes
	}{
		{"no previous snapshot: everything added, sorted, once",
			nil, snap(car(c, Ptr(3.0)), car(a, nil), car(b, Ptr(2.0)), car(a, Ptr(9.0))),
			Changes{Added: []string{a, b, c}}},
		{"same content", snap(car(a, Ptr(1.0))), snap(car(a, Ptr(1.0))), Changes{}},
		{"added, removed (sold) and a price drop",
			snap(car(a, Ptr(20000.0)), car(b, Ptr(15000.0))),
			snap(car(a, Ptr(19500.0)), car(c, Ptr(9000.0))),
			Changes{Added: []string{c}, Removed: []string{b},
				PriceChanges: []PriceChange{{VIN: a, Old: Ptr(20000.0), New: Ptr(19500.0)}}}},
		{"price appears and disappears (nil on either side)",
			snap(car(a, nil), car(b, Ptr(5.0)), car(c, nil)),
			snap(car(a, Ptr(7.0)), car(b, nil), car(c, nil)),
			Changes{PriceChanges: []PriceChange{{VIN: a, New: Ptr(7.0)}, {VIN: b, Old: Ptr(5.0)}}}},
		{"lower-case and padded VINs match their upper-case selves; output is normalized",
			snap(car("1hgcm82633a000001", Ptr(10.0)), car(" "+b+" ", Ptr(5.0))),
			snap(car(a, Ptr(11.0)), car("1hgcm82633a000002", Ptr(5.0))),
			Changes{PriceChanges: []PriceChange{{VIN: a, Old: Ptr(10.0), New: Ptr(11.0)}}}},
		{"duplicate VINs compare by their first vehicle",
			snap(car(a, Ptr(10.0)), car(a, Ptr(99.0))),
			snap(car(a, Ptr(10.0)), car("1hgcm82633a000001", Ptr(50.0))),
			Changes{}},
		{"price and other fields change: listed and counted",
			snap(car(a, Ptr(10.0)), car(b, Ptr(5.0)), car(c, Ptr(1.0))),
			snap(with(car(a, Ptr(9.0)), func(v *Vehicle) { *v.Mileage = 12500 }),
				with(car(b, Ptr(5.0)), func(v *Vehicle) { v.Images = []string{"https://img/1.jpg"} }),
				car(c, Ptr(1.0))),
			Changes{PriceChanges: []PriceChange{{VIN: a, Old: Ptr(10.0), New: Ptr(9.0)}}, OtherChanged: 2}},
		{"blank VINs cannot be matched and are left out",
			snap(car("", Ptr(1.0)), car(a, Ptr(1.0))),
			snap(car("  ", Ptr(2.0)), car(a, Ptr(1.0))),
			Changes{}},
		{"NaN prices on both sides are no change",
			snap(car(a, Ptr(math.NaN()))), snap(with(car(a, Ptr(math.NaN())), func(*Vehicle) {})),
			Changes{}},
		{"everything sold",
			snap(car(b, nil), car(a, nil)), snap(),
			Changes{Removed: []string{a, b}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.prev, tt.next)
			assertChanges(t, got, tt.want)
			// Deterministic: the same inputs give the same output, whatever the map order.
			for range 5 {
				assertChanges(t, Diff(tt.prev, tt.next), tt.want)
			}
		})
	}
}

func assertChanges(t *testing.T, got, want Changes) {
	t.Helper()
	for _, s := range []*[]string{&want.Added, &want.Removed} {
		if *s == nil {
			*s = []string{}
		}
	}
	if want.PriceChanges == nil {
		want.PriceChanges = []PriceChange{}
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("Diff =\n%s\nwant\n%s", g, w)
	}
	if got.Empty() != (string(w) == `{"added":[],"removed":[],"price_changes":[],"other_changed":0}`) {
		t.Fatalf("Empty() = %v for %s", got.Empty(), g)
	}
}

// TestDiffSeesEveryField changes each field of Vehicle in turn: every one but the VIN and the
// price must count as an other change, so a field added to Vehicle cannot be missed by Diff.
func TestDiffSeesEveryField(t *testing.T) {
	gen := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	base := car("1HGCM82633A000001", Ptr(100.0))
	base.MSRP, base.DescriptionGeneratedAt = Ptr(120.0), &gen
	base.Features, base.Images = []string{"sunroof"}, []string{"https://img/1.jpg"}
	typ := reflect.TypeFor[Vehicle]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "VIN" || f.Name == "Price" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			next := base.Clone()
			bump(t, reflect.ValueOf(&next).Elem().Field(i))
			got := Diff(snap(base.Clone()), snap(next))
			if got.OtherChanged != 1 || len(got.PriceChanges) != 0 || len(got.Added)+len(got.Removed) != 0 {
				t.Fatalf("a change of %s gave %+v, want one other change", f.Name, got)
			}
		})
	}
	got := Diff(snap(base.Clone()), snap(with(base, func(v *Vehicle) { *v.Price = 99 })))
	if got.OtherChanged != 0 || len(got.PriceChanges) != 1 || !got.PriceChanges[0].Drop() {
		t.Fatalf("a price change alone gave %+v", got)
	}
}

// bump gives v a different value of its type.
func bump(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Interface().(type) {
	case *time.Time:
		later := v.Interface().(*time.Time).Add(time.Hour)
		v.Set(reflect.ValueOf(&later))
		return
	case time.Time:
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Hour)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.ValueOf("more")))
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			p.Elem().Set(v.Elem())
		}
		bump(t, p.Elem())
		v.Set(p)
	case reflect.Float64:
		v.SetFloat(v.Float() + 1)
	default:
		t.Fatalf("bump: no rule for %s; teach bump and sameExceptPrice the new field", v.Type())
	}
}

func TestPriceChangeDrop(t *testing.T) {
	tests := []struct {
		old, new *float64
		want     bool
	}{
		{Ptr(10.0), Ptr(9.0), true},
		{Ptr(10.0), Ptr(10.0), false},
		{Ptr(9.0), Ptr(10.0), false},
		{nil, Ptr(9.0), false},
		{Ptr(9.0), nil, false},
	}
	for _, tt := range tests {
		if got := (PriceChange{Old: tt.old, New: tt.new}).Drop(); got != tt.want {
			t.Errorf("Drop(%v → %v) = %v", tt.old, tt.new, got)
		}
	}
}

func BenchmarkDiff5000(b *testing.B) {
	vs := make([]Vehicle, 5000)
	for i := range vs {
		vs[i] = car(fmt.Sprintf("1HGCM82633A%06d", i), Ptr(float64(10000+i)))
	}
	prev := snap(vs...)
	next := make([]Vehicle, len(vs))
	for i := range vs {
		next[i] = vs[i].Clone()
		if i%10 == 0 {
			*next[i].Price -= 500
		}
	}
	nextSnap := snap(next...)
	for b.Loop() {
		_ = Diff(prev, nextSnap)
	}
}
