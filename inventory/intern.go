package inventory

import (
	"runtime"
	"slices"
	"strings"
	"unique"
)

// maxInternLen is the longest string Compact interns: enum-like values (makes, colours, body
// styles, features) are short, and a long value is almost surely one of a kind, so a table
// entry would cost more than it saves.
const maxInternLen = 96

// Compact rewrites s in place into a form that holds the same values in less memory, and
// returns s. Repeated enum-like strings (make, model, trim, colours, engine, transmission,
// drivetrain, fuel type, body style, condition, description status, features, the tenant and
// source) become one shared copy per process, through the standard library's unique package, so
// a value is freed once no snapshot uses it. Each vehicle's own long text (description and image
// URLs, the main image sharing its copy with the same entry of Images) is packed into one
// allocation, and slices grown while decoding are cut to their length. The VIN keeps its own
// small copy: VINs outlive snapshots in diffs, logs and marks, and must not pin a vehicle's text.
//
// Every field keeps its value: JSON, ContentVersion and comparisons are unchanged. Compact writes
// only s and its Vehicles slice, never a Features or Images array that another vehicle or
// snapshot could share, but s itself must not be read by anyone yet: call it on a snapshot just
// built by a sync or just decoded, before it is shared. A nil s is returned as is.
func Compact(s *Snapshot) *Snapshot {
	if s == nil {
		return nil
	}
	in := interner{seen: make(map[string]string)}
	s.Tenant = in.intern(s.Tenant)
	s.Source = in.intern(s.Source)
	if cap(s.Vehicles)-len(s.Vehicles) > len(s.Vehicles)/16 {
		// A decoder grows the slice by half again each time it fills: up to a third of it is
		// empty Vehicle structs (hundreds of bytes each) for as long as the snapshot lives.
		s.Vehicles = append(make([]Vehicle, 0, len(s.Vehicles)), s.Vehicles...)
	}
	for i := range s.Vehicles {
		in.vehicle(&s.Vehicles[i])
	}
	if len(in.handles) > 0 {
		// unique keeps a value canonical only while a Handle to it lives, not while copies of
		// the string do: without this, every collection would end the sharing, and the next
		// snapshot would get copies of its own. The snapshot keeps its handles until it dies.
		runtime.AddCleanup(s, func([]unique.Handle[string]) {}, slices.Clone(in.handles))
	}
	return s
}

// interner interns the strings of one snapshot: each distinct value once, its handle kept.
type interner struct {
	seen    map[string]string
	handles []unique.Handle[string]
}

// vehicle interns v's enum-like strings and packs its own text into one string.
func (in *interner) vehicle(v *Vehicle) {
	for _, p := range []*string{&v.Make, &v.Model, &v.Trim, &v.ExteriorColor, &v.InteriorColor, &v.Engine,
		&v.Transmission, &v.Drivetrain, &v.FuelType, &v.BodyStyle, &v.DescriptionStatus} {
		*p = in.intern(*p)
	}
	v.Condition = Condition(in.intern(string(v.Condition)))
	if len(v.Features) > 0 {
		fs := make([]string, len(v.Features))
		for i, f := range v.Features {
			fs[i] = in.intern(f)
		}
		v.Features = fs
	}
	packText(v)
}

// intern is the process's shared copy of s, or s itself when it is empty or too long to be
// worth sharing.
func (in *interner) intern(s string) string {
	if s == "" || len(s) > maxInternLen {
		return s
	}
	if c, ok := in.seen[s]; ok {
		return c
	}
	h := unique.Make(s)
	in.handles = append(in.handles, h)
	c := h.Value()
	in.seen[c] = c
	return c
}

// packText puts v's description, main image and images into one string, each field a slice of
// it: one allocation instead of one each, and the main image, usually also the first entry of
// Images, stored once. Images gets a new array of exactly its length.
func packText(v *Vehicle) {
	n := len(v.AIDescription) + len(v.ImageURL)
	for _, u := range v.Images {
		if u != v.ImageURL {
			n += len(u)
		}
	}
	if n == 0 {
		return
	}
	var b strings.Builder
	b.Grow(n)
	type span struct{ start, end int }
	add := func(s string) span {
		start := b.Len()
		b.WriteString(s)
		return span{start, b.Len()}
	}
	desc, img := add(v.AIDescription), add(v.ImageURL)
	imgs := make([]span, len(v.Images))
	for i, u := range v.Images {
		if u == v.ImageURL {
			imgs[i] = img
		} else {
			imgs[i] = add(u)
		}
	}
	all := b.String()
	cut := func(sp span) string { return all[sp.start:sp.end] }
	v.AIDescription, v.ImageURL = cut(desc), cut(img)
	if v.Images != nil {
		images := make([]string, len(imgs))
		for i, sp := range imgs {
			images[i] = cut(sp)
		}
		v.Images = images
	}
}
