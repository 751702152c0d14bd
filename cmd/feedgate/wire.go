package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/changelog"
	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/bridge"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/localstore"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/ratelimit"
	"github.com/feedgate/feedgate/refresh"
	"github.com/feedgate/feedgate/replay"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream"
)

// stack is the running gateway and everything it was built from. Reload swaps what a new
// configuration can change (keys, feeds, tenants and their upstream keys); listen, redis and the
// cache's timings take effect on restart.
type stack struct {
	server   *gateway.Server
	cache    *cache.Cache
	redis    redis.UniversalClient // nil without Redis
	limiter  *ratelimit.Redis      // nil without Redis
	schedule *refresh.Scheduler    // nil with refresh.mode on_request
	changes  *changelog.Log        // nil with neither Redis nor a local store
	clients  *clientSet
	log      *slog.Logger
}

// wireOptions are what build needs besides the configuration.
type wireOptions struct {
	Formats *transform.Registry
	Logger  *slog.Logger
	// AccessLog, when set, takes the access-log lines (gateway.Deps.AccessLog); Logger should
	// write onto it too.
	AccessLog *gateway.LogWriter
	// HTTPClient reaches the upstream; nil means a client with sane connection limits.
	HTTPClient *http.Client
	// DrainTimeout is how long the server waits for in-flight requests once its listener has
	// closed (gateway.Options.ShutdownTimeout; 0 means the gateway's default).
	DrainTimeout time.Duration
}

