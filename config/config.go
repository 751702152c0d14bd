// Package config is feedgate's configuration: the YAML schema, its defaults, ${VAR} expansion
// from the environment, strict decoding, validation that reports every problem at once, API key
// generation and hashing, and reloading when the file changes.
//
// Nothing in feedgate reads the configuration file itself: cmd/feedgate loads it here and passes
// the values it needs into each part's constructor.
package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Config is one feedgate process's whole configuration, as written in YAML.
type Config struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	// ShutdownDelay is how long a stopping replica keeps serving while /readyz already answers
	// 503, so that a load balancer takes it out of rotation before its listener closes.
	ShutdownDelay time.Duration `yaml:"shutdown_delay"`
	LogLevel      string        `yaml:"log_level"`
	TemplatesDir  string        `yaml:"templates_dir"`
	Redis         Redis         `yaml:"redis"`
	Upstream      Upstream      `yaml:"upstream"`
	Cache         Cache         `yaml:"cache"`
	Refresh       Refresh       `yaml:"refresh"`
	AdminKeys     []Key         `yaml:"admin_keys"`
	Tenants       []Tenant      `yaml:"tenants"`

	// TrustedProxies are the CIDRs (or single addresses) of the proxies in front whose
	// X-Forwarded-For names the client; none by default, so the peer's address is the client's.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Metrics says where /metrics is served, who may read it and whether it names tenants.
	Metrics Metrics `yaml:"metrics"`

	// lines maps each key path the file wrote ("tenants[0].feeds[1]") to its line; nil for a
	// configuration not parsed from a file.
	lines map[string]int
}

// Line is the line of the configuration file where path (e.g. "tenants[0].feeds[1]") is
// written or, for a key the file left out, where its nearest enclosing key is; 0 when unknown.
func (c *Config) Line(path string) int {
	return lineOf(c.lines, path)
}

// lineOf is the line of path in lines or, for a key that is absent, of the nearest enclosing one.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		path = path[:max(strings.LastIndexAny(path, ".["), 0)]
	}
	return 0
}

// Redis says where shared state lives; an empty URL and cluster mean the in-process memory cache.
type Redis struct {
	URL       string   `yaml:"url"`
	Cluster   []string `yaml:"cluster"`
	KeyPrefix string   `yaml:"key_prefix"`
}

// Metrics says where /metrics is served and what it shows.
type Metrics struct {
	// Listen, when set, serves /metrics on a listener of its own (e.g. "127.0.0.1:9091") and not
	// on the main one. It takes effect on restart.
	Listen string `yaml:"listen"`
	// KeyHash, when set, makes /metrics need that key or an admin key (X-API-Key, Bearer, or
	// Basic's password): "sha256:" and 64 hex digits, as `feedgate keygen` prints.
	KeyHash string `yaml:"key_hash"`
	// PerTenant lists series by tenant and feed (default true). False folds counters over
	// tenants and feeds and leaves out the per-tenant gauges, so /metrics names no tenant.
	PerTenant bool `yaml:"per_tenant"`
}

// Upstream is how the Hrizn API is reached.
type Upstream struct {
	BaseURL string        `yaml:"base_url"`
	Timeout time.Duration `yaml:"timeout"`
	Sync    string        `yaml:"sync"`
}

// Sync strategies for Upstream.Sync.
const (
	SyncFull = "full" // list pages, then details for new or changed VINs
	SyncFeed = "feed" // one feed call
)

// Cache holds the freshness and safety rules of the snapshot cache.
type Cache struct {
	FreshFor           time.Duration `yaml:"fresh_for"`
	ServeStaleFor      time.Duration `yaml:"serve_stale_for"`
	ShrinkGuard        float64       `yaml:"shrink_guard"`
	ShrinkConfirmAfter time.Duration `yaml:"shrink_confirm_after"`
	// MemoryMB is the in-process budget, in MiB, for rendered outputs (raw and gzip). Each
	// tenant's current snapshot is kept outside it.
	MemoryMB int `yaml:"memory_mb"`
	// Dir is where the embedded default keeps each tenant's last good snapshot, shrink-guard
	// state and refresh marks on disk; "" means os.UserCacheDir()/feedgate, "off" keeps nothing.
	Dir string `yaml:"dir"`
}

// Refresh says when tenants are synced.
type Refresh struct {
	// Mode is RefreshScheduled (every tenant synced in the background every fresh_for, whether or
	// not anyone asked) or RefreshOnRequest (synced when a read finds the snapshot stale).
	Mode string `yaml:"mode"`
	// Concurrency bounds the tenants one replica syncs at once on schedule.
	Concurrency int `yaml:"concurrency"`
}

// Refresh modes for Refresh.Mode.
const (
	RefreshScheduled = "scheduled"
	RefreshOnRequest = "on_request"
)

// Key is an API key as configured: a name for logs and the SHA-256 of the key (see HashKey).
type Key struct {
	Name string `yaml:"name"`
	Hash string `yaml:"hash"`
}

