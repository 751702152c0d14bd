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
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// Context keys the handlers leave for the access log.
const (
	ctxRequestID = "feedgate.request_id"
	ctxKeyName   = "feedgate.key_name"
)

// requestID honours a sane X-Request-ID from the client (or a proxy in front) and makes one up
// otherwise; it is echoed in the response and logged with every line.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !saneRequestID(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
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

// setLogKey records which configured key a request used, by its name (never the key).
func setLogKey(c *gin.Context, g *grant) {
	name := g.name
	if g.admin {
		name = "admin:" + name
	}
	c.Set(ctxKeyName, name)
}

// accessLog writes one JSON line per request and counts it in the metrics. Query strings are
// logged with the key parameter's value masked.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	d := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.deps.Metrics.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(status)).Inc()
	s.deps.Metrics.latency.WithLabelValues(route).Observe(d.Seconds())

	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("request_id", c.GetString(ctxRequestID)),
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
	if k := c.GetString(ctxKeyName); k != "" {
		attrs = append(attrs, slog.String("key_name", k))
	}
	if cs := c.Writer.Header().Get("Cache-Status"); cs != "" {
		attrs = append(attrs, slog.String("cache_status", cs))
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, slog.String("err", c.Errors.Last().Error()))
	}
	s.deps.Logger.LogAttrs(c.Request.Context(), level, "request", attrs...)
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
