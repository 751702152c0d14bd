package transform

import (
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/feedgate/feedgate/inventory"
)

// The compiled path. At load, the parse tree of every expression is walked; when it only holds
// text, actions, if/else, reads of the fields TemplateData offers, literals and the helpers of
// tplFuncs, it becomes a tplProg that renders without text/template and without reflection.
// Anything else (range, with, variables, the builtins eq, printf, index…) keeps the
// text/template path, so every expression a dealer writes still works.
//
// A compiled program is exact by construction rather than by imitation of every corner: where
// a value has an unusual kind, a helper gets arguments text/template would refuse or would
// convert, or an expression would fail (a nil vehicle, money of a make), the program gives up
// ("bails") and that one execution runs through text/template instead, which then prints or
// fails exactly as it always did. The helpers are pure, so running an expression again is
// harmless. TestTemplateCompiledMatches and FuzzTemplateCompiled hold the two paths to the
// same bytes.

// tplKind is the Go type of a value in a compiled program.
type tplKind uint8

const (
	tkNone      tplKind = iota // no value: an untyped nil; always bails
	tkString                   // string
	tkCondition                // inventory.Condition
	tkInt                      // int
	tkFloat                    // float64
	tkFloatPtr                 // *float64
	tkIntPtr                   // *int
	tkStrings                  // []string
	tkTime                     // time.Time
	tkTimePtr                  // *time.Time
	tkBool                     // bool
	tkData                     // *TemplateData: the dot
)

// tplValue is one typed value; only the member of its kind is set.
type tplValue struct {
	kind tplKind
	s    string
	i    int // int, and bool as 0 or 1
	f    float64
	fp   *float64
	ip   *int
	tp   *time.Time
	t    time.Time
	list []string
	d    *TemplateData
	// clean marks a string that Clean would return unchanged (the result of clean and
	// oneline), so that the render need not scan it again.
	clean bool
}

// box is the value as text/template's helpers receive it.
func (v tplValue) box() any {
	switch v.kind {
	case tkString:
		return v.s
	case tkCondition:
		return inventory.Condition(v.s)
	case tkInt:
		return v.i
	case tkFloat:
		return v.f
	case tkFloatPtr:
		return v.fp
	case tkIntPtr:
		return v.ip
	case tkStrings:
		return v.list
	case tkTime:
		return v.t
	case tkTimePtr:
		return v.tp
	case tkBool:
		return v.i != 0
	case tkData:
		return v.d
	}
	return nil
}

// tplUnbox is the value a helper returned, ok false for a kind a program does not carry.
func tplUnbox(x any) (tplValue, bool) {
	switch x := x.(type) {
	case string:
		return tplValue{kind: tkString, s: x}, true
	case inventory.Condition:
		return tplValue{kind: tkCondition, s: string(x)}, true
	case int:
		return tplValue{kind: tkInt, i: x}, true
	case float64:
		return tplValue{kind: tkFloat, f: x}, true
	case *float64:
		return tplValue{kind: tkFloatPtr, fp: x}, true
	case *int:
		return tplValue{kind: tkIntPtr, ip: x}, true
	case []string:
		return tplValue{kind: tkStrings, list: x}, true
	case time.Time:
		return tplValue{kind: tkTime, t: x}, true
	case *time.Time:
		return tplValue{kind: tkTimePtr, tp: x}, true
	case bool:
		return tplBool(x), true
	}
	return tplValue{}, false
}

func tplStr(s string) tplValue { return tplValue{kind: tkString, s: s} }

func tplBool(b bool) tplValue {
	v := tplValue{kind: tkBool}
	if b {
		v.i = 1
	}
	return v
}

// text is tplText of the value, without boxing the common kinds.
func (v tplValue) text() string {
	switch v.kind {
	case tkString, tkCondition:
		return v.s
	case tkStrings:
		if len(v.list) == 1 && strings.TrimSpace(v.list[0]) != "" {
			return v.list[0]
		}
	}
	return tplText(v.box())
}

