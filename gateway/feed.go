package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
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
	if err := checkQuery(c.Request.URL.RawQuery); err != nil {
		s.fail(c, err)
		return
	}
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

	out, lk, err := fs.source.Output(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeFeed(c, g, fs, out, lk)
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

// writeFeed sends a rendered output with its caching headers, or 304 when the client's copy is
// current. The body is the stored slice itself, never a copy, and the header values are the
// output's prepared ones (feed_headers.go), so a hit formats nothing.
func (s *Server) writeFeed(c *gin.Context, g *grant, fs *feedState, out Rendered, lk Lookup) {
	req := c.Request
	h := c.Writer.Header()
	p := fs.prepare(&out)
	a := p.agesFor(int64(max(0, lk.Age)/time.Second), int64(lk.TTL/time.Second), lk.Outcome)

	body, etag, length, useGzip := p.pick(&out, headerValue(req.Header, "Accept-Encoding"))
	h["Etag"] = etag
	if p.lastModified != nil {
		h["Last-Modified"] = p.lastModified
	}
	h["Vary"] = p.varyHdr
	h["Cache-Control"] = a.cacheControlHdr
	h["Age"] = a.ageHdr
	shard := setCacheStatus(c, h, a.cacheStatusHdr)

	now := s.opts.Now()
	fetched(fs.lastFetch, now)
	fetched(g.lastFetch, now)
	inm := headerValue(req.Header, "If-None-Match")
	if (inm != "" && etagMatches(inm, p.quoted, p.quotedGzip)) ||
		(inm == "" && notModifiedSince(headerValue(req.Header, "If-Modified-Since"), out.ModifiedAt)) {
		fs.countResponse(s.deps.Metrics, notModified, shard)
		c.Status(http.StatusNotModified)
		return
	}
	fs.countResponse(s.deps.Metrics, lk.Outcome, shard)
	p.setEntity(h, length, useGzip)
	if req.URL.RawQuery != "" {
		if d := c.Query("download"); d == "1" || d == "true" {
			h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.%s"`,
				fs.tenant, fs.name, out.ModifiedAt.UTC().Format("20060102"), fs.writer.Extension()))
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
