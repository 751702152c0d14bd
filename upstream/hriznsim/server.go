// Package hriznsim is a faithful simulator of the Hrizn public inventory API (the upstream
// documented in docs/upstream-api.md), for the client's tests, the gateway's demo and the
// benchmarks. It serves a deterministic generated inventory per site with every documented
// endpoint, status and body shape, and lets a test inject faults, change the inventory and read
// per-endpoint request counts through control routes under /_sim/ (which need no key and are
// never counted).
package hriznsim

import (
	"context"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Scopes the upstream's keys carry.
const (
	ScopeRead  = "inventory:read"
	ScopeWrite = "inventory:write"
)

// OtherSite is the site of the default key hzk_sim_other: it has no vehicles, so every VIN of
// the main inventory is 404 to it and its lists are empty.
const OtherSite = "other"

// DefaultVehicles is the size of a generated inventory when Options.Vehicles is zero.
const DefaultVehicles = 150

// DefaultDescriptionDelay is how long the command-line simulator takes to generate a
// description unless told otherwise. (The zero Options.DescriptionDelay means immediate, which
// is what tests want.)
const DefaultDescriptionDelay = 2 * time.Second

// Endpoint names, the keys of Counts.Requests and of Faults.Endpoints.
const (
	EndpointList        = "list"
	EndpointDetails     = "details"
	EndpointDescription = "description"
	EndpointFeed        = "feed"
	EndpointStats       = "stats"
	EndpointGenerate    = "generate"
	EndpointBatch       = "batch"
)

// Endpoints lists every endpoint name in the order the API documents them.
func Endpoints() []string {
	return []string{EndpointList, EndpointDetails, EndpointDescription, EndpointFeed,
		EndpointStats, EndpointGenerate, EndpointBatch}
}

// Options configures a simulator.
type Options struct {
	Vehicles int   // size of each site's generated inventory (0 = 150; negative = none)
	Seed     int64 // generation seed (default 1)
	// Profile is the generated inventory's kind: ProfileDefault ("" too) or ProfileRealistic.
	// An unknown profile generates the default inventory and is logged to Log.
	Profile string
	Keys    []Key // nil = DefaultKeys()
	// DescriptionDelay is how long generation takes before completing; 0 completes at once.
	DescriptionDelay time.Duration
	Now              func() time.Time // clock for generation timestamps (default time.Now)
	// WebhookURL, if set, receives a signed inventory.description.completed event per
	// completed description; WebhookSecret keys its HMAC-SHA256 signature.
	WebhookURL, WebhookSecret string
	// Log receives failed webhook deliveries (default: discarded). It never sees a key.
	Log *slog.Logger
}

// Key is an API key the simulator accepts, with its scopes and its site ("" = the main site).
type Key struct {
	Key    string
	Scopes []string
	Site   string
}

// DefaultKeys are the keys a simulator accepts unless Options.Keys replaces them.
func DefaultKeys() []Key {
	return []Key{
		{Key: "hzk_sim_rw", Scopes: []string{ScopeRead, ScopeWrite}},
		{Key: "hzk_sim_read", Scopes: []string{ScopeRead}},
		{Key: "hzk_sim_write", Scopes: []string{ScopeWrite}},
		{Key: "hzk_sim_other", Scopes: []string{ScopeRead, ScopeWrite}, Site: OtherSite},
	}
}

// Server is the simulator, an http.Handler. Its methods are safe for concurrent use.
type Server struct {
	keys          map[string]Key
	now           func() time.Time
	delay         time.Duration
	seed          int64
	webhookURL    string
	webhookSecret string
	client        *http.Client
	log           *slog.Logger

	// ctx ends with Close; background work (webhooks, fault latency) watches it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	sites    map[string]*site
	counts   map[string]int
	total    int
	faults   Faults
	faultRNG *rand.Rand
	churn    int         // churn cursors handed out, so that each is new
	timer    *time.Timer // fires when the earliest pending description is due
	timerDue time.Time
	closed   bool
}

// New builds a simulator and generates the inventories of the main site and of every site a key
// names.
func New(opts Options) *Server {
	if opts.Vehicles == 0 {
		opts.Vehicles = DefaultVehicles
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Keys == nil {
		opts.Keys = DefaultKeys()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if _, err := GenerateProfile(opts.Profile, 1, 0); err != nil {
		opts.Log.Warn("hriznsim: generating the default inventory", "err", err)
		opts.Profile = ProfileDefault
	}
	gen := func(seed int64, n int) []inventory.Vehicle {
		vs, _ := GenerateProfile(opts.Profile, seed, n)
		return vs
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		keys:          make(map[string]Key, len(opts.Keys)),
		now:           opts.Now,
		delay:         max(opts.DescriptionDelay, 0),
		seed:          opts.Seed,
		webhookURL:    opts.WebhookURL,
		webhookSecret: opts.WebhookSecret,
		client:        &http.Client{Timeout: webhookTimeout},
		log:           opts.Log,
		ctx:           ctx,
		cancel:        cancel,
		sites:         map[string]*site{"": newSite(mainInventory(gen, opts.Seed, opts.Vehicles))},
		counts:        make(map[string]int),
	}
	s.resetFaultsLocked(Faults{})
	for _, k := range opts.Keys {
		if k.Key == "" {
			continue
		}
		s.keys[k.Key] = k
		if _, ok := s.sites[k.Site]; ok {
			continue
		}
		if k.Site == OtherSite {
			s.sites[k.Site] = newSite(nil)
		} else {
			s.sites[k.Site] = newSite(gen(siteSeed(opts.Seed, k.Site), opts.Vehicles))
		}
	}
	return s
}

// siteSeed combines the simulator's seed with a site's name, so that every site of a
// multi-tenant test gets its own inventory.
func siteSeed(seed int64, site string) int64 {
	h := fnv.New64a()
	h.Write([]byte(site))
	return seed ^ int64(h.Sum64())
}

// mainInventory is the main site's inventory: n-1 generated vehicles and the vehicle of the API
// documentation's examples, so that the documented requests work as written.
func mainInventory(gen func(seed int64, n int) []inventory.Vehicle, seed int64, n int) []inventory.Vehicle {
	if n <= 0 {
		return []inventory.Vehicle{}
	}
	vs := append(gen(seed, n-1), DocumentedVehicle())
	inventory.SortByVIN(vs)
	return vs
}

// DocumentedVehicle is the 2026 Honda Civic EX (VIN 1HGBH41JXMN109186) of the upstream
// documentation's examples, which the main site always holds.
func DocumentedVehicle() inventory.Vehicle {
	gen := time.Date(2026, 2, 1, 9, 45, 0, 0, time.UTC)
	const vin = "1HGBH41JXMN109186"
	img := "https://cdn.example.com/vehicles/" + vin + "/"
	return inventory.Vehicle{
		VIN: vin, Year: 2026, Make: "Honda", Model: "Civic", Trim: "EX",
		Condition: inventory.New, Price: inventory.Ptr(28500.0), MSRP: inventory.Ptr(29500.0),
		Mileage: inventory.Ptr(12), ExteriorColor: "Crystal Black Pearl", InteriorColor: "Black",
		Engine: "2.0L 4-Cylinder", Transmission: "CVT", Drivetrain: "FWD", FuelType: "Gasoline",
		BodyStyle: "Sedan",
		Features:  []string{"Apple CarPlay", "Android Auto", "Honda Sensing", "Sunroof", "Heated Seats"},
		ImageURL:  img + "main.jpg",
		Images:    []string{img + "main.jpg", img + "interior.jpg", img + "rear.jpg"},
		AIDescription: "The 2026 Honda Civic EX offers a perfect blend of style, technology, and efficiency. " +
			"With its turbocharged engine, advanced Honda Sensing suite, and premium interior amenities, " +
			"this sedan delivers an exceptional driving experience at a competitive price point.",
		DescriptionStatus:      inventory.DescriptionCompleted,
		DescriptionGeneratedAt: &gen,
		CreatedAt:              time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC),
		UpdatedAt:              time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
	}
}

// Close stops background work: the completion timer, pending webhook deliveries and fault
// latencies. Descriptions still pending complete lazily on the next read.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// ServeHTTP answers the API under /v1/public/inventory and the control routes under /_sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	rt, errResp := route(r.Method, r.URL.Path)
	if errResp != nil {
		errResp.write(w)
		return
	}
	plan := s.begin(rt.endpoint)
	if !s.applyFaults(w, r, plan) {
		return
	}
	resp := s.serveEndpoint(r, rt, plan)
	plan.mangle(resp)
	resp.write(w)
}

// serveEndpoint authenticates the request and answers it.
func (s *Server) serveEndpoint(r *http.Request, rt routed, plan faultPlan) *response {
	key, ok := s.keys[r.Header.Get("X-API-Key")]
	if !ok {
		return errorResponse(http.StatusUnauthorized, inventory.EUnauthorized, "Missing or invalid API key", nil)
	}
	scope := ScopeRead
	if rt.endpoint == EndpointGenerate || rt.endpoint == EndpointBatch {
		scope = ScopeWrite
	}
	if !hasScope(key.Scopes, scope) {
		return errorResponse(http.StatusForbidden, inventory.EForbidden,
			"This API key requires one of the following scopes: "+scope,
			map[string]any{"required_scopes": []string{scope}})
	}
	switch rt.endpoint {
	case EndpointList:
		return s.list(key.Site, r, plan.list, plan.vehicles)
	case EndpointDetails:
		return s.details(key.Site, rt.vin, plan.vehicles)
	case EndpointDescription:
		return s.description(key.Site, rt.vin)
	case EndpointFeed:
		return s.feed(key.Site, r, plan.vehicles)
	case EndpointStats:
		return s.stats(key.Site)
	case EndpointGenerate:
		return s.generate(key.Site, rt.vin)
	default:
		return s.batch(key.Site, r)
	}
}

func hasScope(scopes []string, want string) bool {
	for _, sc := range scopes {
		if sc == want {
			return true
		}
	}
	return false
}

const apiPrefix = "/v1/public/inventory"

// routed is a request matched to an endpoint.
type routed struct {
	endpoint string
	vin      string
}

// route matches a method and path to an endpoint, or returns the 404 or 405 to send.
func route(method, path string) (routed, *response) {
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return routed{}, notFoundPath()
	}
	var rt routed
	allow := http.MethodGet
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	switch {
	case rest == "":
		rt.endpoint = EndpointList
	case len(segs) == 1 && segs[0] == "feed":
		rt.endpoint = EndpointFeed
	case len(segs) == 1 && segs[0] == "stats":
		rt.endpoint = EndpointStats
	case len(segs) == 2 && segs[0] == "descriptions" && segs[1] == "batch":
		rt.endpoint, allow = EndpointBatch, http.MethodPost
	case len(segs) == 1:
		rt.endpoint, rt.vin = EndpointDetails, segs[0]
	case len(segs) == 2 && segs[1] == "description":
		rt.vin = segs[0]
		allow = http.MethodGet + ", " + http.MethodPost
		switch method {
		case http.MethodGet:
			rt.endpoint = EndpointDescription
		case http.MethodPost:
			rt.endpoint = EndpointGenerate
		}
	default:
		return routed{}, notFoundPath()
	}
	if rt.endpoint == "" || (rt.endpoint != EndpointGenerate && rt.endpoint != EndpointDescription && method != allow) {
		resp := errorResponse(http.StatusMethodNotAllowed, "method_not_allowed",
			"Method "+method+" is not allowed here; use "+allow, nil)
		resp.header.Set("Allow", allow)
		return routed{}, resp
	}
	return rt, nil
}

func notFoundPath() *response {
	return errorResponse(http.StatusNotFound, inventory.ENotFound, "No such endpoint", nil)
}