// truth is text/template's truth of the value (if, with): non-empty, non-zero, non-nil.
func (v tplValue) truth() bool {
	switch v.kind {
	case tkString, tkCondition:
		return v.s != ""
	case tkInt, tkBool:
		return v.i != 0
	case tkFloat:
		return v.f != 0
	case tkFloatPtr:
		return v.fp != nil
	case tkIntPtr:
		return v.ip != nil
	case tkStrings:
		return len(v.list) > 0
	case tkTime:
		return true // a struct is always true
	case tkTimePtr:
		return v.tp != nil
	case tkData:
		return v.d != nil
	}
	return false
}

// orDefault is tplDefault(def, v): v, with a pointer followed, or def when v is empty. ok is
// false for a kind tplDefault would hand back as something a program does not carry.
func (v tplValue) orDefault(def tplValue) (tplValue, bool) {
	switch v.kind {
	case tkString, tkCondition:
		if strings.TrimSpace(v.s) == "" {
			return def, true
		}
	case tkInt, tkBool:
		if v.i == 0 {
			return def, true
		}
	case tkFloat:
		if v.f == 0 { // reflect's IsZero: -0 is zero too
			return def, true
		}
	case tkFloatPtr:
		if v.fp == nil {
			return def, true
		}
		return tplValue{kind: tkFloat, f: *v.fp}.orDefault(def)
	case tkIntPtr:
		if v.ip == nil {
			return def, true
		}
		return tplValue{kind: tkInt, i: *v.ip}.orDefault(def)
	case tkStrings:
		if len(v.list) == 0 {
			return def, true
		}
	case tkTime:
		if v.t == (time.Time{}) { // reflect's IsZero, not Time.IsZero: a location counts
			return def, true
		}
	case tkTimePtr:
		if v.tp == nil {
			return def, true
		}
		return tplValue{kind: tkTime, t: *v.tp}.orDefault(def)
	default:
		return tplValue{}, false
	}
	return v, true
}

// number is tplNumeric of the common kinds without reflection; ok is false where the boxed
// helper must decide (a string, another kind).
func (v tplValue) number() (f float64, present, ok bool) {
	switch v.kind {
	case tkInt:
		return float64(v.i), true, true
	case tkFloat:
		return v.f, true, true
	case tkFloatPtr:
		if v.fp == nil {
			return 0, false, true
		}
		return *v.fp, true, true
	case tkIntPtr:
		if v.ip == nil {
			return 0, false, true
		}
		return float64(*v.ip), true, true
	}
	return 0, false, false
}

// tplGetter reads one field path of the data; ok is false when text/template would fail (a
// nil vehicle) and the program must bail.
type tplGetter func(d *TemplateData) (tplValue, bool)

func tplOfVehicle(get func(v *inventory.Vehicle) tplValue) tplGetter {
	return func(d *TemplateData) (tplValue, bool) {
		if d.Vehicle == nil {
			return tplValue{}, false
		}
		return get(d.Vehicle), true
	}
}

func tplOfData(get func(d *TemplateData) tplValue) tplGetter {
	return func(d *TemplateData) (tplValue, bool) { return get(d), true }
}