// build wires the gateway for cfg: the upstream clients and syncer, Redis when configured, the
// cache in front of them, and the gateway over the cache.
func build(cfg *config.Config, o wireOptions) (*stack, error) {
	metrics := gateway.NewMetrics()
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: cfg.Upstream.Timeout,
		}}
	}
	clients := &clientSet{http: hc, observer: metrics, log: o.Logger}
	if err := clients.load(cfg); err != nil {
		return nil, err
	}
	syncer, err := upstream.NewSyncer(upstream.SyncerOptions{
		Clients: upstream.ClientFunc(clients.get), Strategy: cfg.Upstream.Sync, Logger: o.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	st := &stack{clients: clients, log: o.Logger}
	var l2 *cache.Redis
	if rc, err := redisClient(cfg.Redis); err != nil {
		return nil, err
	} else if rc != nil {
		st.redis = rc
		l2 = cache.NewRedis(rc, cache.RedisOptions{Prefix: cfg.Redis.KeyPrefix})
	}
	durable, err := openDurable(cfg.Cache.Dir, o.Logger)
	if err != nil {
		st.close()
		return nil, err
	}
	switch {
	case st.redis != nil:
		st.changes = changelog.NewRedis(st.redis, cfg.Redis.KeyPrefix, changelog.Options{})
	case durable != nil:
		st.changes = changelog.NewLocal(durable, changelog.Options{})
	}
	changeMetrics, err := gateway.NewChangeMetrics(metrics)
	if err != nil {
		st.close()
		return nil, err
	}
	var pub *publish.Publisher // set below; the cache's hooks run only once syncs start
	copts := cache.Options{
		FreshFor: cfg.Cache.FreshFor, ServeStaleFor: cfg.Cache.ServeStaleFor, ShrinkGuard: cfg.Cache.ShrinkGuard,
		ShrinkConfirmAfter: cfg.Cache.ShrinkConfirmAfter, Logger: o.Logger,
		Prepare: func(ctx context.Context, tenant string, next *inventory.Snapshot) error {
			return pub.Prerender(ctx, tenant, next)
		},
		Changed: func(tenant string, prev, next *inventory.Snapshot) {
			st.recordChanges(changeMetrics, tenant, prev, next)
		},
	}
	if durable != nil {
		copts.Durable = bridge.Durable{S: durable}
	}
	c, err := cache.New(copts, cache.NewMemory(cache.MemoryOptions{MaxBytes: int64(cfg.Cache.MemoryMB) << 20}), l2,
		bridge.Syncer{S: syncer})
	if err != nil {
		st.close()
		return nil, err
	}
	st.cache = c
	pub = publish.NewPublisher(c, publish.PublisherOptions{OnRender: metrics.ObserveRender,
		ShrinkGuard: cfg.Cache.ShrinkGuard, Logger: o.Logger, PriceDrops: st.priceDrops})
	admin := bridge.Admin{C: c}
	if cfg.Refresh.Mode == config.RefreshScheduled {
		st.schedule, err = refresh.New(c, refresh.Options{ // its window is the cache's fresh_for
			Concurrency: cfg.Refresh.Concurrency, Logger: o.Logger})
		if err != nil {
			st.close()
			return nil, err
		}
		admin.Scheduler = st.schedule
	}
	deps := gateway.Deps{
		Store: bridge.Store{C: c}, Publisher: bridge.Publisher{P: pub, Formats: o.Formats}, Metrics: metrics, Reporter: bridge.Reporter{C: c},
		Logger: o.Logger, AccessLog: o.AccessLog, Upstream: upstreamWriter{clients}, Admin: admin,
	}
	if st.changes != nil {
		deps.Changes = bridge.Changes{L: st.changes}
	}
	memLimiter := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	deps.Limiter, deps.Replay = memLimiter, replay.NewMemory(replay.MemoryOptions{})
	if st.redis != nil {
		st.limiter = ratelimit.NewRedis(ratelimit.RedisOptions{
			Prefix: cfg.Redis.KeyPrefix, Logger: o.Logger, OnFallback: metrics.CountLimiterFallback,
		}, st.redis, memLimiter)
		deps.Limiter = st.limiter
		deps.Replay = replay.NewRedis(st.redis, cfg.Redis.KeyPrefix, deps.Replay)
	}
	srv, err := gateway.New(gateway.Options{Config: cfg, ShutdownTimeout: o.DrainTimeout}, deps)
	if err != nil {
		st.close()
		return nil, err
	}
	st.server = srv
	st.start(cfg)
	return st, nil
}

// start serves the stored snapshots (the embedded default's files) at once and, with scheduled
// refresh, starts keeping every configured tenant fresh.
func (st *stack) start(cfg *config.Config) {
	ids := make([]string, len(cfg.Tenants))
	for i, t := range cfg.Tenants {
		ids[i] = t.ID
	}
	st.cache.Preload(ids...)
	if st.schedule != nil {
		st.schedule.Set(ids)
	}
}

// openDurable opens the embedded default's local store: dir, or os.UserCacheDir()/feedgate for
// "", nothing for "off". A default directory that cannot be made only logs (the gateway still
// serves, without surviving a restart); a configured one that cannot is an error.
func openDurable(dir string, log *slog.Logger) (*localstore.Store, error) {
	if dir == "off" {
		return nil, nil
	}
	s, err := localstore.Open(dir, localstore.Options{})
	if err != nil {
		if dir != "" {
			return nil, fmt.Errorf("cache.dir: %w", err)
		}
		log.Warn("no local store: snapshots will not survive a restart (set cache.dir)", "err", err.Error())
		return nil, nil
	}
	log.Debug("local store", "dir", s.Dir())
	return s, nil
}

// priceDrops reads the tenant's most recent price reductions from the change log, for the
// price-drops feed; none without a change log.
func (st *stack) priceDrops(ctx context.Context, tenant string, limit int) ([]transform.PriceDrop, error) {
	if st.changes == nil {
		return nil, nil
	}
	drops, err := st.changes.PriceDrops(ctx, tenant, limit)
	out := make([]transform.PriceDrop, len(drops))
	for i, d := range drops {
		out[i] = transform.PriceDrop{VIN: d.VIN, Old: d.Old, New: d.New, At: d.At}
	}
	return out, err
}

// recordChanges appends one sync's changes to the tenant's change log and counts them. A cold
// start (no previous snapshot) records nothing: every vehicle would read as added.
func (st *stack) recordChanges(m *gateway.ChangeMetrics, tenant string, prev, next *inventory.Snapshot) {
	if prev == nil {
		return
	}
	e := changelog.NewEntry(prev, next)
	if e.Empty() {
		return
	}
	m.Count(tenant, len(e.Added), len(e.Removed), len(e.PriceChanges))
	if st.changes == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := st.changes.Append(ctx, tenant, e); err != nil {
		st.log.Warn("change log: append failed", "tenant", tenant, "err", err.Error())
	}
}

// reload applies a new configuration: the gateway's state first (which may refuse it), then the
// upstream clients, so a refused configuration changes nothing.
func (st *stack) reload(cfg *config.Config) error {
	next, err := st.clients.build(cfg)
	if err != nil {
		st.server.ReloadFailed(err)
		return err
	}
	if err := st.server.Reload(cfg); err != nil {
		return err
	}
	st.clients.swap(next)
	st.start(cfg)
	return nil
}

// close stops background work and closes Redis. Rate-limit counts not yet reported to Redis are
// reported first, so a replica that stops does not leave its last batch uncharged.
func (st *stack) close() {
	if st.schedule != nil {
		st.schedule.Stop()
	}
	if st.limiter != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st.limiter.Flush(ctx)
		cancel()
	}
	if st.cache != nil {
		_ = st.cache.Close()
	}
	if st.redis != nil {
		_ = st.redis.Close()
	}
}