// TenantKey is a tenant's key for the drop-in API, with the scopes it grants.
type TenantKey struct {
	Key    `yaml:",inline"`
	Scopes []string `yaml:"scopes"`
}

// Scopes a tenant key can grant.
const (
	ScopeInventoryRead  = "inventory:read"
	ScopeInventoryWrite = "inventory:write"
	ScopeFeedsRead      = "feeds:read"
)

// HasScope reports whether the key grants scope.
func (k TenantKey) HasScope(scope string) bool {
	for _, s := range k.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Tenant is one dealership: its upstream credentials, dealer facts, keys and feeds.
type Tenant struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	UpstreamKey Secret `yaml:"upstream_key"`
	// UpstreamBaseURL overrides upstream.base_url for this tenant. After Parse it is always set.
	UpstreamBaseURL string `yaml:"upstream_base_url"`
	// DealerInfo is the dealer section; Dealer() converts it for transformers.
	DealerInfo    DealerConfig `yaml:"dealer"`
	CORSOrigins   []string     `yaml:"cors_origins"`
	RateLimit     RateLimit    `yaml:"rate_limit"`
	WebhookSecret Secret       `yaml:"webhook_secret"`
	Keys          []TenantKey  `yaml:"keys"`
	Feeds         []Feed       `yaml:"feeds"`
}

// DealerConfig is the YAML form of inventory.Dealer.
type DealerConfig struct {
	Name      string        `yaml:"name"`
	Website   string        `yaml:"website"`
	VDPURL    string        `yaml:"vdp_url"`
	Phone     string        `yaml:"phone"`
	StoreCode string        `yaml:"store_code"`
	Address   AddressConfig `yaml:"address"`
	Latitude  *float64      `yaml:"latitude"`
	Longitude *float64      `yaml:"longitude"`
}

// AddressConfig is the YAML form of inventory.Address.
type AddressConfig struct {
	Street     string `yaml:"street"`
	City       string `yaml:"city"`
	Region     string `yaml:"region"`
	PostalCode string `yaml:"postal_code"`
	Country    string `yaml:"country"`
}

// RateLimit bounds how often one tenant's keys may call the gateway.
type RateLimit struct {
	PerMinute int `yaml:"per_minute"`
}

// Feed is one transformed output of a tenant's inventory, served at /feeds/{tenant}/{name}.
type Feed struct {
	Name    string      `yaml:"name"`
	Format  string      `yaml:"format"`
	Filter  Filter      `yaml:"filter"`
	Options FeedOptions `yaml:"options"`
	Keys    []Key       `yaml:"keys"`
}

// Filter is the YAML form of inventory.FeedFilter.
type Filter struct {
	Condition          string     `yaml:"condition"`
	Make               StringList `yaml:"make"`
	YearMin            int        `yaml:"year_min"`
	YearMax            int        `yaml:"year_max"`
	RequirePrice       bool       `yaml:"require_price"`
	RequireImage       bool       `yaml:"require_image"`
	RequireDescription bool       `yaml:"require_description"`
	// ExcludeVINs are VINs the feed leaves out (a car sold elsewhere, a car not to advertise).
	ExcludeVINs StringList `yaml:"exclude_vins"`
	// PriceMin and PriceMax bound the feed by price; 0 leaves a bound open.
	PriceMin float64 `yaml:"price_min"`
	PriceMax float64 `yaml:"price_max"`
}

// FeedOptions are a feed's rendering settings (transform.Options without the filter).
type FeedOptions struct {
	Currency    string `yaml:"currency"`
	MileageUnit string `yaml:"mileage_unit"`
	BOM         bool   `yaml:"bom"`
	Title       string `yaml:"title"`
	// LinkTemplate is google-vehicle-ads' link_template: a URL with {store_code} and {vin} or
	// {stock}; empty means the dealer's vdp_url plus store={store_code}.
	LinkTemplate string `yaml:"link_template"`
	// UTM parameters are added to every vehicle link of the Google and Meta formats.
	UTM UTM `yaml:"utm"`
	// CustomLabels are the expressions of custom_label_0..4 (days_in_stock, price_band,
	// condition, make; "" for none).
	CustomLabels []string `yaml:"custom_labels"`
	// TitlePattern overrides the Google and Meta item title, e.g. "{year} {make} {model} {trim}".
	TitlePattern string `yaml:"title_pattern"`
}

// UTM are the utm_* parameters of a feed's vehicle links.
type UTM struct {
	Source   string `yaml:"source"`
	Medium   string `yaml:"medium"`
	Campaign string `yaml:"campaign"`
	Term     string `yaml:"term"`
	Content  string `yaml:"content"`
}