// tplGetters are the field paths a compiled program reads, by their text/template spelling
// without the leading dot. A path not listed keeps the text/template path.
func tplGetters() map[string]tplGetter {
	str := func(f func(v *inventory.Vehicle) string) tplGetter {
		return tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplStr(f(v)) })
	}
	dstr := func(f func(d *TemplateData) string) tplGetter {
		return tplOfData(func(d *TemplateData) tplValue { return tplStr(f(d)) })
	}
	dtime := func(f func(d *TemplateData) time.Time) tplGetter {
		return tplOfData(func(d *TemplateData) tplValue { return tplValue{kind: tkTime, t: f(d)} })
	}
	vtime := func(f func(v *inventory.Vehicle) time.Time) tplGetter {
		return tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplValue{kind: tkTime, t: f(v)} })
	}
	vfloat := func(f func(v *inventory.Vehicle) *float64) tplGetter {
		return tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplValue{kind: tkFloatPtr, fp: f(v)} })
	}
	dfloat := func(f func(d *TemplateData) *float64) tplGetter {
		return tplOfData(func(d *TemplateData) tplValue { return tplValue{kind: tkFloatPtr, fp: f(d)} })
	}
	list := func(f func(v *inventory.Vehicle) []string) tplGetter {
		return tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplValue{kind: tkStrings, list: f(v)} })
	}
	return map[string]tplGetter{
		"Vehicle.VIN":           str(func(v *inventory.Vehicle) string { return v.VIN }),
		"Vehicle.Make":          str(func(v *inventory.Vehicle) string { return v.Make }),
		"Vehicle.Model":         str(func(v *inventory.Vehicle) string { return v.Model }),
		"Vehicle.Trim":          str(func(v *inventory.Vehicle) string { return v.Trim }),
		"Vehicle.ExteriorColor": str(func(v *inventory.Vehicle) string { return v.ExteriorColor }),
		"Vehicle.InteriorColor": str(func(v *inventory.Vehicle) string { return v.InteriorColor }),
		"Vehicle.Engine":        str(func(v *inventory.Vehicle) string { return v.Engine }),
		"Vehicle.Transmission":  str(func(v *inventory.Vehicle) string { return v.Transmission }),
		"Vehicle.Drivetrain":    str(func(v *inventory.Vehicle) string { return v.Drivetrain }),
		"Vehicle.FuelType":      str(func(v *inventory.Vehicle) string { return v.FuelType }),
		"Vehicle.BodyStyle":     str(func(v *inventory.Vehicle) string { return v.BodyStyle }),
		"Vehicle.ImageURL":      str(func(v *inventory.Vehicle) string { return v.ImageURL }),
		"Vehicle.AIDescription": str(func(v *inventory.Vehicle) string { return v.AIDescription }),
		"Vehicle.DescriptionStatus": str(func(v *inventory.Vehicle) string {
			return v.DescriptionStatus
		}),
		"Vehicle.Title": str(func(v *inventory.Vehicle) string { return v.Title() }),
		"Vehicle.Condition": tplOfVehicle(func(v *inventory.Vehicle) tplValue {
			return tplValue{kind: tkCondition, s: string(v.Condition)}
		}),
		"Vehicle.Year":     tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplValue{kind: tkInt, i: v.Year} }),
		"Vehicle.Mileage":  tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplValue{kind: tkIntPtr, ip: v.Mileage} }),
		"Vehicle.Price":    vfloat(func(v *inventory.Vehicle) *float64 { return v.Price }),
		"Vehicle.MSRP":     vfloat(func(v *inventory.Vehicle) *float64 { return v.MSRP }),
		"Vehicle.Features": list(func(v *inventory.Vehicle) []string { return v.Features }),
		"Vehicle.Images":   list(func(v *inventory.Vehicle) []string { return v.Images }),
		"Vehicle.AllImages": list(func(v *inventory.Vehicle) []string {
			return v.AllImages()
		}),
		"Vehicle.HasDescription":     tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplBool(v.HasDescription()) }),
		"Vehicle.HasDescriptionFlag": tplOfVehicle(func(v *inventory.Vehicle) tplValue { return tplBool(v.HasDescriptionFlag) }),
		"Vehicle.CreatedAt":          vtime(func(v *inventory.Vehicle) time.Time { return v.CreatedAt }),
		"Vehicle.UpdatedAt":          vtime(func(v *inventory.Vehicle) time.Time { return v.UpdatedAt }),
		"Vehicle.DescriptionGeneratedAt": tplOfVehicle(func(v *inventory.Vehicle) tplValue {
			return tplValue{kind: tkTimePtr, tp: v.DescriptionGeneratedAt}
		}),
		"Dealer.Name":               dstr(func(d *TemplateData) string { return d.Dealer.Name }),
		"Dealer.Website":            dstr(func(d *TemplateData) string { return d.Dealer.Website }),
		"Dealer.VDPURL":             dstr(func(d *TemplateData) string { return d.Dealer.VDPURL }),
		"Dealer.Phone":              dstr(func(d *TemplateData) string { return d.Dealer.Phone }),
		"Dealer.StoreCode":          dstr(func(d *TemplateData) string { return d.Dealer.StoreCode }),
		"Dealer.Latitude":           dfloat(func(d *TemplateData) *float64 { return d.Dealer.Latitude }),
		"Dealer.Longitude":          dfloat(func(d *TemplateData) *float64 { return d.Dealer.Longitude }),
		"Dealer.Address.Street":     dstr(func(d *TemplateData) string { return d.Dealer.Address.Street }),
		"Dealer.Address.City":       dstr(func(d *TemplateData) string { return d.Dealer.Address.City }),
		"Dealer.Address.Region":     dstr(func(d *TemplateData) string { return d.Dealer.Address.Region }),
		"Dealer.Address.PostalCode": dstr(func(d *TemplateData) string { return d.Dealer.Address.PostalCode }),
		"Dealer.Address.Country":    dstr(func(d *TemplateData) string { return d.Dealer.Address.Country }),
		"Dealer.Address.OneLine":    dstr(func(d *TemplateData) string { return d.Dealer.Address.OneLine() }),
		"Snapshot.Tenant":           dstr(func(d *TemplateData) string { return d.Snapshot.Tenant }),
		"Snapshot.Version":          dstr(func(d *TemplateData) string { return d.Snapshot.Version }),
		"Snapshot.ModifiedAt":       dtime(func(d *TemplateData) time.Time { return d.Snapshot.ModifiedAt }),
		"Snapshot.FetchedAt":        dtime(func(d *TemplateData) time.Time { return d.Snapshot.FetchedAt }),
		"Count":                     tplOfData(func(d *TemplateData) tplValue { return tplValue{kind: tkInt, i: d.Count} }),
		"Currency":                  dstr(func(d *TemplateData) string { return d.Currency }),
		"MileageUnit":               dstr(func(d *TemplateData) string { return d.MileageUnit }),
		"Options.FeedURL":           dstr(func(d *TemplateData) string { return d.Options.FeedURL }),
		"Options.Title":             dstr(func(d *TemplateData) string { return d.Options.Title }),
		"Options.Currency":          dstr(func(d *TemplateData) string { return d.Options.Currency }),
		"Options.MileageUnit":       dstr(func(d *TemplateData) string { return d.Options.MileageUnit }),
	}
}

