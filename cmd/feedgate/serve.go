package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/transform"
)

// runServe runs the gateway until SIGTERM or SIGINT, reloading the configuration on SIGHUP and
// whenever its file changes. Logs are JSON lines on stdout; the listening address is also
// announced on stderr as "feedgate listening on http://HOST:PORT" for scripts.
func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedgate serve", flag.ContinueOnError)
	path := fs.String("config", "", "the configuration `FILE` (required)")
	listen := fs.String("listen", "", "override the configuration's listen `ADDR` (e.g. 127.0.0.1:0)")
	probe := fs.String("probe", "", "instead of serving, GET `URL` and exit 0 on 200 (for container health checks); "+
		"a path such as /readyz is asked of the port the configuration's listen names")
	drain := fs.Duration("drain-timeout", defaultDrainTimeout,
		"on SIGTERM, after shutdown_delay, how long in-flight requests and background work get to finish")
	if code, done := parseFlags(fs, args, "feedgate serve --config FILE [--listen ADDR] [--drain-timeout 30s]", stderr); done {
		return code
	}
	if *probe != "" {
		url, err := probeURL(*probe, *path, *listen)
		if err != nil {
			fmt.Fprintf(stderr, "feedgate: probe: %v\n", err)
			return 1
		}
		return runProbe(url, stderr)
	}
	if *path == "" {
		fmt.Fprintln(stderr, "usage: feedgate serve --config FILE [--listen ADDR]")
		return 2
	}
	var reg *transform.Registry
	opts := config.ParseOptions{FormatsFor: func(dir string) (config.FormatSet, error) {
		r, err := newRegistry(dir)
		reg = r
		return r, err
	}}
	cfg, err := config.Load(*path, opts)
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	}
	if reg == nil { // a parser that skipped the format check still needs the registry
		if reg, err = newRegistry(cfg.TemplatesDir); err != nil {
			fmt.Fprintf(stderr, "feedgate: %v\n", err)
			return 1
		}
	}
	// Reloads check formats against the registry the gateway runs with: templates load at start.
	opts = config.ParseOptions{Formats: reg}
	if *listen != "" {
		cfg.Listen = *listen
	}
	// Every log line goes through one asynchronous writer, so that a request never waits for
	// stdout; closing it after serve writes every line still buffered.
	lw := gateway.NewLogWriter(stdout, gateway.LogWriterOptions{})
	defer func() { _ = lw.Close() }()
	logger := newLogger(lw, cfg.LogLevel)
	setMemoryLimit(cfg, logger)
	setGCFloor(logger)
	return serve(cfg, *path, opts, wireOptions{Formats: reg, Logger: logger, AccessLog: lw}, nil, *drain, stderr)
}

// defaultDrainTimeout is serve's --drain-timeout.
const defaultDrainTimeout = 30 * time.Second

// serve builds the stack for cfg and runs it on ln (nil: listen on cfg.Listen) until a
// termination signal. path, when set, is watched and re-read on SIGHUP. After the signal the
// process exits within shutdown_delay + drain (see stopWithin).
func serve(cfg *config.Config, path string, opts config.ParseOptions, wo wireOptions, ln net.Listener, drain time.Duration, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	wo.DrainTimeout = drain
	st, err := build(cfg, wo)
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	}
	signalled := make(chan time.Time, 1)
	context.AfterFunc(ctx, func() { signalled <- time.Now() })
	defer func() {
		// Background work (syncs, the rate limiter's last report) gets what is left of
		// shutdown_delay + drain timeout since the signal: an orchestrator's grace period sized
		// for those two must not be outrun by a slow upstream.
		deadline := time.Now()
		select {
		case at := <-signalled:
			deadline = at.Add(st.server.Config().ShutdownDelay + st.server.DrainTimeout())
		default:
		}
		stopWithin(st.close, max(time.Until(deadline), minStopBudget), wo.Logger)
	}()
	if path != "" {
		if err := watchConfig(ctx, st, path, opts); err != nil {
			fmt.Fprintf(stderr, "feedgate: %v\n", err)
			return 1
		}
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			fmt.Fprintf(stderr, "feedgate: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "feedgate listening on http://%s\n", ln.Addr())
	if cfg.Metrics.Listen != "" { // /metrics on a listener of its own, not on the main one
		mln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			fmt.Fprintf(stderr, "feedgate: metrics.listen: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "feedgate metrics on http://%s/metrics\n", mln.Addr())
		go func() {
			if err := st.server.ServeMetrics(ctx, mln); err != nil {
				wo.Logger.Error("the metrics listener stopped", "err", err.Error())
			}
		}()
	}
	wo.Logger.Info("listening", "addr", ln.Addr().String(), "tenants", len(cfg.Tenants), "feeds", cfg.FeedCount(),
		"redis", cfg.Redis.URL != "" || len(cfg.Redis.Cluster) > 0)
	if err := st.server.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	}
	wo.Logger.Info("stopped")
	return 0
}

// minStopBudget is the least time background work gets to stop, even when draining requests
// used up the whole deadline.
const minStopBudget = time.Second

// stopWithin runs stop and waits for it for at most budget. Past it, the process goes on to exit
// and the log says what was abandoned. It reports whether stop finished.
func stopWithin(stop func(), budget time.Duration, log *slog.Logger) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		stop()
	}()
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		log.Warn("shutdown: background work did not stop in time and is abandoned "+
			"(syncs still waiting for the upstream, or the rate limiter's last report to Redis)",
			"waited_ms", budget.Milliseconds())
		return false
	}
}

// watchConfig reloads on file changes and on SIGHUP. Either way a configuration that does not
// load, validate or build, or that would remove every tenant or more than half of them (see
// config.CheckReload), is refused and the running one keeps serving.
func watchConfig(ctx context.Context, st *stack, path string, opts config.ParseOptions) error {
	refuse := func(err error) { st.server.ReloadFailed(err) } // logged and counted there
	apply := func(cfg *config.Config) {
		if err := config.CheckReload(st.server.Config(), cfg); err != nil {
			refuse(err)
			return
		}
		_ = st.reload(cfg) // a refusal is logged and counted there
	}
	if err := config.Watch(ctx, path, opts, apply, refuse); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				st.log.Info("SIGHUP: reloading the configuration", "path", path)
				cfg, err := config.Load(path, opts)
				if err != nil {
					refuse(err)
					continue
				}
				apply(cfg)
			}
		}
	}()
	return nil
}

// probeURL is the URL a probe asks: target itself when it is a URL; for a path, the loopback
// address of the port that --listen or else the configuration's listen names.
func probeURL(target, configPath, listen string) (string, error) {
	if !strings.HasPrefix(target, "/") {
		return target, nil
	}
	if listen == "" {
		if configPath == "" {
			return "", fmt.Errorf("a probe path (%s) needs --config or --listen to find the port", target)
		}
		cfg, err := config.Load(configPath, config.ParseOptions{})
		if err != nil {
			return "", err
		}
		listen = cfg.Listen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + target, nil
}

// runProbe is a container health check that needs no shell or wget in the image.
func runProbe(url string, stderr io.Writer) int {
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: probe: %v\n", err)
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "feedgate: probe: %s answered %s\n", url, resp.Status)
		return 1
	}
	return 0
}

// newLogger writes JSON lines at the configured level.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
