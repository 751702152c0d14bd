package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// ctxGrant is the context key under which a handler leaves the request's *grant for the access
// log (a pointer: storing it boxes nothing).
const ctxGrant = "feedgate.grant"

// requestIDs makes request ids: a random per-process prefix and a counter, unique across
// replicas without reading crypto/rand on every request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (r *requestIDs) next() string {
	var buf [40]byte
	return string(strconv.AppendUint(append(buf[:0], r.prefix...), r.n.Add(1), 36))
}

// requestID honours a sane X-Request-ID from the client (or a proxy in front) and makes one up
// otherwise; it is echoed in the response, where the access log reads it back. An id that is a
// secret is not sane: it would be echoed and logged. Every answer says nosniff here, so that no
// JSON or error body can be sniffed into something a browser runs.
func (s *Server) requestID(r *redactor) gin.HandlerFunc {
	nosniff := []string{"nosniff"}
	return func(c *gin.Context) {
		id := headerValue(c.Request.Header, "X-Request-Id")
		if !saneRequestID(id) || r.current().isSecret(id) {
			id = s.ids.next()
		}
		h := c.Writer.Header()
		h["X-Request-Id"] = []string{id}
		h["X-Content-Type-Options"] = nosniff
		c.Next()
	}
}

// saneRequestID admits 1–128 characters of letters, digits and -_.:, so that a header cannot
// inject anything into logs or responses.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("-_.:", b) >= 0) {
			return false
		}
	}
	return true
}

// setLogKey records which configured key a request used, for the access log to name (never
// the key itself).
func setLogKey(c *gin.Context, g *grant) { c.Set(ctxGrant, g) }

// logKeyName is the name of the key the request used, or "".
func logKeyName(c *gin.Context) string {
	if v, ok := c.Get(ctxGrant); ok {
		if g, ok := v.(*grant); ok {
			return g.logName()
		}
	}
	return ""
}

// accessLog counts each request in the metrics and writes one JSON line for it when the logger
// takes its level; the line's attributes are not even built otherwise. Nothing the client sent is
// logged before the redactor has masked its secrets (redact.go). Health probes and scrapes are
// logged at debug, so that they do not drown the requests that matter; a /readyz that fails
// (a draining replica) is logged at info.
func (s *Server) accessLog(r *redactor) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		d := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		method := methodLabel(c.Request.Method)
		s.deps.Metrics.observeHTTP(route, method, status, d)

		level := accessLevel(route, status)
		ctx := c.Request.Context()
		if !s.deps.Logger.Enabled(ctx, level) {
			return
		}
		sec := r.current()
		attrs := []slog.Attr{
			slog.String("request_id", headerValue(c.Writer.Header(), "X-Request-Id")),
			slog.String("method", method),
			slog.String("path", sec.path(c.Request.URL.Path)),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int("bytes", max(0, c.Writer.Size())),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("remote", sec.clientAddr(c.Request)),
		}
		if q := sec.query(c.Request.URL.RawQuery); q != "" {
			attrs = append(attrs, slog.String("query", q))
		}
		if ua := c.Request.UserAgent(); ua != "" {
			attrs = append(attrs, slog.String("user_agent", sec.text(ua)))
		}
		if k := logKeyName(c); k != "" {
			attrs = append(attrs, slog.String("key_name", k))
		}
		if cs := headerValue(c.Writer.Header(), "Cache-Status"); cs != "" {
			attrs = append(attrs, slog.String("cache_status", cs))
		}
		if len(c.Errors) > 0 {
			if msg := sec.text(c.Errors.Last().Error()); msg != "" {
				attrs = append(attrs, slog.String("err", msg))
			}
		}
		s.deps.Logger.LogAttrs(ctx, level, "request", attrs...)
	}
}

// accessLevel is the level of a request's log line: error for a 5xx, debug for probes and
// scrapes, info otherwise. A /readyz answering 503 is a replica draining: info, not an error.
func accessLevel(route string, status int) slog.Level {
	switch route {
	case "/healthz", "/readyz", "/metrics":
		if route == "/readyz" && status == 503 {
			return slog.LevelInfo
		}
		if status < 500 {
			return slog.LevelDebug
		}
	}
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// recover turns a panic into a 500 in the error shape; the panic value goes to the log only.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(p) // the client went away mid-body; let net/http handle it quietly
		}
		err := &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.",
			Err: fmt.Errorf("gateway: panic: %v", p)}
		if c.Writer.Written() {
			_ = c.Error(err)
			c.Abort()
			return
		}
		s.fail(c, err)
	}()
	c.Next()
}
