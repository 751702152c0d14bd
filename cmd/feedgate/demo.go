package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// demoTenant is the demo's one dealership.
const demoTenant = "demo-motors"

// runDemo starts the simulated upstream in-process, a gateway over the memory cache (Redis when
// FEEDGATE_REDIS_URL is set) with one feed per registered format and fresh keys, prints every feed
// URL ready for curl or a browser, and serves until interrupted.
func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedgate demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen `ADDR` for the gateway (the demo's keys are printed: "+
		"other machines reach it only if you choose an address they can reach)")
	vehicles := fs.Int("vehicles", hriznsim.DefaultVehicles, "`N` vehicles in the sample inventory")
	verbose := fs.Bool("v", false, "log every request (JSON lines on stderr)")
	if code, done := parseFlags(fs, args, "feedgate demo [--addr 127.0.0.1:8080] [--vehicles N] [-v]", stderr); done {
		return code
	}
	reg, err := newRegistry("")
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		fmt.Fprintf(stderr, "feedgate: %s is already in use; use --addr to pick another address (e.g. --addr 127.0.0.1:0 for any free port)\n", *addr)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: %v (use --addr to pick another address)\n", err)
		return 1
	}
	gatewayURL := loopbackURL(ln.Addr())
	secret := rand.Text()

	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: simulator: %v\n", err)
		return 1
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	sim := hriznsim.New(hriznsim.Options{
		Vehicles: *vehicles, Seed: 1, DescriptionDelay: hriznsim.DefaultDescriptionDelay,
		WebhookURL: gatewayURL + "/webhooks/" + demoTenant, WebhookSecret: secret, Log: logger,
	})
	defer sim.Close()
	simSrv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = simSrv.Serve(simLn) }()
	defer simSrv.Close()

	names := reg.Names()
	keys := make(map[string]string, len(names)+2)
	for _, n := range append([]string{"admin", "tenant"}, names...) {
		k, _, err := config.NewKey()
		if err != nil {
			fmt.Fprintf(stderr, "feedgate: %v\n", err)
			return 1
		}
		keys[n] = k
	}
	yaml := demoConfig(gatewayURL, "http://"+simLn.Addr().String()+"/v1", os.Getenv("FEEDGATE_REDIS_URL"), secret, names, keys)
	cfg, err := config.Parse([]byte(yaml), config.ParseOptions{Formats: reg})
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: demo configuration: %v\n", err)
		return 1
	}
	printDemo(stdout, cfg.PublicURL, "http://"+simLn.Addr().String(), names, keys, cfg.Redis.URL != "")
	return serve(cfg, "", config.ParseOptions{}, wireOptions{Formats: reg, Logger: logger}, ln, defaultDrainTimeout, stderr)
}

// demoConfig is the demo's configuration as YAML, parsed like any other so that it gets the
// documented defaults and validation.
func demoConfig(public, upstreamURL, redisURL, secret string, formats []string, keys map[string]string) string {
	var b strings.Builder
	// No balancer sits in front of the demo, so Ctrl-C stops it at once.
	fmt.Fprintf(&b, "public_url: %q\nshutdown_delay: 0s\nredis: {url: %q}\nupstream: {base_url: %q, sync: full}\n", public, redisURL, upstreamURL)
	fmt.Fprintf(&b, "admin_keys: [{name: demo-admin, hash: %q}]\n", config.HashKey(keys["admin"]))
	fmt.Fprintf(&b, "tenants:\n  - id: %s\n    name: Demo Motors\n    upstream_key: hzk_sim_rw\n", demoTenant)
	fmt.Fprintf(&b, "    webhook_secret: %q\n", secret)
	b.WriteString(`    dealer:
      name: Demo Motors
      website: "https://www.demo-motors.example"
      vdp_url: "https://www.demo-motors.example/inventory/{vin}"
      phone: "+1 217 555 0100"
      store_code: DM-001
      address: {street: "1 Main St", city: Springfield, region: IL, postal_code: "62701", country: US}
      latitude: 39.78
      longitude: -89.65
`)
	fmt.Fprintf(&b, "    keys: [{name: demo-tenant, hash: %q, scopes: [feeds:read, inventory:read, inventory:write]}]\n",
		config.HashKey(keys["tenant"]))
	b.WriteString("    feeds:\n")
	for _, f := range formats {
		fmt.Fprintf(&b, "      - {name: %s, format: %s, keys: [{name: %s, hash: %q}]}\n", f, f, f, config.HashKey(keys[f]))
	}
	return b.String()
}

// printDemo tells how to use the demo: every feed URL with its key, the drop-in API, the admin
// page and how to log in to it, and the simulator with a fault to try.
func printDemo(w io.Writer, public, sim string, formats []string, keys map[string]string, redis bool) {
	store := "the in-process memory cache"
	if redis {
		store = "Redis (FEEDGATE_REDIS_URL)"
	}
	fmt.Fprintf(w, "feedgate demo: a simulated Hrizn upstream, and the gateway on %s, at %s\n\n", store, public)
	fmt.Fprintln(w, "Feeds (each URL carries its own feed key; open one in a browser or curl it):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range formats {
		fmt.Fprintf(tw, "  %s\t%s/feeds/%s/%s?key=%s\n", f, public, demoTenant, f, keys[f])
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nThe same feeds with a header instead of the URL:\n  curl -i -H 'X-API-Key: %s' %s/feeds/%s/csv\n",
		keys["csv"], public, demoTenant)
	fmt.Fprintf(w, "\nTenant key (feeds:read, inventory:read, inventory:write) for the drop-in API:\n"+
		"  curl -H 'X-API-Key: %s' '%s/v1/public/inventory?limit=5'\n", keys["tenant"], public)
	fmt.Fprintf(w, "\nAdmin page: %s/admin/\n  log in with any user name and the admin key as the password: %s\n"+
		"  curl -H 'X-API-Key: %s' %s/admin/tenants/%s\n", public, keys["admin"], keys["admin"], public, demoTenant)
	fmt.Fprintf(w, "\nSimulated Hrizn upstream: %s (key hzk_sim_rw)\n"+
		"  make it fail; the feeds stay up, served from the last good sync:\n"+
		"  curl -X POST %s/_sim/faults -d '{\"error_rate\": 1, \"endpoints\": [\"list\", \"feed\"]}'\n"+
		"  curl -X DELETE %s/_sim/faults     # and heal it; %s/_sim/stats counts its requests\n", sim, sim, sim, sim)
	fmt.Fprintf(w, "\nHealth: %s/healthz  %s/readyz  Metrics: %s/metrics\n\nPress Ctrl-C to stop.\n", public, public, public)
}

// loopbackURL is a URL for a listener reachable from this machine: an unspecified host becomes
// localhost.
func loopbackURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := "localhost"
	if !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(tcp.Port)))
}