// tplFn names a helper a compiled program calls natively.
type tplFn uint8

const (
	fnMoney tplFn = iota + 1
	fnNumber
	fnJoin
	fnLower
	fnUpper
	fnTitle
	fnTruncate
	fnDefault
	fnVDP
	fnISODate
	fnYesNo
	fnClean
	fnOneLine
	fnFirst
	fnSlice
)

// tplFnsByName are the helpers of tplFuncs a compiled program calls natively, by name.
func tplFnsByName() map[string]tplFn {
	return map[string]tplFn{
		"money": fnMoney, "number": fnNumber, "join": fnJoin, "lower": fnLower, "upper": fnUpper,
		"title": fnTitle, "truncate": fnTruncate, "default": fnDefault, "vdp": fnVDP,
		"isodate": fnISODate, "yesno": fnYesNo, "clean": fnClean, "oneline": fnOneLine,
		"first": fnFirst, "slice": fnSlice,
	}
}

// tplMaxArgs bounds a call's arguments (the piped value included); a longer call is left to
// text/template.
const tplMaxArgs = 4

// tplOperand is one argument, or the whole of a command that is not a call.
type tplOperand struct {
	lit  *tplValue // a string or integer literal
	get  tplGetter // a field path
	dot  bool      // . or $
	pipe *tplPipe  // a parenthesised pipeline
}

