// Command hriznsim runs the Hrizn upstream simulator on its own, for demos, manual testing and
// end-to-end tests of feedgate. It prints one line, "hriznsim listening on http://HOST:PORT", to
// stdout once it accepts connections, logs JSON to stderr (never a key) and shuts down on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
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

	"github.com/feedgate/feedgate/upstream/hriznsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(2)
	}
}

// keyFlags collects repeated --key flags unparsed: the flag package would quote a rejected value
// in its error, and a key must never reach a message.
type keyFlags []string

func (k *keyFlags) String() string { return fmt.Sprintf("%d keys", len(*k)) }

func (k *keyFlags) Set(s string) error {
	*k = append(*k, s)
	return nil
}

// run parses the flags, serves until ctx ends and then shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hriznsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":9090", "address to listen on (127.0.0.1:0 picks a free port)")
	vehicles := fs.Int("vehicles", hriznsim.DefaultVehicles, "size of each site's generated inventory")
	seed := fs.Int64("seed", 1, "generation seed")
	profile := fs.String("profile", hriznsim.ProfileDefault, "generated inventory: default, or realistic (bad check digits, European VINs, CPO/demo/loaner, missing fields)")
	delay := fs.Duration("description-delay", hriznsim.DefaultDescriptionDelay, "how long description generation takes (0 = immediate)")
	webhookURL := fs.String("webhook-url", "", "POST inventory.description.completed events here")
	webhookSecret := fs.String("webhook-secret", "", "HMAC-SHA256 secret that signs webhook bodies")
	var keys keyFlags
	fs.Var(&keys, "key", "KEY=SCOPE[,SCOPE][@SITE], repeatable; replaces the default keys")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("hriznsim: unexpected arguments %q", fs.Args())
	}
	if *vehicles < 0 {
		return errors.New("hriznsim: --vehicles must not be negative")
	}
	if _, err := hriznsim.GenerateProfile(*profile, 1, 0); err != nil {
		return fmt.Errorf("hriznsim: --profile: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	opts := hriznsim.Options{
		Vehicles: *vehicles, Seed: *seed, Profile: *profile, DescriptionDelay: *delay,
		WebhookURL: *webhookURL, WebhookSecret: *webhookSecret, Log: log,
	}
	if *vehicles == 0 {
		opts.Vehicles = -1 // an empty inventory, not the default size
	}
	for _, raw := range keys {
		k, err := hriznsim.ParseKey(raw)
		if err != nil {
			return err
		}
		opts.Keys = append(opts.Keys, k)
	}
	sim := hriznsim.New(opts)
	defer sim.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("hriznsim: listen: %w", err)
	}
	srv := &http.Server{Handler: logRequests(log, sim), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	url := "http://" + displayAddr(ln.Addr())
	log.Info("hriznsim started", "url", url, "vehicles", *vehicles, "seed", *seed, "profile", *profile,
		"keys", len(keys), "description_delay", delay.String(), "webhook", *webhookURL != "")
	fmt.Fprintf(stdout, "hriznsim listening on %s\n", url)

	select {
	case err := <-errc:
		return fmt.Errorf("hriznsim: serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("hriznsim shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("hriznsim: shutdown: %w", err)
	}
	return nil
}

// displayAddr is a listener's address as a URL host: a wildcard address becomes localhost,
// which a person can paste into curl.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// logRequests logs each request's method, path, status and duration; never a header, so never
// a key.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		path := r.URL.Path
		if strings.Contains(r.URL.RawQuery, "key") {
			path += "?…" // a query that might carry a key is left out
		} else if r.URL.RawQuery != "" {
			path += "?" + r.URL.RawQuery
		}
		log.Info("request", "method", r.Method, "path", path, "status", sw.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and the simulator's connection-drop fault reach the
// underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
