package gateway

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// manyQueryParams is where readQuery hands a query string to url.ParseQuery: past it the
// parser's own limit on parameters may apply, and its answer is the one to keep.
const manyQueryParams = 64

// readQuery fills vals[i] with the first value of names[i] in raw, as url.ParseQuery and
// gin's c.Query read it (escapes decoded, unreadable pairs skipped), without building
// url.Values: a pair needs no allocation unless it carries escapes, and a string without a
// '%' or '+' is not unescaped at all.
func readQuery(raw string, names, vals []string) {
	var seen uint64
	escaped := containsEither(raw, '%', '+')
	for rest, n := raw, 0; rest != ""; n++ {
		if n == manyQueryParams {
			clear(vals)
			m, _ := url.ParseQuery(raw)
			for i, name := range names {
				if v := m[name]; len(v) > 0 {
					vals[i] = v[0]
				}
			}
			return
		}
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" || strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		var err error
		if escaped {
			if name, err = url.QueryUnescape(name); err != nil {
				continue
			}
		}
		i := indexOf(names, name)
		if i < 0 || seen&(1<<i) != 0 {
			continue
		}
		if escaped {
			if value, err = url.QueryUnescape(value); err != nil {
				continue
			}
		}
		vals[i], seen = value, seen|1<<i
	}
}

// containsEither reports whether s holds a or b; for the short strings of a query it is
// several times cheaper than strings.ContainsAny.
func containsEither(s string, a, b byte) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == a || c == b {
			return true
		}
	}
	return false
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// queryValue is the first value of name in raw, as c.Query gives it.
func queryValue(raw, name string) string {
	var v [1]string
	readQuery(raw, []string{name}, v[:])
	return v[0]
}

// listQuery is a list page's parameters, read and checked.
type listQuery struct {
	q      inventory.Query
	cursor string
	limit  int
}

// The list endpoint's parameters, in the order readQuery reports them.
const (
	lqLimit = iota
	lqMake
	lqModel
	lqYear
	lqCondition
	lqCursor
	lqCount
)

// parseListQuery reads the list endpoint's parameters from the raw query string with the
// upstream's rules and messages, checked in the upstream's order.
func parseListQuery(raw string) (listQuery, error) {
	var v [lqCount]string
	if raw != "" {
		readQuery(raw, []string{"limit", "make", "model", "year", "condition", "cursor"}, v[:])
	}
	lq := listQuery{limit: 25}
	if s := v[lqLimit]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return lq, validation("limit", "limit must be an integer between 1 and 100")
		}
		lq.limit = n
	}
	lq.q = inventory.Query{Make: v[lqMake], Model: v[lqModel]}
	if s := v[lqYear]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return lq, validation("year", "year must be an integer")
		}
		lq.q.Year = n
	}
	if s := v[lqCondition]; s != "" {
		cond := inventory.Condition(strings.ToLower(s))
		if cond != inventory.New && cond != inventory.Used {
			return lq, validation("condition", "condition must be new or used")
		}
		lq.q.Condition = cond
	}
	lq.cursor = v[lqCursor]
	if _, err := inventory.DecodeCursor(lq.cursor); err != nil {
		return lq, errBadCursor()
	}
	return lq, nil
}

// errBadCursor is the upstream's 400 for a cursor it did not hand out.
func errBadCursor() error {
	return validation("cursor", "cursor must be the base64-encoded cursor of a previous response")
}
