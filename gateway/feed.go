package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// serveFeed answers GET and HEAD /feeds/{tenant}/{feed}[.ext].
func (s *Server) serveFeed(c *gin.Context) {
	st := s.state.Load()
	tenant := c.Param("tenant")
	name, ext, _ := strings.Cut(c.Param("feed"), ".")

	g, ok := st.keys.lookup(presentedKey(c.Request, true))
	if !ok {
		c.Header("WWW-Authenticate", `Basic realm="feedgate", charset="UTF-8"`)
		s.fail(c, errUnauthorized())
		return
	}
	setLogKey(c, g)
	if err := authorizeFeed(g, tenant, name); err != nil {
		s.fail(c, err)
		return
	}
	fs, ts, ok := st.feed(tenant, name)
	if !ok {
		s.fail(c, errNotFound())
		return
	}
	if !s.allow(c, g, ts) {
		return
	}
	if ext != "" && ext != fs.writer.Extension() {
		s.fail(c, inventory.Errorf(inventory.ENotFound, "Feed %q is served as .%s", name, fs.writer.Extension()))
		return
	}
	if !acceptable(headerValue(c.Request.Header, "Accept"), fs.writer.ContentType()) {
		s.fail(c, errorf(inventory.ENotAcceptable, map[string]any{"available": []string{fs.writer.ContentType()}},
			"This feed is only available as %s", fs.writer.ContentType()))
		return
	}

	ctx := c.Request.Context()
	snap, snapLookup, err := s.deps.Store.Snapshot(ctx, tenant)
	if err != nil {
		s.fail(c, err)
		return
	}
	key := OutputKey{Tenant: tenant, Feed: name, Format: fs.writer.Name(), Fingerprint: fs.fingerprint, Version: snap.Version}
	out, outLookup, err := s.deps.Store.Output(ctx, key, snap, func() (Rendered, error) { return s.render(fs, snap) })
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeFeed(c, st, fs, snap, out, cacheOutcome(snapLookup, outLookup))
}

// cacheOutcome folds the snapshot's and the output's lookups into the response's: stale if the
// data is stale, a miss if anything was fetched or rendered, a hit otherwise.
func cacheOutcome(snap, out Lookup) Outcome {
	switch {
	case snap.Outcome == Stale:
		return Stale
	case snap.Outcome == Miss || out.Outcome == Miss:
		return Miss
	}
	return Hit
}

// render writes the feed into a buffer: a failing writer becomes a clean error, never a
// truncated 200. A panicking writer is caught here too, since the store may run render on a
// goroutine shared by several requests.
func (s *Server) render(fs *feedState, snap *inventory.Snapshot) (out Rendered, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gateway: render %s/%s (%s): panic: %v", fs.tenant, fs.name, fs.writer.Name(), p)
		}
	}()
	start := time.Now()
	var buf bytes.Buffer
	diag, err := fs.writer.Write(&buf, transform.Input{Snapshot: snap, Dealer: fs.dealer, Options: fs.options})
	s.deps.Metrics.observeRender(fs.writer.Name(), time.Since(start))
	if err != nil {
		return Rendered{}, fmt.Errorf("gateway: render %s/%s (%s): %w", fs.tenant, fs.name, fs.writer.Name(), err)
	}
	meta, err := json.Marshal(diag)
	if err != nil {
		return Rendered{}, fmt.Errorf("gateway: render %s/%s: diagnostics: %w", fs.tenant, fs.name, err)
	}
	return Rendered{Body: buf.Bytes(), ContentType: fs.writer.ContentType(), ModifiedAt: snap.ModifiedAt, Meta: meta}, nil
}

// writeFeed sends a rendered output with its caching headers, or 304 when the client's copy is
// current. The body is the stored slice itself, never a copy, and the header values are the
// output's prepared ones (feed_headers.go), so a hit formats nothing.
func (s *Server) writeFeed(c *gin.Context, st *state, fs *feedState, snap *inventory.Snapshot, out Rendered, outcome Outcome) {
	req := c.Request
	h := c.Writer.Header()
	p := fs.prepare(&out, snap)
	age := max(0, s.opts.Now().Sub(snap.FetchedAt))
	a := p.agesFor(int64(age/time.Second), int64((st.freshFor-age)/time.Second), outcome)

	body, etag, length := out.Body, p.etagHdr, p.plainLenHdr
	useGzip := len(out.Gzip) > 0 && acceptsGzip(headerValue(req.Header, "Accept-Encoding"))
	if useGzip {
		body, etag, length = out.Gzip, p.gzipETagHdr, p.gzipLenHdr
	}
	h["Etag"] = etag
	if p.lastModified != nil {
		h["Last-Modified"] = p.lastModified
	}
	h["Vary"] = p.varyHdr
	h["Cache-Control"] = a.cacheControlHdr
	h["Age"] = a.ageHdr
	h["Cache-Status"] = a.cacheStatusHdr
	h["X-Content-Type-Options"] = p.nosniffHdr

	inm := headerValue(req.Header, "If-None-Match")
	if (inm != "" && etagMatches(inm, p.quoted, p.quotedGzip)) ||
		(inm == "" && notModifiedSince(headerValue(req.Header, "If-Modified-Since"), snap.ModifiedAt)) {
		s.deps.Metrics.countFeedResponse(fs.tenant, fs.name, "not_modified")
		c.Status(http.StatusNotModified)
		return
	}
	s.deps.Metrics.countFeedResponse(fs.tenant, fs.name, outcome.String())
	if useGzip {
		h["Content-Encoding"] = p.gzipHdr
	}
	h["Content-Type"] = p.contentTypeHdr
	h["Content-Length"] = length
	if req.URL.RawQuery != "" {
		if d := c.Query("download"); d == "1" || d == "true" {
			h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.%s"`,
				fs.tenant, fs.name, snap.ModifiedAt.UTC().Format("20060102"), fs.writer.Extension()))
		}
	}
	c.Status(http.StatusOK)
	if req.Method == http.MethodHead {
		return
	}
	_, _ = c.Writer.Write(body)
}

// cacheStatus is the RFC 9211 Cache-Status value; ttl is the freshness left in seconds, negative
// once stale.
func cacheStatus(o Outcome, ttl int64) string {
	switch o {
	case Stale:
		return "feedgate; hit; ttl=" + strconv.FormatInt(min(ttl, -1), 10) + "; detail=stale"
	case Miss:
		return "feedgate; fwd=miss; stored"
	}
	return "feedgate; hit"
}
