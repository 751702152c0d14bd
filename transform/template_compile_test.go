package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// The compiled path must write exactly what text/template writes. These tests render through
// both (TemplateWriter.interpret switches the compiled path off) and compare the bytes.

// tplCompareInputs are the inputs every whole-channel comparison renders: the golden fixture
// (hostile text, missing prices and images, odd VINs), the simulator's inventory, an empty
// one, and one of extreme values.
func tplCompareInputs(t *testing.T) map[string]Input {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fixture Input // its "dealer" and "snapshot"
	if err := json.Unmarshal(raw, &fixture); err != nil || fixture.Snapshot == nil {
		t.Fatalf("fixture: %v", err)
	}
	fixture.Options.Currency = "CAD"
	sim := tplSampleInput()
	sim.Snapshot = inventory.NewSnapshot("sim", hriznsim.Generate(7, 300), hriznsim.BaseTime(), "sim")
	odd := tplSampleInput()
	odd.Options = Options{MileageUnit: "km", BOM: true, Title: "  "}
	odd.Snapshot = inventory.NewSnapshot("odd", tplOddVehicles(), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "odd")
	return map[string]Input{
		"fixture": fixture,
		"sim":     sim,
		"empty":   {Snapshot: inventory.NewSnapshot("e", nil, time.Time{}, "e")},
		"odd":     odd,
	}
}

// tplOddVehicles hold the values whose handling differs between reflect and plain Go: negative
// zero, a zero instant in a non-UTC location, empty but non-nil lists, blank list items,
// non-ASCII and invalid UTF-8, and huge numbers.
func tplOddVehicles() []inventory.Vehicle {
	negZero := math.Copysign(0, -1)
	zeroElsewhere := time.Time{}.In(time.FixedZone("X", 3600))
	return []inventory.Vehicle{
		{VIN: "ÄÖÜ1234567890ÉÈÊ€", Year: -1, Make: "  ", Model: "\u00a0x\u00a0", Trim: "=1+1", Condition: " Used ",
			Price: &negZero, MSRP: inventory.Ptr(1e21), Mileage: inventory.Ptr(0), Features: []string{},
			Images: []string{" ", "", "https://i.example/a.jpg", "https://i.example/a.jpg"}, ImageURL: " ",
			AIDescription: "a\x00b\x01c \xff\xfe\n\n  d\te", UpdatedAt: zeroElsewhere, CreatedAt: time.Time{},
			DescriptionGeneratedAt: &zeroElsewhere},
		{VIN: "\xff\xfe", Year: 0, Price: inventory.Ptr(math.Inf(1)), MSRP: inventory.Ptr(-12.345),
			Mileage: inventory.Ptr(-5), Features: []string{"]]>", "<a>&amp;", "x,y\"z"}, Condition: "NEW"},
		{VIN: "1HGBH41JXMN109186", Year: 2021, Price: inventory.Ptr(0.005), Features: nil, Images: nil},
	}
}

