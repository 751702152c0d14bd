package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// acceptsGzip reports whether a response may be gzip-encoded under an Accept-Encoding header
// (RFC 9110 §12.5.3): gzip (or x-gzip, or *) with a q-value above zero, and not less preferred
// than an explicitly listed identity. "gzip;q=0" refuses it.
func acceptsGzip(header string) bool {
	if header == "" {
		return false
	}
	gzipQ, starQ, identityQ := -1.0, -1.0, -1.0
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ",")
		coding, q := codingAndQ(part)
		switch {
		case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
			gzipQ = max(gzipQ, q)
		case coding == "*":
			starQ = q
		case strings.EqualFold(coding, "identity"):
			identityQ = q
		}
	}
	if gzipQ < 0 {
		gzipQ = starQ
	}
	if gzipQ <= 0 {
		return false
	}
	return identityQ < 0 || gzipQ >= identityQ
}

// codingAndQ splits "gzip;q=0.5" into its coding and q-value; a missing or unreadable q is 1,
// since a sender that wrote the coding meant to accept it.
func codingAndQ(part string) (string, float64) {
	coding, params, _ := strings.Cut(part, ";")
	q := 1.0
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
	}
	return strings.TrimSpace(coding), q
}

// etagMatches reports whether an If-None-Match header matches any of the current tags, by weak
// comparison (RFC 9110 §13.1.2): "*" matches, W/ prefixes are ignored. The list is split on
// commas outside quotes, since an entity tag may itself contain a comma.
func etagMatches(header string, current ...string) bool {
	header = strings.TrimSpace(header)
	if header == "*" {
		return true
	}
	for header != "" {
		header = strings.TrimLeft(header, " \t,")
		var tag string
		tag, header = nextETag(header)
		if tag == "" {
			continue
		}
		for _, c := range current {
			if opaqueTag(c) == tag {
				return true
			}
		}
	}
	return false
}

// nextETag reads one entity tag from the front of s and returns its opaque part (quotes kept,
// W/ dropped) and the rest of s. Malformed input is skipped up to the next comma.
func nextETag(s string) (tag, rest string) {
	t := strings.TrimPrefix(s, "W/")
	if strings.HasPrefix(t, `"`) {
		if end := strings.IndexByte(t[1:], '"'); end >= 0 {
			return t[:end+2], t[end+2:]
		}
		return "", ""
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		return "", s[i+1:]
	}
	return "", ""
}

func opaqueTag(etag string) string { return strings.TrimPrefix(etag, "W/") }

// quoteETag makes an entity tag of a bare value, leaving a quoted one as it is.
func quoteETag(v string) string {
	if strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `W/"`) {
		return v
	}
	return `"` + v + `"`
}

// gzipETag is the entity tag of the gzip representation: a different strong tag, since its bytes
// differ, derived from the identity tag so both can be matched.
func gzipETag(etag string) string {
	if strings.HasSuffix(etag, `"`) {
		return etag[:len(etag)-1] + `-gzip"`
	}
	return etag + "-gzip"
}

// notModifiedSince reports whether If-Modified-Since is at or after the resource's modification
// time (compared at one-second resolution, as HTTP dates carry). An unreadable date is ignored.
func notModifiedSince(header string, modified time.Time) bool {
	if header == "" || modified.IsZero() {
		return false
	}
	t, err := http.ParseTime(header)
	if err != nil {
		return false
	}
	return !modified.Truncate(time.Second).After(t)
}

// acceptable reports whether an Accept header admits the media type. An absent or unreadable
// header admits everything: marketplace fetchers send odd values, and refusing them would cut a
// dealer off a channel over a header. It allocates nothing for the usual headers.
func acceptable(header, contentType string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || typ == "" || sub == "" {
		return true
	}
	parsed := false
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ",")
		r, q := codingAndQ(part)
		if r == "" {
			continue
		}
		rt, rs, ok := strings.Cut(r, "/")
		if !ok {
			return true // not a media range at all: the header is unreadable
		}
		parsed = true
		if q <= 0 {
			continue
		}
		if rt == "*" && rs == "*" || strings.EqualFold(rt, typ) && (rs == "*" || strings.EqualFold(rs, sub)) {
			return true
		}
	}
	return !parsed
}

// isQueryParam reports whether name is a query parameter the routes read: only these are named
// in the answer to a malformed query string, since any other name might be a secret the client
// sent by mistake.
func isQueryParam(name string) bool {
	switch name {
	case "key", "download", "limit", "cursor", "make", "model", "year", "condition", "format":
		return true
	}
	return false
}

// checkQuery refuses a query string that the query parser would read only in part: a pair with
// a bad percent escape or a semicolon is otherwise dropped in silence, and a malformed cursor
// would be answered with page one. The message names the parameter when it is one the routes
// read, and never repeats a value.
func checkQuery(raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		dname, nerr := url.QueryUnescape(name)
		_, verr := url.QueryUnescape(value)
		semi := strings.IndexByte(pair, ';') >= 0
		if nerr == nil && verr == nil && !semi {
			continue
		}
		problem := "has an invalid percent escape (a % must be followed by two hexadecimal digits)"
		if semi {
			problem = "contains a semicolon (parameters are separated by &)"
		}
		if nerr == nil && isQueryParam(dname) {
			return validation(dname, fmt.Sprintf("The query string is malformed: parameter %q %s", dname, problem))
		}
		return validation("query", "The query string is malformed: a parameter "+problem)
	}
	return nil
}