// tplCmd is one command of a pipeline: a helper call, or one operand.
type tplCmd struct {
	fn   tplFn
	args []tplOperand
}

type tplPipe struct{ cmds []tplCmd }

// tplStep is one node of a compiled template: text, an action that prints, or an if.
type tplStep struct {
	text            string
	print           *tplPipe
	cond            *tplPipe
	then, otherwise []tplStep
}

// tplProg is one compiled expression: steps for a value, or the pipeline of an each.
type tplProg struct {
	steps []tplStep
	each  *tplPipe
}

// tplCompiler turns parse trees into programs.
type tplCompiler struct {
	getters map[string]tplGetter
	fns     map[string]tplFn
}

func newTplCompiler() *tplCompiler {
	return &tplCompiler{getters: tplGetters(), fns: tplFnsByName()}
}

// compile returns the program of a field's parsed template, or nil when something in it is
// left to text/template. An each field's template is `{{ PIPE | $.Each }}`: its program is
// PIPE's value.
func (c *tplCompiler) compile(tmpl *template.Template, each bool) *tplProg {
	if tmpl.Tree == nil || tmpl.Tree.Root == nil {
		return nil
	}
	if each {
		nodes := tmpl.Tree.Root.Nodes
		var action *parse.ActionNode
		for _, n := range nodes {
			if a, ok := n.(*parse.ActionNode); ok {
				action = a
			}
		}
		if action == nil || len(action.Pipe.Decl) != 0 || len(action.Pipe.Cmds) < 2 {
			return nil
		}
		last := action.Pipe.Cmds[len(action.Pipe.Cmds)-1].Args
		if v, ok := last[0].(*parse.VariableNode); !ok || len(last) != 1 || strings.Join(v.Ident, ".") != "$.Each" {
			return nil
		}
		inner := &parse.PipeNode{Cmds: action.Pipe.Cmds[:len(action.Pipe.Cmds)-1]}
		p, ok := c.pipe(inner)
		if !ok {
			return nil
		}
		return &tplProg{each: p}
	}
	steps, ok := c.list(tmpl.Tree.Root)
	if !ok {
		return nil
	}
	return &tplProg{steps: steps}
}

func (c *tplCompiler) list(l *parse.ListNode) ([]tplStep, bool) {
	if l == nil {
		return nil, true
	}
	var out []tplStep
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			out = append(out, tplStep{text: string(n.Text)})
		case *parse.ActionNode:
			p, ok := c.pipe(n.Pipe)
			if !ok {
				return nil, false
			}
			out = append(out, tplStep{print: p})
		case *parse.IfNode:
			cond, ok := c.pipe(n.Pipe)
			if !ok {
				return nil, false
			}
			then, ok := c.list(n.List)
			if !ok {
				return nil, false
			}
			els, ok := c.list(n.ElseList)
			if !ok {
				return nil, false
			}
			out = append(out, tplStep{cond: cond, then: then, otherwise: els})
		default:
			return nil, false
		}
	}
	return out, true
}

func (c *tplCompiler) pipe(p *parse.PipeNode) (*tplPipe, bool) {
	if p == nil || len(p.Decl) != 0 || len(p.Cmds) == 0 || p.IsAssign {
		return nil, false
	}
	out := &tplPipe{cmds: make([]tplCmd, 0, len(p.Cmds))}
	for i, cmd := range p.Cmds {
		if len(cmd.Args) == 0 {
			return nil, false
		}
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
			fn, known := c.fns[id.Ident]
			if !known || len(cmd.Args) > tplMaxArgs {
				return nil, false
			}
			call := tplCmd{fn: fn}
			for _, a := range cmd.Args[1:] {
				op, ok := c.operand(a)
				if !ok {
					return nil, false
				}
				call.args = append(call.args, op)
			}
			out.cmds = append(out.cmds, call)
			continue
		}
		// An operand is a command of its own only first and alone: text/template refuses to
		// hand it arguments.
		if i > 0 || len(cmd.Args) != 1 {
			return nil, false
		}
		op, ok := c.operand(cmd.Args[0])
		if !ok {
			return nil, false
		}
		out.cmds = append(out.cmds, tplCmd{args: []tplOperand{op}})
	}
	return out, true
}

