package transform

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/cases"

	"github.com/feedgate/feedgate/inventory"
)

// Write renders the vehicles the channel's rules accept through the definition's templates.
// Every value is cleaned (Clean), trimmed and then encoded by encoding/xml or encoding/csv.
// A template that fails on a vehicle fails the render with an error naming the field and the
// VIN; the bytes written so far must be discarded.
func (t *TemplateWriter) Write(w io.Writer, in Input) (Diagnostics, error) {
	d, _, err := t.render(w, in)
	return d, err
}

// render is Write, also reporting how many executions of compiled expressions were left to
// text/template (tests read it).
func (t *TemplateWriter) render(w io.Writer, in Input) (Diagnostics, int, error) {
	vs, d := Select(in, t.rules)
	if t.newest {
		vs = tplNewestFirst(vs)
	}
	r := newTplRenderer(in, len(vs))
	r.interpret = t.interpret
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	if t.output == tplXML {
		err = t.writeXML(bw, r, vs)
	} else {
		err = t.writeTable(bw, r, vs, in.Options.BOM)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return d, r.bails, fmt.Errorf("transform: %s: %w", t.name, err)
	}
	return d, r.bails, nil
}

// tplNewestFirst orders a copy of vs by UpdatedAt, newest first, VIN breaking ties.
func tplNewestFirst(vs []*inventory.Vehicle) []*inventory.Vehicle {
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b *inventory.Vehicle) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.VIN, b.VIN)
	})
	return out
}

// tplRenderer is the per-render state: the data the templates see and reused buffers.
type tplRenderer struct {
	data TemplateData
	// trial names the sample data when a definition is tried at load; errors name the VIN
	// otherwise.
	trial string
	buf   bytes.Buffer
	vals  []string
	ends  []int
	// The compiled path's state: its output so far (see emit), the title caser, whether it is
	// off, and how many executions it left to text/template.
	out       string
	outClean  bool
	pieces    int
	title     *cases.Caser
	interpret bool
	bails     int
}

func newTplRenderer(in Input, count int) *tplRenderer {
	r := &tplRenderer{data: TemplateData{Dealer: in.Dealer, Options: in.Options, Count: count,
		Currency: in.Options.CurrencyCode(), MileageUnit: "miles"}}
	if in.Options.Kilometres() {
		r.data.MileageUnit = "km"
	}
	if s := in.Snapshot; s != nil {
		r.data.Snapshot = TemplateSnapshot{Tenant: s.Tenant, ModifiedAt: s.ModifiedAt.UTC(),
			FetchedAt: s.FetchedAt.UTC(), Version: s.Version}
	}
	return r
}

// eval runs f for the current vehicle and appends its values to dst: one for a plain field,
// one per non-blank item for an each field.
func (r *tplRenderer) eval(f *tplField, dst []string) ([]string, error) {
	if f.prog != nil && !r.interpret {
		if f.prog.each != nil {
			if items, ok := r.items(f.prog.each); ok {
				for _, s := range items {
					if s = strings.TrimSpace(Clean(s)); s != "" {
						dst = append(dst, s)
					}
				}
				return dst, nil
			}
		} else if s, clean, ok := r.run(f.prog); ok {
			if !clean {
				s = Clean(s)
			}
			return append(dst, strings.TrimSpace(s)), nil
		}
		r.bails++
	}
	r.buf.Reset()
	r.data.items = nil
	if err := f.tmpl.Execute(&r.buf, &r.data); err != nil {
		where := r.trial
		if where == "" && r.data.Vehicle != nil {
			where = fmt.Sprintf("for VIN %q", Clean(r.data.Vehicle.VIN))
		}
		return dst, fmt.Errorf("%s %s: %w", f.label, where, err)
	}
	if !f.each {
		return append(dst, strings.TrimSpace(Clean(r.buf.String()))), nil
	}
	for _, s := range tplList(r.data.items) {
		if s = strings.TrimSpace(Clean(s)); s != "" {
			dst = append(dst, s)
		}
	}
	return dst, nil
}

func (t *TemplateWriter) writeTable(bw *bufio.Writer, r *tplRenderer, vs []*inventory.Vehicle, bom bool) error {
	comma := ','
	if t.output == tplTSV {
		comma = '\t'
	}
	cw := newCSVStream(bw, bom, comma)
	rec := make([]string, len(t.columns))
	for i, c := range t.columns {
		rec[i] = t.cell(Clean(c.name))
	}
	cw.record(rec)
	for _, v := range vs {
		r.data.Vehicle = v
		for i, c := range t.columns {
			vals, err := r.eval(c, r.vals[:0])
			if err != nil {
				return err
			}
			r.vals = vals
			rec[i] = t.cell(vals[0])
		}
		cw.record(rec)
	}
	return cw.close()
}

