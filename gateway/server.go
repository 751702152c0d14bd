// Package gateway is feedgate's HTTP service: the Gin engine, its middleware and handlers. It
// serves each tenant's transformed feeds behind per-feed keys from a Store (the cache), with
// conditional requests, pre-compressed bodies, per-key rate limits, Prometheus metrics and JSON
// access logs. It knows the cache and the upstream only through the narrow interfaces declared
// here; cmd/feedgate builds the real parts and passes them in.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/inventory"
)

// Options configures a Server.
type Options struct {
	// Config is the configuration to serve; Reload replaces it.
	Config *config.Config
	// ReadHeaderTimeout bounds reading a request's headers (default 5s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a request's body, from the end of its headers (default 30s).
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response (default 2m: a cold 100,000-vehicle feed is synced,
	// rendered and sent within it, and a slow marketplace fetcher must still finish). It is kept
	// coarsely, with up to an eighth more (deadlines.go).
	WriteTimeout time.Duration
	// IdleTimeout bounds an idle keep-alive connection (default 2m).
	IdleTimeout time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests on shutdown (default 30s).
	ShutdownTimeout time.Duration
	// RetryAfter is advertised on a 503 that carries no better hint (default 30s).
	RetryAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Webhook tunes POST /webhooks/{tenant} (see webhook.go).
	Webhook WebhookOptions
	// AdminRefreshWait is how long POST /admin/tenants/{tenant}/refresh waits for its sync
	// before answering 202 with a status link (default 10s).
	AdminRefreshWait time.Duration
}

// Deps are a Server's collaborators.
type Deps struct {
	// Store is the cache (required).
	Store Store
	// Publisher is the render owner that prepares and serves the feeds (required).
	Publisher Publisher
	// Limiter rate-limits each key (required; package ratelimit).
	Limiter Limiter
	// Metrics receive the gateway's measurements; nil means NewMetrics().
	Metrics *Metrics
	// Reporter, when set, exports the cache's counters and per-tenant state as metrics.
	Reporter Reporter
	// Logger receives access logs and events; nil discards them. Its level decides which access
	// lines are written.
	Logger *slog.Logger
	// AccessLog, when set, receives the access-log lines instead of Logger (which still decides
	// their level): formatted without reflection and written asynchronously, dropped and counted
	// rather than waited for when the output falls behind. Logger usually writes through it too,
	// so that lines stay whole and in order; its owner closes it after Serve returns.
	AccessLog *LogWriter
	// Upstream forwards the drop-in API's writes with the tenant's upstream key; nil answers
	// them 503 (see inventory_api.go, writes.go).
	Upstream UpstreamWriter
	// Admin drives the cache for write-through marks, webhooks and the admin routes; nil
	// answers those routes 503 (see admin.go).
	Admin AdminStore
	// Changes reads the tenant change logs for the admin API; nil answers that route 404.
	Changes ChangeLog
	// Replay remembers webhook event ids (required; package replay).
	Replay ReplayGuard
}

// Server is the gateway. It is an http.Handler; Serve runs it on a listener with timeouts and a
// graceful shutdown.
type Server struct {
	opts     Options
	deps     Deps
	state    atomic.Pointer[state]
	engine   *gin.Engine
	draining atomic.Bool
	ids      *requestIDs
}

// New builds a Server for opts.Config, refusing a configuration that names an unknown format or
// a malformed key hash.
func New(opts Options, deps Deps) (*Server, error) {
	if deps.Store == nil || deps.Publisher == nil || deps.Limiter == nil || deps.Replay == nil {
		return nil, errors.New("gateway: Store, Publisher, Limiter and Replay are required")
	}
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = 5 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 30 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 2 * time.Minute
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Minute
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AdminRefreshWait <= 0 {
		opts.AdminRefreshWait = 10 * time.Second
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics()
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := buildState(opts.Config, deps.Publisher, nil)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, deps: deps, ids: newRequestIDs()}
	s.state.Store(st)
	if err := deps.Metrics.Register(newStateCollector(s)); err != nil {
		return nil, err
	}
	if err := deps.Metrics.Register(newFetchCollector(s)); err != nil {
		return nil, err
	}
	if err := deps.Metrics.Register(accessLogDropped(deps.AccessLog)); err != nil {
		return nil, err
	}
	if s.engine, err = s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload swaps in a new configuration without dropping a request. A configuration that cannot
// be built is refused, logged and counted, and the current one keeps serving.
func (s *Server) Reload(cfg *config.Config) error {
	st, err := buildState(cfg, s.deps.Publisher, s.state.Load())
	s.deps.Metrics.observeReload(err)
	if err != nil {
		s.deps.Logger.Error("config reload refused; the previous configuration keeps serving", "err", err.Error())
		return err
	}
	s.state.Store(st)
	s.deps.Logger.Info("config reloaded", "tenants", len(cfg.Tenants), "feeds", cfg.FeedCount())
	return nil
}

// ReloadFailed records a configuration that could not even be read or parsed (the watcher's or
// SIGHUP's error): logged and counted like a refused Reload; the current one keeps serving.
func (s *Server) ReloadFailed(err error) {
	s.deps.Metrics.observeReload(err)
	s.deps.Logger.Error("config reload refused; the previous configuration keeps serving", "err", err.Error())
}

// Config is the configuration being served.
func (s *Server) Config() *config.Config { return s.state.Load().cfg }

// ServeHTTP implements http.Handler: a request with a body gets its read deadline
// (deadlines.go), a draining server's answers close their connections, and the engine answers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bodyDeadline(w, r, s.opts.ReadTimeout)
	s.closeWhenDraining(w)
	s.engine.ServeHTTP(w, r)
}

// Serve answers requests on ln until ctx is done. Then it reports not ready (/readyz 503) and
// keeps serving for the configuration's shutdown_delay, so that load balancers stop sending
// traffic here first; then it stops accepting and waits up to ShutdownTimeout for in-flight
// requests to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// No ReadTimeout: the gateway sets the read deadline of a request with a body (deadlines.go).
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.deps.Logger.Handler(), slog.LevelWarn),
	}
	ln = coarseListener{Listener: ln, slack: s.opts.WriteTimeout / 8}
	return serveUntil(ctx, srv, ln, "serve", s.opts.ShutdownTimeout, func(served <-chan error) error {
		s.draining.Store(true)
		if d := s.Config().ShutdownDelay; d > 0 {
			// Keep serving while /readyz answers 503, so that a load balancer takes this replica out
			// of rotation before its listener closes; answers carry Connection: close meanwhile (see
			// closeWhenDraining), so clients reconnect and so reach the replicas that stay.
			s.deps.Logger.Info("shutting down; not ready, still serving for the shutdown delay", "delay", d.String())
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case err := <-served:
				return err
			}
		}
		s.deps.Logger.Info("shutting down; finishing in-flight requests", "timeout", s.opts.ShutdownTimeout.String())
		return nil
	})
}