func (c *tplCompiler) operand(n parse.Node) (tplOperand, bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		get, ok := c.getters[strings.Join(n.Ident, ".")]
		return tplOperand{get: get}, ok
	case *parse.VariableNode:
		if n.Ident[0] != "$" {
			return tplOperand{}, false
		}
		if len(n.Ident) == 1 {
			return tplOperand{dot: true}, true
		}
		get, ok := c.getters[strings.Join(n.Ident[1:], ".")]
		return tplOperand{get: get}, ok
	case *parse.DotNode:
		return tplOperand{dot: true}, true
	case *parse.StringNode:
		v := tplStr(n.Text)
		return tplOperand{lit: &v}, true
	case *parse.NumberNode:
		// Only a plain decimal integer: text/template reads any other constant (1.5, 0x10,
		// 'a', 1e3) by rules this program does not repeat.
		if !n.IsInt || strings.Trim(n.Text, "+-0123456789") != "" || strings.Count(n.Text, "+")+strings.Count(n.Text, "-") > 1 {
			return tplOperand{}, false
		}
		if int64(int(n.Int64)) != n.Int64 {
			return tplOperand{}, false
		}
		v := tplValue{kind: tkInt, i: int(n.Int64)}
		return tplOperand{lit: &v}, true
	case *parse.PipeNode:
		p, ok := c.pipe(n)
		return tplOperand{pipe: p}, ok
	}
	return tplOperand{}, false
}

// run renders a value program for the renderer's data; clean reports that the text is
// already cleaned, and ok is false when it bails.
func (r *tplRenderer) run(p *tplProg) (s string, clean, ok bool) {
	r.out, r.outClean, r.pieces = "", false, 0
	r.buf.Reset()
	if !r.steps(p.steps) {
		return "", false, false
	}
	if r.pieces > 1 {
		return r.buf.String(), false, true
	}
	return r.out, r.outClean, true
}

// emit adds printed text. The first piece is kept as it is, so the commonest template, one
// action, makes no copy.
func (r *tplRenderer) emit(s string, clean bool) {
	switch r.pieces {
	case 0:
		r.out, r.outClean = s, clean
	case 1:
		r.buf.WriteString(r.out)
		fallthrough
	default:
		r.buf.WriteString(s)
	}
	r.pieces++
}

func (r *tplRenderer) steps(steps []tplStep) bool {
	for i := range steps {
		st := &steps[i]
		switch {
		case st.print != nil:
			v, ok := r.pipe(st.print)
			if !ok {
				return false
			}
			switch v.kind {
			case tkString, tkCondition:
				r.emit(v.s, v.clean)
			case tkInt:
				r.emit(strconv.Itoa(v.i), false)
			default: // printed by fmt's rules: left to text/template
				return false
			}
		case st.cond != nil:
			v, ok := r.pipe(st.cond)
			if !ok || v.kind == tkNone {
				return false
			}
			branch := st.otherwise
			if v.truth() {
				branch = st.then
			}
			if !r.steps(branch) {
				return false
			}
		default:
			r.emit(st.text, false)
		}
	}
	return true
}

func (r *tplRenderer) operand(op *tplOperand) (tplValue, bool) {
	switch {
	case op.lit != nil:
		return *op.lit, true
	case op.get != nil:
		return op.get(&r.data)
	case op.dot:
		return tplValue{kind: tkData, d: &r.data}, true
	}
	return r.pipe(op.pipe)
}