// Query is the parameters as an encoded URL query in a fixed order
// ("utm_source=google&utm_medium=cpc"), or "" when none is set.
func (u UTM) Query() string {
	var parts []string
	for _, p := range []struct{ key, value string }{
		{"utm_source", u.Source}, {"utm_medium", u.Medium}, {"utm_campaign", u.Campaign},
		{"utm_term", u.Term}, {"utm_content", u.Content},
	} {
		if v := strings.TrimSpace(p.value); v != "" {
			parts = append(parts, p.key+"="+url.QueryEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// CustomLabelExpressions are the expressions options.custom_labels may name; transform
// computes them (TestConfigLabelExpressions keeps the two lists equal).
var CustomLabelExpressions = []string{"days_in_stock", "price_band", "condition", "make"}

// TitlePlaceholders are the placeholders options.title_pattern may use.
var TitlePlaceholders = []string{"{year}", "{make}", "{model}", "{trim}", "{condition}", "{color}", "{body_style}"}

// Defaults of the values docs/design.md documents.
const (
	DefaultListen             = ":8080"
	DefaultKeyPrefix          = "feedgate:"
	DefaultUpstreamBaseURL    = "https://api.app.hrizn.io/v1"
	DefaultUpstreamTimeout    = 30 * time.Second
	DefaultFreshFor           = 5 * time.Minute
	DefaultServeStaleFor      = 24 * time.Hour
	DefaultShrinkGuard        = 0.5
	DefaultShrinkConfirmAfter = time.Hour
	DefaultMemoryMB           = 256
	DefaultRefreshConcurrency = 4
	DefaultRatePerMinute      = 600
	DefaultLogLevel           = "info"
	DefaultShutdownDelay      = 5 * time.Second
	DefaultCurrency           = "USD"
	DefaultMileageUnit        = "miles"
)

// Default is the configuration an empty file gives: no tenants, every documented default set.
func Default() Config {
	return Config{
		Listen:        DefaultListen,
		LogLevel:      DefaultLogLevel,
		ShutdownDelay: DefaultShutdownDelay,
		Redis:         Redis{KeyPrefix: DefaultKeyPrefix},
		Metrics:       Metrics{PerTenant: true},
		Upstream:      Upstream{BaseURL: DefaultUpstreamBaseURL, Timeout: DefaultUpstreamTimeout, Sync: SyncFull},
		Cache: Cache{
			FreshFor:           DefaultFreshFor,
			ServeStaleFor:      DefaultServeStaleFor,
			ShrinkGuard:        DefaultShrinkGuard,
			ShrinkConfirmAfter: DefaultShrinkConfirmAfter,
			MemoryMB:           DefaultMemoryMB,
		},
		Refresh: Refresh{Mode: RefreshScheduled, Concurrency: DefaultRefreshConcurrency},
	}
}

// Tenant returns the tenant with the id.
func (c *Config) Tenant(id string) (*Tenant, bool) {
	for i := range c.Tenants {
		if c.Tenants[i].ID == id {
			return &c.Tenants[i], true
		}
	}
	return nil, false
}

// FeedCount is the number of feeds over all tenants.
func (c *Config) FeedCount() int {
	n := 0
	for _, t := range c.Tenants {
		n += len(t.Feeds)
	}
	return n
}

// FeedURL is where a feed is served, under public_url, without a key.
func (c *Config) FeedURL(tenant, feed string) string {
	return strings.TrimRight(c.PublicURL, "/") + "/feeds/" + url.PathEscape(tenant) + "/" + url.PathEscape(feed)
}

// Feed returns the tenant's feed with the name.
func (t *Tenant) Feed(name string) (*Feed, bool) {
	for i := range t.Feeds {
		if t.Feeds[i].Name == name {
			return &t.Feeds[i], true
		}
	}
	return nil, false
}

// Dealer converts the tenant's dealer section for transformers. An empty dealer name falls back
// to the tenant's name.
func (t *Tenant) Dealer() inventory.Dealer {
	d := t.DealerInfo
	name := d.Name
	if name == "" {
		name = t.Name
	}
	return inventory.Dealer{
		Name: name, Website: d.Website, VDPURL: d.VDPURL, Phone: d.Phone, StoreCode: d.StoreCode,
		Address: inventory.Address{
			Street: d.Address.Street, City: d.Address.City, Region: d.Address.Region,
			PostalCode: d.Address.PostalCode, Country: d.Address.Country,
		},
		Latitude: copyFloat(d.Latitude), Longitude: copyFloat(d.Longitude),
	}
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// FeedFilter converts the feed's filter for inventory.FeedFilter.Match.
func (f *Feed) FeedFilter() inventory.FeedFilter {
	return inventory.FeedFilter{
		Condition:          inventory.Condition(f.Filter.Condition),
		Makes:              append([]string(nil), f.Filter.Make...),
		YearMin:            f.Filter.YearMin,
		YearMax:            f.Filter.YearMax,
		RequirePrice:       f.Filter.RequirePrice,
		RequireImage:       f.Filter.RequireImage,
		RequireDescription: f.Filter.RequireDescription,
	}
}
