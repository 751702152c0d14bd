package transform

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/feedgate/feedgate/inventory"
)

// tplFuncs are the helpers a channel template may call. They take the value they work on
// last, so they read well in a pipeline (`.Vehicle.Trim | upper | default "Base"`), and they
// turn ordinary data, absent values included, into text without failing: a nil price is "",
// never "<nil>". Only a value of the wrong kind (money of a make) is an error.
func tplFuncs() template.FuncMap {
	return template.FuncMap{
		"money":    tplMoney,
		"number":   tplNumber,
		"join":     tplJoin,
		"lower":    func(v any) string { return strings.ToLower(tplText(v)) },
		"upper":    func(v any) string { return strings.ToUpper(tplText(v)) },
		"title":    func(v any) string { return cases.Title(language.Und, cases.NoLower).String(tplText(v)) },
		"truncate": tplTruncate,
		"default":  tplDefault,
		"vdp":      tplVDP,
		"isodate":  tplISODate,
		"yesno":    tplYesNo,
		"clean":    func(v any) string { return Clean(tplText(v)) },
		"oneline":  func(v any) string { return OneLine(Clean(tplText(v))) },
		"first":    tplFirst,
		"slice":    tplSlice,
	}
}

// tplText is a value as feed text: strings as they are, absent values (nil, a nil pointer) as "",
// numbers without exponent, times in RFC 3339, lists joined with ", ".
func tplText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return tplISODate(x)
	case *time.Time:
		return tplISODate(x)
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return ""
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return inventory.FormatNumber(rv.Float())
	case reflect.Slice, reflect.Array:
		return strings.Join(tplList(rv.Interface()), ", ")
	}
	return fmt.Sprint(rv.Interface())
}

// tplList is a value as a list of texts: a slice item by item, a single value as one item, an
// absent value as none. Blank items are dropped.
func tplList(v any) []string {
	var out []string
	add := func(s string) {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	switch x := v.(type) {
	case nil:
		return nil
	case []string:
		return tplNonBlank(x)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		add(tplText(v))
		return out
	}
	out = make([]string, 0, rv.Len())
	for i := 0; i < rv.Len(); i++ {
		add(tplText(rv.Index(i).Interface()))
	}
	return out
}

// tplNonBlank is the non-blank items of a list of texts, in a new slice.
func tplNonBlank(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// tplNumeric reads a number from any numeric value or pointer to one; ok is false for an absent
// value. A string is read only if it is a number, so that money of a make is an error.
func tplNumeric(name string, v any) (f float64, ok bool, err error) {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) {
		if rv.IsNil() {
			return 0, false, nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return 0, false, nil
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true, nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true, nil
	case reflect.String:
		s := strings.TrimSpace(rv.String())
		if s == "" {
			return 0, false, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true, nil
		}
		return 0, false, fmt.Errorf("%s: %q is not a number", name, s)
	}
	return 0, false, fmt.Errorf("%s: cannot read a %s as a number", name, rv.Type())
}

// tplMoney formats an amount with two decimals, followed by the currency code when one is given:
// `money .Vehicle.Price .Currency` is "28500.00 USD"; an absent price is "".
func tplMoney(v any, currency ...string) (string, error) {
	f, ok, err := tplNumeric("money", v)
	if !ok {
		return "", err
	}
	return tplMoneyOf(f, currency), nil
}

// tplMoneyOf is money of a present amount.
func tplMoneyOf(f float64, currency []string) string {
	if len(currency) > 0 && strings.TrimSpace(currency[0]) != "" {
		return Money(f, strings.TrimSpace(currency[0]))
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// tplNumber formats a number without exponent or trailing zeros; an absent number is "".
func tplNumber(v any) (string, error) {
	f, ok, err := tplNumeric("number", v)
	if !ok {
		return "", err
	}
	return inventory.FormatNumber(f), nil
}

// tplJoin joins the non-blank items of a list with sep.
func tplJoin(sep string, v any) string { return strings.Join(tplList(v), sep) }

// tplTruncate cuts text to at most n characters at a word boundary.
func tplTruncate(n int, v any) string {
	s, _ := Truncate(tplText(v), n)
	return s
}

// tplDefault is v, or def when v is empty: absent, blank, zero, false or an empty list.
func tplDefault(def, v any) any {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) {
		if rv.IsNil() {
			return def
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() || rv.IsZero() {
		return def
	}
	switch rv.Kind() {
	case reflect.String:
		if strings.TrimSpace(rv.String()) == "" {
			return def
		}
	case reflect.Slice, reflect.Map:
		if rv.Len() == 0 {
			return def
		}
	}
	return rv.Interface()
}

// tplVDP is the vehicle's page on the dealer's site (`vdp .`), or "" when the dealer has no
// vdp_url or the data has no vehicle.
func tplVDP(d *TemplateData) string {
	if d == nil || d.Vehicle == nil {
		return ""
	}
	return d.Dealer.VehicleURL(d.Vehicle.VIN)
}

// tplISODate formats a time in RFC 3339, UTC; a zero or absent time is "".
func tplISODate(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	return tplISOTime(t)
}

// tplISOTime is isodate of a time value.
func tplISOTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// tplYesNo is "yes" for a true or non-empty value and "no" otherwise.
func tplYesNo(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "yes"
		}
		return "no"
	}
	if tplDefault(nil, v) == nil {
		return "no"
	}
	return "yes"
}

// tplFirst is the first non-blank item of a list, or "".
func tplFirst(v any) string {
	if items := tplList(v); len(items) > 0 {
		return items[0]
	}
	return ""
}

// tplSlice is part of a list or string (by characters): items from..to-1. Indexes count from the
// end when negative and are clamped to the bounds, so `slice .Vehicle.VIN -8` is the last 8
// characters of any VIN and never an error.
func tplSlice(v any, from int, to ...int) any {
	if s, ok := v.(string); ok {
		return tplSliceText(s, from, to)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		return tplSlice(rv.String(), from, to...)
	case reflect.Slice:
		i, j := tplBounds(rv.Len(), from, to)
		return rv.Slice(i, j).Interface()
	}
	return nil
}

// tplSliceText is slice of a text, by characters.
func tplSliceText(s string, from int, to []int) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii { // one byte per character: no copy
		i, j := tplBounds(len(s), from, to)
		return s[i:j]
	}
	r := []rune(s)
	i, j := tplBounds(len(r), from, to)
	return string(r[i:j])
}

func tplBounds(n, from int, to []int) (int, int) {
	clamp := func(i int) int {
		if i < 0 {
			i += n
		}
		return max(0, min(i, n))
	}
	i, j := clamp(from), n
	if len(to) > 0 {
		j = clamp(to[0])
	}
	return i, max(i, j)
}