func (r *tplRenderer) pipe(p *tplPipe) (tplValue, bool) {
	var (
		final tplValue
		has   bool
	)
	for i := range p.cmds {
		cmd := &p.cmds[i]
		if cmd.fn == 0 {
			v, ok := r.operand(&cmd.args[0])
			if !ok {
				return v, false
			}
			final, has = v, true
			continue
		}
		var args [tplMaxArgs + 1]tplValue
		n := 0
		for j := range cmd.args {
			v, ok := r.operand(&cmd.args[j])
			if !ok || v.kind == tkNone {
				return v, false
			}
			args[n] = v
			n++
		}
		if has {
			args[n] = final
			n++
		}
		v, ok := r.call(cmd.fn, args[:n])
		if !ok || v.kind == tkNone {
			return v, false
		}
		final, has = v, true
	}
	return final, has
}

// call runs a helper on its arguments (the piped value last) as tplFuncs would; ok is false
// when text/template would refuse the arguments or the helper fails.
func (r *tplRenderer) call(fn tplFn, a []tplValue) (tplValue, bool) {
	one := len(a) == 1
	switch fn {
	case fnMoney:
		if len(a) == 0 {
			return tplValue{}, false
		}
		for _, c := range a[1:] {
			if c.kind != tkString { // currency ...string: no other kind converts
				return tplValue{}, false
			}
		}
		f, present, ok := a[0].number()
		switch {
		case !ok:
			return r.boxed(fn, a)
		case !present:
			return tplStr(""), true
		case len(a) == 1:
			return tplStr(tplMoneyOf(f, nil)), true
		}
		cur := [1]string{a[1].s}
		return tplStr(tplMoneyOf(f, cur[:])), true
	case fnNumber:
		if !one {
			return tplValue{}, false
		}
		f, present, ok := a[0].number()
		if !ok {
			return r.boxed(fn, a)
		}
		if !present {
			return tplStr(""), true
		}
		return tplStr(inventory.FormatNumber(f)), true
	case fnJoin:
		if len(a) != 2 || a[0].kind != tkString {
			return tplValue{}, false
		}
		if a[1].kind != tkStrings {
			return r.boxed(fn, a)
		}
		return tplStr(tplJoinTexts(a[0].s, a[1].list)), true
	case fnLower, fnUpper, fnTitle, fnClean, fnOneLine:
		if !one || a[0].kind == tkData {
			return tplValue{}, false
		}
		s := a[0].text()
		switch fn {
		case fnLower:
			s = strings.ToLower(s)
		case fnUpper:
			s = strings.ToUpper(s)
		case fnTitle:
			s = r.titleCase(s)
		case fnClean, fnOneLine:
			s = Clean(s)
			if fn == fnOneLine {
				s = OneLine(s)
			}
			return tplValue{kind: tkString, s: s, clean: true}, true
		}
		return tplStr(s), true
	case fnTruncate:
		if len(a) != 2 || a[0].kind != tkInt || a[1].kind == tkData {
			return tplValue{}, false
		}
		s, _ := Truncate(a[1].text(), a[0].i)
		return tplStr(s), true
	case fnDefault:
		if len(a) != 2 {
			return tplValue{}, false
		}
		return a[1].orDefault(a[0])
	case fnVDP:
		if !one || a[0].kind != tkData {
			return tplValue{}, false
		}
		return tplStr(tplVDP(a[0].d)), true
	case fnISODate:
		if !one {
			return tplValue{}, false
		}
		switch a[0].kind {
		case tkTime:
			return tplStr(tplISOTime(a[0].t)), true
		case tkTimePtr:
			if a[0].tp == nil {
				return tplStr(""), true
			}
			return tplStr(tplISOTime(*a[0].tp)), true
		case tkData:
			return tplValue{}, false
		}
		return tplStr(""), true
	case fnYesNo:
		if !one || a[0].kind == tkData {
			return tplValue{}, false
		}
		if a[0].kind == tkBool {
			return tplStr(tplYesNo(a[0].i != 0)), true
		}
		v, ok := a[0].orDefault(tplValue{})
		if !ok {
			return tplValue{}, false
		}
		return tplStr(tplYesNo(v.kind != tkNone)), true
	case fnFirst:
		if !one {
			return tplValue{}, false
		}
		if a[0].kind != tkStrings {
			return r.boxed(fn, a)
		}
		for _, s := range a[0].list {
			if strings.TrimSpace(s) != "" {
				return tplStr(s), true
			}
		}
		return tplStr(""), true
	case fnSlice:
		if len(a) < 2 || len(a) > 3 || a[1].kind != tkInt || (len(a) == 3 && a[2].kind != tkInt) {
			return tplValue{}, false
		}
		to := [1]int{}
		var tos []int
		if len(a) == 3 {
			to[0] = a[2].i
			tos = to[:]
		}
		switch a[0].kind {
		case tkString, tkCondition:
			return tplStr(tplSliceText(a[0].s, a[1].i, tos)), true
		case tkStrings:
			i, j := tplBounds(len(a[0].list), a[1].i, tos)
			return tplValue{kind: tkStrings, list: a[0].list[i:j]}, true
		}
		return tplValue{}, false
	}
	return tplValue{}, false
}