// serveUntil serves srv on ln until ctx is done, then runs drain (nil for none) while srv still
// serves, then shuts srv down, waiting up to timeout for in-flight requests; the main listener
// and the metrics listener share it. drain receives the server's end, to return it should the
// server stop meanwhile. Errors are prefixed with what.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, what string, timeout time.Duration,
	drain func(served <-chan error) error) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: %s: %w", what, err)
	case <-ctx.Done():
	}
	if drain != nil {
		if err := drain(errc); err != nil {
			return fmt.Errorf("gateway: %s: %w", what, err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("gateway: %s: shutdown: %w", what, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("gateway: %s: %w", what, err)
	}
	return nil
}

func (s *Server) routes() (*gin.Engine, error) {
	// Gin's mode is process-wide; release mode only silences its start-up banner and route dump.
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	// Gin trusts every proxy by default, so any client could name its own address in
	// X-Forwarded-For. Gin trusts none here; the access log finds the client itself, trusting
	// only the configuration's trusted_proxies (redact.go), which follow reloads.
	if err := e.SetTrustedProxies(nil); err != nil {
		return nil, fmt.Errorf("gateway: trusted proxies: %w", err)
	}
	r := &redactor{s: s}
	e.Use(s.front(r))
	e.NoRoute(func(c *gin.Context) { s.fail(c, inventory.Errorf(inventory.ENotFound, "Route not found")) })
	e.NoMethod(func(c *gin.Context) {
		// The method is named only when it is a standard one: a client can send any token.
		s.fail(c, inventory.Errorf(codeMethodNotAllowed, "Method %s is not allowed here", methodLabel(c.Request.Method)))
	})

	e.GET("/feeds/:tenant/:feed", s.serveFeed)
	e.HEAD("/feeds/:tenant/:feed", s.serveFeed)
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)
	e.GET("/metrics", s.metricsRoute())
	s.registerDropin(e)
	return e, nil
}

// fail answers with err in the error shape.
func (s *Server) fail(c *gin.Context, err error) { writeError(c, err, s.opts.RetryAfter) }

// allow spends one request of the key's budget, answering 429 when it is spent. A limiter that
// cannot decide lets the request through: rate limiting must never take the service down.
func (s *Server) allow(c *gin.Context, g *grant, ts *tenantState) bool {
	ok, retryAfter, err := s.deps.Limiter.Allow(c.Request.Context(), g.id(), ts.perMinute)
	if err != nil {
		s.deps.Logger.Warn("rate limiter failed; request allowed", "err", err.Error())
		return true
	}
	if ok {
		return true
	}
	s.deps.Metrics.rateLimited.WithLabelValues(ts.id).Inc()
	secs := max(1, int((retryAfter+time.Second-1)/time.Second))
	s.fail(c, errorf(inventory.ERateLimited, map[string]any{retryAfterDetail: secs},
		"Rate limit of %d requests per minute exceeded", ts.perMinute))
	return false
}

func (s *Server) healthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz tells a load balancer whether to send traffic here. A replica whose Redis is down still
// serves (from its own memory and upstream), so it stays in rotation: 200 with "degraded". Only a
// replica that is shutting down answers 503, so it is drained before it stops.
func (s *Server) readyz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	switch {
	case s.draining.Load():
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "shutting_down"})
	case s.deps.Store.Degraded():
		c.JSON(http.StatusOK, gin.H{"status": "degraded", "redis": "unreachable"})
	default:
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	}
}