// cell fits a value to the table: TSV folds line breaks and tabs, which its readers take for
// record and field ends; spreadsheet-safe output neutralises formulas.
func (t *TemplateWriter) cell(s string) string {
	if t.output == tplTSV {
		s = OneLine(s)
	}
	if t.spreadsheetSafe {
		s = SpreadsheetSafe(s)
	}
	return s
}

// writeXML writes the document through xmlStream. Prefixed names are written as local names
// ("g:price") with their xmlns attributes on the root: encoding/xml would otherwise invent its
// own prefixes.
func (t *TemplateWriter) writeXML(bw *bufio.Writer, r *tplRenderer, vs []*inventory.Vehicle) error {
	x := newXMLStream(bw)
	x.prolog()
	attrs := make([]xml.Attr, 0, len(t.nsAttrs)+len(t.rootAttrs))
	for _, a := range t.nsAttrs {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: a.name}, Value: a.value})
	}
	r.data.Vehicle = nil
	for _, f := range t.rootAttrs {
		vals, err := r.eval(f, r.vals[:0])
		if err != nil {
			return err
		}
		r.vals = vals
		if vals[0] != "" {
			attrs = append(attrs, xml.Attr{Name: xml.Name{Local: f.name}, Value: vals[0]})
		}
	}
	x.start(t.root, attrs...)
	for _, v := range vs {
		r.data.Vehicle = v
		x.start(t.item)
		for i := range t.nodes {
			if err := r.writeNode(x, &t.nodes[i]); err != nil {
				return err
			}
		}
		x.end(t.item)
	}
	x.end(t.root)
	return x.close()
}

// writeNode writes one field of the item, or a parent with its nested fields; a parent whose
// fields are all empty is left out.
func (r *tplRenderer) writeNode(x *xmlStream, n *tplNode) error {
	if n.field != nil {
		vals, err := r.eval(n.field, r.vals[:0])
		if err != nil {
			return err
		}
		r.vals = vals
		tplElements(x, n.field, vals)
		return nil
	}
	vals, ends := r.vals[:0], r.ends[:0]
	any := false
	for _, f := range n.children {
		var err error
		start := len(vals)
		if vals, err = r.eval(f, vals); err != nil {
			return err
		}
		ends = append(ends, len(vals))
		any = any || f.keepEmpty || tplHasText(vals[start:])
	}
	r.vals, r.ends = vals, ends
	if !any {
		return nil
	}
	x.start(n.parent)
	start := 0
	for i, f := range n.children {
		tplElements(x, f, vals[start:ends[i]])
		start = ends[i]
	}
	x.end(n.parent)
	return nil
}

func tplHasText(vals []string) bool {
	for _, s := range vals {
		if s != "" {
			return true
		}
	}
	return false
}

// tplElements writes one element per value, leaving out empty ones unless the field keeps
// them.
func tplElements(x *xmlStream, f *tplField, vals []string) {
	for _, s := range vals {
		if s != "" || f.keepEmpty {
			x.text(f.name, s)
		}
	}
}

// TemplateData is what a channel template's expressions see: `.Vehicle.Make`, `.Dealer.Name`,
// `.Snapshot.ModifiedAt`, `.Currency`. It is read only.
type TemplateData struct {
	// Vehicle is the vehicle being written; nil in document attributes.
	Vehicle *inventory.Vehicle
	// Dealer is the tenant's dealership.
	Dealer inventory.Dealer
	// Options are the feed's settings.
	Options Options
	// Snapshot holds the inventory's times and identity.
	Snapshot TemplateSnapshot
	// Count is the number of vehicles the feed lists.
	Count int
	// Currency is the feed's currency code, USD unless configured.
	Currency string
	// MileageUnit is "miles" or "km", as the feed is configured.
	MileageUnit string

	items any // the value an each expression handed over
}

// TemplateSnapshot is the part of a snapshot a template may print.
type TemplateSnapshot struct {
	Tenant     string
	ModifiedAt time.Time
	FetchedAt  time.Time
	Version    string
}

// Each receives the list of an each field; the engine calls it, a template has no use for it.
func (d *TemplateData) Each(v any) string {
	d.items = v
	return ""
}