// tplHostileDefinitions are custom definitions that mix compiled and uncompiled expressions,
// text around actions, conditions, pipelines, parenthesised arguments and every helper.
var tplHostileDefinitions = map[string]string{
	"mixed.yaml": `
name: mixed
output: csv
spreadsheet_safe: true
columns:
  - {name: a, value: "VIN: {{ .Vehicle.VIN }} / {{ slice .Vehicle.VIN 0 3 }}-{{ slice .Vehicle.VIN -4 }}"}
  - {name: b, value: "{{ if .Vehicle.MSRP }}{{ money .Vehicle.MSRP .Currency }}{{ else }}{{ .Vehicle.Price | money | default \"Call\" }}{{ end }}"}
  - {name: c, value: "{{ join \"; \" .Vehicle.Features }}"}
  - {name: d, value: "{{ range .Vehicle.Features }}[{{ . }}]{{ end }}"}
  - {name: e, value: "{{ with .Vehicle.Trim }}{{ upper . }}{{ else }}none{{ end }}"}
  - {name: f, value: "{{ $.Vehicle.Make | title }} {{ $.Vehicle.Model | lower }}"}
  - {name: g, value: "{{ truncate 10 (oneline .Vehicle.AIDescription) }}"}
  - {name: h, value: "{{ join \", \" (slice .Vehicle.AllImages 1 3) }}"}
  - {name: i, value: "{{ .Vehicle.Year | default \"?\" }}|{{ number .Vehicle.Mileage | default \"n/a\" }}"}
  - {name: j, value: "{{ printf \"%05d\" .Vehicle.Year }}"}
  - {name: k, value: "{{ .Vehicle.Features }} {{ default \"x\" .Vehicle.UpdatedAt }}"}
  - {name: l, value: "{{ yesno .Vehicle.HasDescription }} {{ yesno .Vehicle.Price }} {{ yesno .Vehicle.Features }} {{ yesno .Vehicle.UpdatedAt }}"}
  - {name: m, value: "{{ isodate .Vehicle.UpdatedAt }}{{ isodate .Vehicle.DescriptionGeneratedAt }}{{ isodate .Vehicle.VIN }}"}
  - {name: n, value: "{{ clean .Vehicle.AIDescription }}"}
  - {name: o, value: "{{ first .Vehicle.Images }}{{ first .Vehicle.VIN }}"}
  - {name: p, value: "{{ money .Vehicle.Price \"\" }} {{ money \"12.5\" \"EUR\" }} {{ number \"7.0\" }}"}
  - {name: q, value: "{{ if eq .Vehicle.Make \"Honda\" }}H{{ else if .Vehicle.Trim }}T{{ else }}-{{ end }}"}
  - {name: r, value: "{{ .Count }}/{{ .MileageUnit }}/{{ .Snapshot.Tenant }}/{{ .Options.Title | default \"Feed\" }}"}
  - {name: s, value: "{{ vdp . }} {{ vdp $ }} {{ . | vdp | upper }}"}
  - {name: t, value: "{{ .Dealer.Address.OneLine }} {{ .Dealer.Latitude | number }}"}
  - {name: u, value: "{{ slice .Vehicle.Features 1 | join \"+\" }}{{ slice .Vehicle.Condition 1 }}"}
  - {name: v, value: "{{ upper .Vehicle.Features }}{{ lower .Vehicle.Year }}{{ title .Vehicle.Price }}"}
  - {name: w, value: "{{- \"  spaced  \" -}} {{ 42 }} {{ -7 | default 1 }}"}
`,
	"tabs.yaml": `
name: tabs
output: tsv
order: newest
columns:
  - {name: id, value: "{{ .Vehicle.VIN | lower }}"}
  - {name: desc, value: "{{ .Vehicle.AIDescription }}"}
  - {name: title, value: "{{ .Vehicle.Title | upper }}"}
`,
	"items.yaml": `
name: items
output: xml
document:
  root: feed
  item: car
  namespaces: {g: "http://g.example/ns"}
  attributes:
    - {name: count, value: "{{ .Count }}"}
    - {name: title, value: "{{ .Options.Title | default \"Feed\" }}"}
    - {name: at, value: "{{ isodate .Snapshot.ModifiedAt }}"}
fields:
  - {name: "g:id", value: "{{ .Vehicle.VIN }}"}
  - {name: photos/photo, each: "{{ slice .Vehicle.AllImages 1 11 }}"}
  - {name: feature, each: "{{ .Vehicle.Features }}"}
  - {name: main, each: "{{ first .Vehicle.Images }}"}
  - {name: made, each: "{{ .Vehicle.Make }}"}
  - {name: quoted, each: "{{ .Vehicle.Features | printf \"%q\" }}"}
  - {name: price/amount, value: "{{ money .Vehicle.Price }}"}
  - {name: price/note, value: "{{ if not .Vehicle.Price }}ask{{ end }}", keep_empty: true}
  - {name: trim, value: "{{ .Vehicle.Trim }}", keep_empty: true}
`,
}