// redisClient connects to the configured Redis: a Cluster when cluster addresses are listed, a
// single node from the URL otherwise, nil when neither is set.
func redisClient(r config.Redis) (redis.UniversalClient, error) {
	switch {
	case len(r.Cluster) > 0:
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: r.Cluster}), nil
	case r.URL != "":
		opts, err := redis.ParseURL(r.URL)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		return redis.NewClient(opts), nil
	}
	return nil, nil
}

// clientSet holds one upstream client per tenant, swapped whole on reload.
type clientSet struct {
	http     *http.Client
	observer upstream.Observer
	log      *slog.Logger
	m        atomic.Pointer[map[string]*upstream.Client]
}

func (cs *clientSet) build(cfg *config.Config) (map[string]*upstream.Client, error) {
	m := make(map[string]*upstream.Client, len(cfg.Tenants))
	for _, t := range cfg.Tenants {
		c, err := upstream.NewClient(upstream.Options{
			BaseURL: t.UpstreamBaseURL, APIKey: t.UpstreamKey.Reveal(), HTTPClient: cs.http,
			Timeout: cfg.Upstream.Timeout, Observer: cs.observer, Logger: cs.log,
		})
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
		}
		m[t.ID] = c
	}
	return m, nil
}

func (cs *clientSet) load(cfg *config.Config) error {
	m, err := cs.build(cfg)
	if err != nil {
		return err
	}
	cs.swap(m)
	return nil
}

func (cs *clientSet) swap(m map[string]*upstream.Client) { cs.m.Store(&m) }

func (cs *clientSet) get(tenant string) (*upstream.Client, error) {
	if c, ok := (*cs.m.Load())[tenant]; ok {
		return c, nil
	}
	return nil, inventory.Errorf(inventory.ENotFound, "no upstream client for tenant %q", tenant)
}

// upstreamWriter forwards the drop-in API's writes with the tenant's own upstream key.
type upstreamWriter struct{ clients *clientSet }

func (u upstreamWriter) Forward(ctx context.Context, tenant, method, path string, body []byte) (gateway.UpstreamAnswer, error) {
	c, err := u.clients.get(tenant)
	if err != nil {
		return gateway.UpstreamAnswer{}, err
	}
	status, header, resp, err := c.Do(ctx, method, path, body)
	if err != nil {
		return gateway.UpstreamAnswer{}, err
	}
	return gateway.UpstreamAnswer{Status: status, Header: header, Body: resp}, nil
}
