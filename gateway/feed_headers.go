package gateway

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// preparedOutput holds a stored output's response header values, built once per output instead
// of on every request. The slices go into response header maps as they are, shared by every
// response that sends them: nobody may modify them (net/http only reads them; a handler that
// wants another value replaces the map entry).
type preparedOutput struct {
	// What the values were built from; a request whose output differs builds new ones.
	etag        string
	modified    time.Time
	contentType string
	plainLen    int
	gzipLen     int

	quoted, quotedGzip      string   // the entity tags, for If-None-Match
	etagHdr, gzipETagHdr    []string // ETag of each representation
	plainLenHdr, gzipLenHdr []string // Content-Length of each representation
	lastModified            []string // nil when the snapshot has no modification time
	contentTypeHdr, gzipHdr []string
	varyHdr                 []string
	ages                    atomic.Pointer[ageHeaders]
}

// ageHeaders are the headers that change with the snapshot's age, rebuilt at most once a second
// per output (and when the outcome changes).
type ageHeaders struct {
	age, fresh, ttl                         int64
	outcome                                 Outcome
	ageHdr, cacheControlHdr, cacheStatusHdr []string
}

// prepare returns the header values for out, reusing fs's when they were built for the same
// output.
func (fs *feedState) prepare(out *Rendered) *preparedOutput {
	if p := fs.prepared.Load(); p != nil && p.builtFor(out) {
		return p
	}
	p := newPreparedOutput(out)
	fs.prepared.Store(p)
	return p
}

// builtFor reports whether p's values were built for out.
func (p *preparedOutput) builtFor(out *Rendered) bool {
	return p.etag == out.ETag && p.modified.Equal(out.ModifiedAt) && p.contentType == out.ContentType &&
		p.plainLen == len(out.Body) && p.gzipLen == len(out.Gzip)
}

// newPreparedOutput builds the header values of out.
func newPreparedOutput(out *Rendered) *preparedOutput {
	quoted := quoteETag(out.ETag)
	p := &preparedOutput{
		etag: out.ETag, modified: out.ModifiedAt, contentType: out.ContentType,
		plainLen: len(out.Body), gzipLen: len(out.Gzip),
		quoted: quoted, quotedGzip: gzipETag(quoted),
		plainLenHdr: []string{strconv.Itoa(len(out.Body))}, gzipLenHdr: []string{strconv.Itoa(len(out.Gzip))},
		contentTypeHdr: []string{out.ContentType}, gzipHdr: []string{"gzip"},
		varyHdr: []string{"Accept-Encoding"},
	}
	p.etagHdr, p.gzipETagHdr = []string{p.quoted}, []string{p.quotedGzip}
	if !out.ModifiedAt.IsZero() {
		p.lastModified = []string{out.ModifiedAt.UTC().Format(http.TimeFormat)}
	}
	return p
}

// agesFor returns the age-dependent header values; ttl is the freshness left in seconds,
// negative once stale.
func (p *preparedOutput) agesFor(age, ttl int64, o Outcome) *ageHeaders {
	fresh := max(0, ttl)
	if a := p.ages.Load(); a != nil && a.age == age && a.ttl == ttl && a.outcome == o {
		return a
	}
	a := &ageHeaders{age: age, fresh: fresh, ttl: ttl, outcome: o,
		ageHdr: []string{strconv.FormatInt(age, 10)},
		// Feeds are keyed, so no shared cache may keep them; a client may reuse one while it is
		// fresh.
		cacheControlHdr: []string{"private, max-age=" + strconv.FormatInt(fresh, 10)},
		cacheStatusHdr:  []string{cacheStatus(o, ttl)},
	}
	p.ages.Store(a)
	return a
}

// pick returns the representation of out for a request's Accept-Encoding: its body, its ETag
// and Content-Length values, and whether it is the gzip one.
func (p *preparedOutput) pick(out *Rendered, acceptEncoding string) (body []byte, etag, length []string, gzip bool) {
	if len(out.Gzip) > 0 && acceptsGzip(acceptEncoding) {
		return out.Gzip, p.gzipETagHdr, p.gzipLenHdr, true
	}
	return out.Body, p.etagHdr, p.plainLenHdr, false
}

// setEntity sets the headers that describe the body pick chose.
func (p *preparedOutput) setEntity(h http.Header, length []string, gzip bool) {
	if gzip {
		h["Content-Encoding"] = p.gzipHdr
	}
	h["Content-Type"] = p.contentTypeHdr
	h["Content-Length"] = length
}