// tplPaths is one render through the compiled path and through text/template only, with the
// compiled path's count of executions it left to text/template.
type tplPaths struct {
	compiled, interpreted string
	cerr, ierr            error
	bails                 int
}

func tplBothPaths(w *TemplateWriter, in Input) tplPaths {
	var cb, ib bytes.Buffer
	var p tplPaths
	_, p.bails, p.cerr = w.render(&cb, in)
	plain := *w
	plain.interpret = true
	_, _, p.ierr = plain.render(&ib, in)
	p.compiled, p.interpreted = cb.String(), ib.String()
	return p
}

func TestTemplateCompiledMatches(t *testing.T) {
	shipped, err := LoadTemplates(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	fsys := make(map[string]*TemplateWriter)
	for _, w := range shipped {
		fsys[w.Name()] = w.(*TemplateWriter)
	}
	for file, def := range tplHostileDefinitions {
		w, err := ParseTemplate(file, []byte(def))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		fsys[w.Name()] = w
	}
	inputs := tplCompareInputs(t)
	for name, w := range fsys {
		for inName, in := range inputs {
			t.Run(name+"/"+inName, func(t *testing.T) {
				p := tplBothPaths(w, in)
				if fmt.Sprint(p.cerr) != fmt.Sprint(p.ierr) {
					t.Fatalf("compiled error %v, text/template error %v", p.cerr, p.ierr)
				}
				if p.compiled != p.interpreted {
					t.Fatalf("compiled output differs from text/template\n--- compiled ---\n%s\n--- text/template ---\n%s", p.compiled, p.interpreted)
				}
				if templatesShipped[name] && p.bails != 0 {
					t.Errorf("a shipped channel left %d executions to text/template", p.bails)
				}
			})
		}
	}
}

// templatesShipped are the embedded channels: every one of their expressions must compile.
var templatesShipped = map[string]bool{"dealer-csv": true, "marketplace-xml": true}

func TestTemplateShippedCompiled(t *testing.T) {
	ws, err := LoadTemplates(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != len(templatesShipped) {
		t.Fatalf("%d embedded channels, the test knows %d", len(ws), len(templatesShipped))
	}
	for _, w := range ws {
		tw := w.(*TemplateWriter)
		fields := append(slices.Clone(tw.rootAttrs), tw.itemFields()...)
		for _, f := range fields {
			if f.prog == nil {
				t.Errorf("%s: %s is not compiled: %s", w.Name(), f.label, f.tmpl.Root)
			}
		}
	}
}

// TestTemplateCompiledFallback proves the fallback: expressions the compiler does not take
// have no program, and a compiled one whose value it cannot print, or that fails on the data,
// still renders (or fails) as text/template does.
func TestTemplateCompiledFallback(t *testing.T) {
	c := newTplCompiler()
	notCompiled := []string{
		`{{ printf "%d" .Vehicle.Year }}`, `{{ range .Vehicle.Features }}{{ . }}{{ end }}`,
		`{{ with .Vehicle.Trim }}{{ . }}{{ end }}`, `{{ $x := .Vehicle.VIN }}{{ $x }}`,
		`{{ .Vehicle.Clone }}`, `{{ .Dealer.VehicleURL "x" }}`, `{{ 1.5 }}`, `{{ 0x10 }}`, `{{ 'a' }}`,
		`{{ true }}`, `{{ nil | default "x" }}`, `{{ .Vehicle.VIN | .Vehicle.Make }}`, `{{ (.Vehicle).VIN }}`,
		`{{ upper lower }}`, `{{ index .Vehicle.Images 0 }}`, `{{ eq .Vehicle.Make "x" }}`,
	}
	for _, src := range notCompiled {
		tmpl := template.Must(template.New("x").Funcs(tplFuncs()).Parse(src))
		if c.compile(tmpl, false) != nil {
			t.Errorf("%s compiled; it should be left to text/template", src)
		}
	}
	bailing := []struct {
		src string
		v   *inventory.Vehicle
	}{
		{`{{ .Vehicle.VIN }}`, nil},                                      // nil vehicle: text/template's error
		{`{{ money .Vehicle.Make }}`, &inventory.Vehicle{Make: "Honda"}}, // the helper's error
		{`{{ .Vehicle.Price }}`, &inventory.Vehicle{Price: inventory.Ptr(2.5)}},
		{`{{ .Vehicle.UpdatedAt }}`, &inventory.Vehicle{}},
		{`{{ join .Vehicle.Condition .Vehicle.Images }}`, &inventory.Vehicle{Condition: "x"}},
		{`{{ truncate "3" .Vehicle.VIN }}`, &inventory.Vehicle{VIN: "abcdef"}},
		{`{{ upper .Vehicle.VIN .Vehicle.Make }}`, &inventory.Vehicle{VIN: "a"}},
		{`{{ slice .Vehicle.VIN .Vehicle.Mileage }}`, &inventory.Vehicle{VIN: "abcdef", Mileage: inventory.Ptr(2)}},
	}
	for _, b := range bailing {
		f := tplTestField(t, c, b.src, false)
		if f.prog == nil {
			t.Fatalf("%s: not compiled", b.src)
		}
		got, bails, gerr := tplEval(f, tplSampleInput(), b.v, false)
		want, _, werr := tplEval(f, tplSampleInput(), b.v, true)
		if bails != 1 {
			t.Errorf("%s: %d bails, want 1", b.src, bails)
		}
		if fmt.Sprint(got, gerr) != fmt.Sprint(want, werr) {
			t.Errorf("%s: compiled %q %v, text/template %q %v", b.src, got, gerr, want, werr)
		}
	}
}

func tplTestField(t testing.TB, c *tplCompiler, src string, each bool) *tplField {
	t.Helper()
	spec := tplFieldSpec{Name: "x", Value: src}
	if each {
		spec = tplFieldSpec{Name: "x", Each: src}
	}
	f, err := c.newField("x", "x", spec)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return f
}

// tplEval runs one field on one vehicle (nil: as a root attribute).
func tplEval(f *tplField, in Input, v *inventory.Vehicle, interpret bool) ([]string, int, error) {
	r := newTplRenderer(in, 3)
	r.interpret = interpret
	r.data.Vehicle = v
	vals, err := r.eval(f, nil)
	return vals, r.bails, err
}

// tplPointer is an address in printed data (an each of the dot prints the whole TemplateData,
// the address of its per-render state included): the one part of an output not fixed.
var tplPointer = regexp.MustCompile(`(?i)0x[0-9a-f]+`)

// tplSame reports whether the two paths gave the same values and the same error.
func tplSame(got []string, gerr error, want []string, werr error) bool {
	norm := func(vals []string, err error) string {
		return tplPointer.ReplaceAllString(fmt.Sprintf("%q %v", vals, err), "0x…")
	}
	return norm(got, gerr) == norm(want, werr)
}

// tplExpressionTable is every field path read bare, through every helper called and piped,
// in a condition and as an each list, with literals of each kind beside it.
func tplExpressionTable() []string {
	paths := make([]string, 0, len(tplGetters()))
	for p := range tplGetters() {
		paths = append(paths, "."+p)
	}
	sort.Strings(paths)
	unary := []string{"money", "number", "lower", "upper", "title", "clean", "oneline", "first", "isodate",
		"yesno", `default "d"`, `default 0`, "slice -3", "slice 1 3", "slice 0 100", "truncate 5", `join "|"`,
		`money "CAD"`, "vdp"}
	var out []string
	for _, p := range append(paths, `"text"`, `" 12.50 "`, "7", "-0", ".", "$") {
		out = append(out, "{{ "+p+" }}", "{{ if "+p+" }}y{{ else }}n{{ end }}")
		for _, u := range unary {
			out = append(out, "{{ "+p+" | "+u+" }}")
			if !strings.Contains(u, " ") {
				out = append(out, "{{ "+u+" "+p+" }}")
			}
		}
		out = append(out, "{{ money "+p+" .Currency }}", "{{ slice "+p+" -2 }}", "{{ default "+p+" .Vehicle.Trim }}",
			"{{ join \", \" ("+p+" | slice 0 2) }}", "<{{ "+p+" | default \"\" | upper }}>")
	}
	return out
}

func TestTemplateCompiledExpressions(t *testing.T) {
	c := newTplCompiler()
	full, empty := tplSampleVehicle(), inventory.Vehicle{}
	odd := tplOddVehicles()
	vehicles := []*inventory.Vehicle{&full, &empty, &odd[0], &odd[1], &odd[2], nil}
	ins := []Input{tplSampleInput(), {}}
	compiled, native := 0, 0
	for _, src := range tplExpressionTable() {
		for _, each := range []bool{false, true} {
			spec := tplFieldSpec{Name: "x", Value: src}
			if each {
				spec = tplFieldSpec{Name: "x", Each: src}
			}
			f, err := c.newField("x", "x", spec)
			switch {
			case err != nil && each: // not a single expression
				continue
			case err != nil:
				t.Fatalf("%s: %v", src, err)
			case f.prog == nil:
				t.Errorf("%s (each %v): not compiled", src, each)
				continue
			}
			compiled++
			for _, in := range ins {
				for _, v := range vehicles {
					got, bails, gerr := tplEval(f, in, v, false)
					want, _, werr := tplEval(f, in, v, true)
					if !tplSame(got, gerr, want, werr) {
						t.Fatalf("%s (each %v) on %+v:\ncompiled     %q %v\ntext/template %q %v", src, each, v, got, gerr, want, werr)
					}
					if bails == 0 {
						native++
					}
				}
			}
		}
	}
	// Most of the table must really run natively, or the comparison proves little.
	if native < compiled*len(ins)*len(vehicles)/2 {
		t.Errorf("%d expressions compiled, only %d of their runs native", compiled, native)
	}
	t.Logf("%d expressions compiled, %d of %d runs native", compiled, native, compiled*len(ins)*len(vehicles))
}

// FuzzTemplateCompiled compares the two paths on any expression that parses and compiles.
func FuzzTemplateCompiled(f *testing.F) {
	for _, src := range tplExpressionTable()[:200] {
		f.Add(src, false)
	}
	for _, def := range []string{`{{ slice .Vehicle.AllImages 1 11 }}`, `{{ .Vehicle.Features }}`} {
		f.Add(def, true)
	}
	c := newTplCompiler()
	full, empty := tplSampleVehicle(), inventory.Vehicle{}
	odd := tplOddVehicles()
	f.Fuzz(func(t *testing.T, src string, each bool) {
		spec := tplFieldSpec{Name: "x", Value: src}
		if each {
			spec = tplFieldSpec{Name: "x", Each: src}
		}
		fld, err := c.newField("x", "x", spec)
		if err != nil || fld.prog == nil {
			return
		}
		for _, v := range []*inventory.Vehicle{&full, &empty, &odd[0], &odd[1], nil} {
			got, _, gerr := tplEval(fld, tplSampleInput(), v, false)
			want, _, werr := tplEval(fld, tplSampleInput(), v, true)
			if !tplSame(got, gerr, want, werr) {
				t.Fatalf("%s on %+v:\ncompiled     %q %v\ntext/template %q %v", src, v, got, gerr, want, werr)
			}
		}
	})
}
