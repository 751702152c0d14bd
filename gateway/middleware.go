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
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// requestIDs makes request ids: a random per-process prefix and a counter, unique across
// replicas without reading crypto/rand on every request. Ids are made idBatch at a time, as one
// string and one header slice that the batch's requests share, so that a request allocates
// nothing for its id; front's pooled per-request state keeps the batch it draws from.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

// idBatch is the size of a batch of request ids.
const idBatch = 64

// idRun is a batch of request ids: X-Request-Id header values, each a slice of one.
type idRun struct {
	hdrs []string
	next int
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

// header returns a fresh id as a header value (a slice of one that nobody may change), drawn
// from *run, which it replaces with a new batch when it is nil or used up. One run is used by
// one goroutine at a time.
func (r *requestIDs) header(run **idRun) []string {
	b := *run
	if b == nil || b.next == len(b.hdrs) {
		b = r.newRun()
		*run = b
	}
	h := b.hdrs[b.next : b.next+1 : b.next+1]
	b.next++
	return h
}

// newRun reserves idBatch numbers and formats their ids into one string.
func (r *requestIDs) newRun() *idRun {
	first := r.n.Add(idBatch) - idBatch + 1
	buf := make([]byte, 0, idBatch*(len(r.prefix)+8))
	ends := make([]int, idBatch)
	for i := range uint64(idBatch) {
		buf = strconv.AppendUint(append(buf, r.prefix...), first+i, 36)
		ends[i] = len(buf)
	}
	all := string(buf)
	run := &idRun{hdrs: make([]string, idBatch)}
	start := 0
	for i, end := range ends {
		run.hdrs[i] = all[start:end]
		start = end
	}
	return run
}

// request is what the front middleware keeps for one request: the request id it answered with,
// and what handlers leave for the access log (the key used, the cache's verdict). It wraps the
// request's gin.ResponseWriter, so that a handler reaches it from c.Writer with one type
// assertion instead of a lock and a map write in gin's Keys; front unwraps it before it returns.
// Requests are pooled: a request allocates none.
type request struct {
	gin.ResponseWriter
	// shard is this pooled struct's shard of the metrics and of the access log's buffers: the
	// pool keeps it on the core that put it back.
	shard int
	// ids is the batch of request ids this pooled struct draws from.
	ids         *idRun
	id          string
	grant       *grant
	cacheStatus string
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rq *request) Unwrap() http.ResponseWriter { return rq.ResponseWriter }

// requestOf is the request front keeps for c, or nil outside front (a handler called directly
// by a test).
func requestOf(c *gin.Context) *request {
	rq, _ := c.Writer.(*request)
	return rq
}

// front is the one middleware every route passes: request id, nosniff, panic recovery, metrics
// and the access log, in one frame rather than three chained ones.
//
// It honours a sane X-Request-ID from the client (or a proxy in front) and makes one up
// otherwise; it is echoed in the response and logged. An id that is a secret is not sane: it
// would be echoed and logged. Every answer says nosniff here, so that no JSON or error body can
// be sniffed into something a browser runs. A panic becomes a 500 in the error shape (see
// serveRecovering). Then the request is counted in the metrics and logged (logAccess).
func (s *Server) front(r *redactor) gin.HandlerFunc {
	nosniff := []string{"nosniff"}
	var made atomic.Int64
	reqs := sync.Pool{New: func() any { return &request{shard: int(made.Add(1) - 1)} }}
	return func(c *gin.Context) {
		start := time.Now()
		rq := reqs.Get().(*request)
		rq.ResponseWriter = c.Writer
		h := c.Writer.Header()
		if id := headerValue(c.Request.Header, "X-Request-Id"); saneRequestID(id) && !r.current().isSecret(id) {
			rq.id = id
			h["X-Request-Id"] = []string{id}
		} else {
			hdr := s.ids.header(&rq.ids)
			rq.id = hdr[0]
			h["X-Request-Id"] = hdr
		}
		h["X-Content-Type-Options"] = nosniff
		c.Writer = rq
		s.serveRecovering(c)
		end := time.Now()
		c.Writer = rq.ResponseWriter
		s.logAccess(c, rq, r, start, end)
		*rq = request{shard: rq.shard, ids: rq.ids}
		reqs.Put(rq)
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
func setLogKey(c *gin.Context, g *grant) {
	if rq := requestOf(c); rq != nil {
		rq.grant = g
	}
}

// logKeyName is the name of the key the request used, or "".
func logKeyName(c *gin.Context) string {
	if rq := requestOf(c); rq != nil && rq.grant != nil {
		return rq.grant.logName()
	}
	return ""
}

// setCacheStatus sets an answer's Cache-Status header (a value of one) and records it for the
// access log, which logs what is recorded here: every Cache-Status goes through it. It returns
// the request's metrics shard (0 outside front).
func setCacheStatus(c *gin.Context, h http.Header, v []string) (shard int) {
	h["Cache-Status"] = v
	if rq := requestOf(c); rq != nil {
		rq.cacheStatus = v[0]
		return rq.shard
	}
	return 0
}

// logAccess counts the request in the metrics and logs one JSON line for it when the logger
// takes its level; the line is not even built otherwise. With a LogWriter (Deps.AccessLog) the
// request leaves its fields as it received them and goes on: the writer masks and formats them
// in its batches, without reflection (LogWriter). Without one the fields are masked here and go
// through the logger. Nothing the client sent is logged before the redactor has masked its
// secrets (redact.go), with the secrets of the configuration that served the request. Health
// probes and scrapes are logged at debug, so that they do not drown the requests that matter; a
// /readyz that fails (a draining replica) is logged at info.
func (s *Server) logAccess(c *gin.Context, rq *request, r *redactor, start, end time.Time) {
	d := end.Sub(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	method := methodLabel(c.Request.Method)
	s.deps.Metrics.observeHTTP(route, method, status, d, rq.shard)

	level := accessLevel(route, status)
	ctx := c.Request.Context()
	if !s.deps.Logger.Enabled(ctx, level) {
		return
	}
	sec := r.current()
	rec := accessRecord{sec: sec, at: end, level: level, f: accessFields{
		requestID: rq.id, method: method, path: c.Request.URL.Path,
		route: route, status: status, bytes: max(0, c.Writer.Size()),
		durationUS: max(0, d.Microseconds()), query: c.Request.URL.RawQuery,
		userAgent: headerValue(c.Request.Header, "User-Agent"), cacheStatus: rq.cacheStatus,
	}}
	rec.f.remote, rec.peer = sec.clientRemote(c.Request)
	if rq.grant != nil {
		rec.f.keyName = rq.grant.logName()
	}
	if len(c.Errors) > 0 {
		rec.f.err = c.Errors.Last().Error()
	}
	if s.deps.AccessLog == nil {
		rec.mask()
		s.deps.Logger.LogAttrs(ctx, level, "request", rec.f.attrs()...)
		return
	}
	s.deps.AccessLog.appendRecord(&rec, rq.shard)
}

// accessRecord is one request's access-log line before it is masked and formatted: its fields
// as the request carried them, and the secrets of the configuration that served it.
type accessRecord struct {
	f     accessFields
	sec   *secretSet // nil once masked
	at    time.Time
	level slog.Level
	// peer says that f.remote is the connection's "host:port" address, whose host is logged.
	peer bool
}

// mask masks the fields that carry what the client sent (redact.go), once.
func (a *accessRecord) mask() {
	if a.peer {
		a.f.remote, a.peer = peerHost(a.f.remote), false
	}
	if a.sec == nil {
		return
	}
	f := &a.f
	f.path = a.sec.path(f.path)
	f.query = a.sec.query(f.query)
	if f.userAgent != "" {
		f.userAgent = a.sec.userAgent(f.userAgent)
	}
	if f.err != "" {
		f.err = a.sec.text(f.err)
	}
	a.sec = nil
}

// appendLine masks the record and appends its line to b (st: the writer's time stamp).
func (a *accessRecord) appendLine(b []byte, st *timeStamp) []byte {
	a.mask()
	return a.f.format(b, st, a.at, a.level)
}

// size estimates the bytes of the record's line (the keys and numbers take under 200), for the
// LogWriter's limits.
func (a *accessRecord) size() int {
	f := &a.f
	return 200 + len(f.requestID) + len(f.path) + len(f.route) + len(f.remote) + len(f.query) +
		len(f.userAgent) + len(f.keyName) + len(f.cacheStatus) + len(f.err)
}

// accessFields are the fields of an access-log line, in their order; the optional ones are left
// out when empty.
type accessFields struct {
	requestID, method, path, route string
	status, bytes                  int
	durationUS                     int64 // logged in milliseconds
	remote                         string
	query, userAgent, keyName      string
	cacheStatus, err               string
}

// attrs are the fields as slog attributes, for a logger without a LogWriter.
func (f *accessFields) attrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("request_id", f.requestID),
		slog.String("method", f.method),
		slog.String("path", f.path),
		slog.String("route", f.route),
		slog.Int("status", f.status),
		slog.Int("bytes", f.bytes),
		slog.Float64("duration_ms", float64(f.durationUS)/1000),
		slog.String("remote", f.remote),
	}
	for _, o := range f.optional() {
		if o[1] != "" {
			attrs = append(attrs, slog.String(o[0], o[1]))
		}
	}
	return attrs
}

// optional names the optional fields and their values, in order.
func (f *accessFields) optional() [5][2]string {
	return [5][2]string{{"query", f.query}, {"user_agent", f.userAgent}, {"key_name", f.keyName},
		{"cache_status", f.cacheStatus}, {"err", f.err}}
}

// format appends the line to b as slog's JSON handler would write the record "request" at t:
// the keys and the punctuation between fields are appended as constant runs. st keeps the
// formatted second of the line before.
func (f *accessFields) format(b []byte, st *timeStamp, t time.Time, level slog.Level) []byte {
	b = append(b, `{"time":"`...)
	b = st.appendTime(b, t)
	b = append(b, `","level":"`...)
	b = append(b, level.String()...)
	b = append(b, `","msg":"request","request_id":"`...)
	b = appendJSONString(b, f.requestID)
	b = append(b, `","method":"`...)
	b = appendJSONString(b, f.method)
	b = append(b, `","path":"`...)
	b = appendJSONString(b, f.path)
	b = append(b, `","route":"`...)
	b = appendJSONString(b, f.route)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(f.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(f.bytes), 10)
	b = append(b, `,"duration_ms":`...)
	b = appendMillis(b, f.durationUS)
	b = append(b, `,"remote":"`...)
	b = appendJSONString(b, f.remote)
	b = append(b, '"')
	for _, o := range f.optional() {
		if o[1] != "" {
			b = append(b, ',', '"')
			b = append(b, o[0]...)
			b = append(b, `":"`...)
			b = appendJSONString(b, o[1])
			b = append(b, '"')
		}
	}
	return append(b, '}', '\n')
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

// serveRecovering runs the rest of the chain and turns a panic into a 500 in the error shape;
// the panic value goes to the log only.
func (s *Server) serveRecovering(c *gin.Context) {
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
