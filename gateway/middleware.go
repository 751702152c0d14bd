package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
// otherwise; it is echoed in the response, where the access log reads it back.
func (s *Server) requestID(c *gin.Context) {
	id := headerValue(c.Request.Header, "X-Request-Id")
	if !saneRequestID(id) {
		id = s.ids.next()
	}
	c.Writer.Header()["X-Request-Id"] = []string{id}
	c.Next()
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
// takes its level; the line's attributes are not even built otherwise. Query strings are logged
// with the key parameter's value masked.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	d := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.deps.Metrics.observeHTTP(route, c.Request.Method, status, d)

	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	ctx := c.Request.Context()
	if !s.deps.Logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", headerValue(c.Writer.Header(), "X-Request-Id")),
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int("bytes", max(0, c.Writer.Size())),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("remote", c.ClientIP()),
	}
	if q := redactQuery(c.Request.URL.RawQuery); q != "" {
		attrs = append(attrs, slog.String("query", q))
	}
	if ua := c.Request.UserAgent(); ua != "" {
		attrs = append(attrs, slog.String("user_agent", ua))
	}
	if k := logKeyName(c); k != "" {
		attrs = append(attrs, slog.String("key_name", k))
	}
	if cs := headerValue(c.Writer.Header(), "Cache-Status"); cs != "" {
		attrs = append(attrs, slog.String("cache_status", cs))
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, slog.String("err", c.Errors.Last().Error()))
	}
	s.deps.Logger.LogAttrs(ctx, level, "request", attrs...)
}

// redactQuery masks the key parameter of a raw query string, leaving the rest readable.
func redactQuery(raw string) string {
	if raw == "" || !strings.Contains(strings.ToLower(raw), "key") {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil && strings.EqualFold(n, "key") || strings.EqualFold(name, "key") {
			parts[i] = name + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
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