// titleCase is the title helper. One ASCII word ("used") is its first letter upper-cased,
// which is what the Unicode title caser makes of it, without the caser's copy; anything else
// goes through one caser kept for the render (a caser is not safe for concurrent use).
func (r *tplRenderer) titleCase(s string) string {
	word := s != ""
	for i := 0; i < len(s) && word; i++ {
		c := s[i] | 0x20
		word = 'a' <= c && c <= 'z'
	}
	switch {
	case word && 'a' <= s[0] && s[0] <= 'z':
		return string(s[0]-'a'+'A') + s[1:]
	case word:
		return s
	}
	if r.title == nil {
		c := cases.Title(language.Und, cases.NoLower)
		r.title = &c
	}
	return r.title.String(s)
}

// boxed calls the helper of tplFuncs itself for the kinds call does not read natively.
func (r *tplRenderer) boxed(fn tplFn, a []tplValue) (tplValue, bool) {
	if a[len(a)-1].kind == tkData {
		return tplValue{}, false
	}
	var (
		x   any
		err error
	)
	switch fn {
	case fnMoney:
		currency := make([]string, 0, len(a)-1)
		for _, c := range a[1:] {
			currency = append(currency, c.s)
		}
		x, err = tplMoney(a[0].box(), currency...)
	case fnNumber:
		x, err = tplNumber(a[0].box())
	case fnJoin:
		x = tplJoin(a[0].s, a[1].box())
	case fnFirst:
		x = tplFirst(a[0].box())
	default:
		return tplValue{}, false
	}
	if err != nil {
		return tplValue{}, false
	}
	return tplUnbox(x)
}

// tplJoinTexts is tplJoin of a list of texts, in one allocation.
func tplJoinTexts(sep string, list []string) string {
	size := 0
	for _, s := range list {
		if strings.TrimSpace(s) != "" {
			size += len(sep) + len(s)
		}
	}
	if size == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(size - len(sep))
	first := true
	for _, s := range list {
		if strings.TrimSpace(s) != "" {
			if !first {
				b.WriteString(sep)
			}
			b.WriteString(s)
			first = false
		}
	}
	return b.String()
}

// items is the list of an each program, its items not yet cleaned; ok is false when it bails.
func (r *tplRenderer) items(p *tplPipe) ([]string, bool) {
	v, ok := r.pipe(p)
	if !ok {
		return nil, false
	}
	switch v.kind {
	case tkStrings:
		return v.list, true
	case tkNone, tkData:
		return nil, false
	}
	return tplList(v.box()), true
}
