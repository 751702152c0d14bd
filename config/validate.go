package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	Path    string // the key path, e.g. "tenants[0].feeds[2].format"; "" for the whole file
	Line    int    // the line in the file, 0 when the key is absent
	Message string
}

// String is "path: message (line N)".
func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// ValidationError lists every problem of a configuration.
type ValidationError struct {
	Problems []Problem
}

// Error puts each problem on its own line under a count.
func (e *ValidationError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	fmt.Fprintf(&b, "config: %d problem", n)
	if n != 1 {
		b.WriteString("s")
	}
	b.WriteString(":")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	hashRE     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	// titlePlaceholderRE finds the {name} placeholders of a title pattern.
	titlePlaceholderRE = regexp.MustCompile(`\{[^{}]*\}`)
)

var knownScopes = map[string]bool{ScopeInventoryRead: true, ScopeInventoryWrite: true, ScopeFeedsRead: true}

// validator checks a decoded configuration, collecting every problem.
type validator struct {
	lines    map[string]int
	problems []Problem
	hashes   map[string]string // key hash -> path of the key that uses it
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Line: lineOf(v.lines, path), Message: fmt.Sprintf(format, args...)})
}

func (v *validator) config(c *Config, formats FormatSet) {
	v.hashes = map[string]string{}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		v.add("listen", "%q is not host:port (e.g. \":8080\")", c.Listen)
	}
	v.httpURL("public_url", c.PublicURL)
	if c.ShutdownDelay < 0 {
		v.add("shutdown_delay", "must not be negative")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		v.add("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	v.redis(c.Redis)
	v.trustedProxies(c.TrustedProxies)
	v.metrics(c.Listen, c.Metrics)
	v.httpURL("upstream.base_url", c.Upstream.BaseURL)
	if c.Upstream.Timeout <= 0 {
		v.add("upstream.timeout", "must be more than 0")
	}
	if c.Upstream.Sync != SyncFull && c.Upstream.Sync != SyncFeed {
		v.add("upstream.sync", "%q is not %q or %q", c.Upstream.Sync, SyncFull, SyncFeed)
	}
	v.cache(c.Cache)
	v.refresh(c.Refresh)
	v.keys("admin_keys", c.AdminKeys)

	ids := map[string]int{}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		p := index("tenants", i)
		if v.slug(p+".id", t.ID) {
			if first, dup := ids[t.ID]; dup {
				v.add(p+".id", "%q is used by tenants[%d] too", t.ID, first)
			} else {
				ids[t.ID] = i
			}
		}
		v.tenant(p, t, formats)
	}
}

// trustedProxies checks that each entry is a CIDR or a single address.
func (v *validator) trustedProxies(list []string) {
	for i, p := range list {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			v.add(index("trusted_proxies", i), "%q is not a CIDR (e.g. 10.0.0.0/8) or an IP address", p)
		}
	}
}

// metrics checks the metrics listener and key. The key is checked with the others below, so it
// cannot also open a tenant; it has no name, so it is checked here.
func (v *validator) metrics(listen string, m Metrics) {
	if m.Listen != "" {
		if _, _, err := net.SplitHostPort(m.Listen); err != nil {
			v.add("metrics.listen", "%q is not host:port (e.g. \"127.0.0.1:9091\")", m.Listen)
		} else if m.Listen == listen {
			v.add("metrics.listen", "%q is the main listen address; leave metrics.listen out to serve /metrics there", m.Listen)
		}
	}
	switch {
	case m.KeyHash == "":
	case !hashRE.MatchString(m.KeyHash):
		v.add("metrics.key_hash", "must be \"sha256:\" followed by 64 hex digits (run `feedgate keygen`)")
	default:
		v.hashes[m.KeyHash] = "metrics.key_hash"
	}
}

func (v *validator) redis(r Redis) {
	if r.URL != "" {
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			v.add("redis.url", "must be a redis:// or rediss:// URL with a host (e.g. redis://localhost:6379/0)")
		}
	}
	for i, addr := range r.Cluster {
		if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
			v.add(index("redis.cluster", i), "%q is not host:port", addr)
		}
	}
}

func (v *validator) cache(c Cache) {
	if c.FreshFor <= 0 {
		v.add("cache.fresh_for", "must be more than 0")
	}
	if c.ServeStaleFor < 0 {
		v.add("cache.serve_stale_for", "must not be negative")
	} else if c.FreshFor > c.ServeStaleFor {
		v.add("cache.fresh_for", "%s is longer than cache.serve_stale_for (%s)", c.FreshFor, c.ServeStaleFor)
	}
	if c.ShrinkGuard < 0 || c.ShrinkGuard > 1 {
		v.add("cache.shrink_guard", "%g is outside 0–1 (0 turns the guard off)", c.ShrinkGuard)
	}
	if c.ShrinkConfirmAfter < 0 {
		v.add("cache.shrink_confirm_after", "must not be negative")
	}
	if c.MemoryMB < 16 {
		v.add("cache.memory_mb", "%d is too small: rendered feeds need at least 16 MiB", c.MemoryMB)
	}
}

func (v *validator) refresh(r Refresh) {
	if r.Mode != RefreshScheduled && r.Mode != RefreshOnRequest {
		v.add("refresh.mode", "%q is neither %q nor %q", r.Mode, RefreshScheduled, RefreshOnRequest)
	}
	if r.Concurrency < 1 || r.Concurrency > 256 {
		v.add("refresh.concurrency", "%d is outside 1–256", r.Concurrency)
	}
}

func (v *validator) tenant(p string, t *Tenant, formats FormatSet) {
	if t.UpstreamKey == "" {
		v.add(p+".upstream_key", "is required")
	}
	v.httpURL(p+".upstream_base_url", t.UpstreamBaseURL)
	v.dealer(p+".dealer", t.DealerInfo)
	for i, o := range t.CORSOrigins {
		if !validOrigin(o) {
			v.add(index(p+".cors_origins", i), "%q is not an origin: scheme://host[:port] with no path", o)
		}
	}
	if t.RateLimit.PerMinute < 1 {
		v.add(p+".rate_limit.per_minute", "must be at least 1 (leave it out for %d)", DefaultRatePerMinute)
	}
	keys := make([]Key, len(t.Keys))
	for i, k := range t.Keys {
		keys[i] = k.Key
		kp := index(p+".keys", i)
		if len(k.Scopes) == 0 {
			v.add(kp+".scopes", "is required: one or more of %s, %s, %s", ScopeInventoryRead, ScopeInventoryWrite, ScopeFeedsRead)
		}
		seen := map[string]bool{}
		for j, s := range k.Scopes {
			switch {
			case !knownScopes[s]:
				v.add(index(kp+".scopes", j), "%q is not one of %s, %s, %s", s, ScopeInventoryRead, ScopeInventoryWrite, ScopeFeedsRead)
			case seen[s]:
				v.add(index(kp+".scopes", j), "%q is listed twice", s)
			}
			seen[s] = true
		}
	}
	v.keys(p+".keys", keys)

	names := map[string]int{}
	for i := range t.Feeds {
		f := &t.Feeds[i]
		fp := index(p+".feeds", i)
		if v.slug(fp+".name", f.Name) {
			if first, dup := names[f.Name]; dup {
				v.add(fp+".name", "%q is used by %s.feeds[%d] too", f.Name, p, first)
			} else {
				names[f.Name] = i
			}
		}
		v.feed(fp, f, formats)
	}
}

func (v *validator) dealer(p string, d DealerConfig) {
	if d.Website != "" {
		v.httpURL(p+".website", d.Website)
	}
	if d.VDPURL != "" && v.httpURL(p+".vdp_url", d.VDPURL) &&
		!strings.Contains(d.VDPURL, "{vin}") && !strings.Contains(d.VDPURL, "{stock}") {
		v.add(p+".vdp_url", "must contain {vin} or {stock}, or every vehicle would link to the same page")
	}
	if c := d.Address.Country; c != "" && !countryRE.MatchString(c) {
		v.add(p+".address.country", "%q is not a two-letter upper-case ISO 3166-1 code such as US", c)
	}
	if (d.Latitude == nil) != (d.Longitude == nil) {
		v.add(p+".latitude", "latitude and longitude go together: set both or neither")
	}
	if d.Latitude != nil && (*d.Latitude < -90 || *d.Latitude > 90) {
		v.add(p+".latitude", "%g is outside -90–90", *d.Latitude)
	}
	if d.Longitude != nil && (*d.Longitude < -180 || *d.Longitude > 180) {
		v.add(p+".longitude", "%g is outside -180–180", *d.Longitude)
	}
}

func (v *validator) feed(p string, f *Feed, formats FormatSet) {
	switch {
	case f.Format == "":
		v.add(p+".format", "is required")
	case formats != nil && !formats.Has(f.Format):
		v.add(p+".format", "unknown format %q (known: %s)", f.Format, strings.Join(formats.Names(), ", "))
	}
	fl := f.Filter
	if fl.Condition != "" && fl.Condition != "new" && fl.Condition != "used" {
		v.add(p+".filter.condition", "%q is not new or used", fl.Condition)
	}
	for i, m := range fl.Make {
		if strings.TrimSpace(m) == "" {
			v.add(index(p+".filter.make", i), "is empty")
		}
	}
	for _, y := range []struct {
		key string
		val int
	}{{"year_min", fl.YearMin}, {"year_max", fl.YearMax}} {
		if y.val != 0 && (y.val < 1900 || y.val > 2100) {
			v.add(p+".filter."+y.key, "%d is not a model year", y.val)
		}
	}
	if fl.YearMin != 0 && fl.YearMax != 0 && fl.YearMin > fl.YearMax {
		v.add(p+".filter.year_min", "%d is after year_max %d", fl.YearMin, fl.YearMax)
	}
	if !currencyRE.MatchString(f.Options.Currency) {
		v.add(p+".options.currency", "%q is not an ISO 4217 code (three upper-case letters, e.g. USD)", f.Options.Currency)
	}
	if u := f.Options.MileageUnit; u != "miles" && u != "km" {
		v.add(p+".options.mileage_unit", "%q is not miles or km", u)
	}
	v.tuning(p, f)
	v.keys(p+".keys", f.Keys)
}

// tuning checks the settings a dealer tunes per feed: link template, custom labels, title
// pattern, VIN exclude list and price bounds.
func (v *validator) tuning(p string, f *Feed) {
	o, fl := f.Options, f.Filter
	if t := o.LinkTemplate; t != "" {
		switch {
		case !strings.Contains(t, "{store_code}"):
			v.add(p+".options.link_template", "must contain {store_code}: Google disapproves a vehicle ad whose link template lacks it")
		case !strings.Contains(t, "{vin}") && !strings.Contains(t, "{stock}"):
			v.add(p+".options.link_template", "must contain {vin} or {stock}, or every vehicle would link to the same page")
		default:
			v.httpURL(p+".options.link_template", t)
		}
	}
	if len(o.CustomLabels) > 5 {
		v.add(p+".options.custom_labels", "has %d labels; Google and Meta take at most 5 (custom_label_0 to custom_label_4)", len(o.CustomLabels))
	}
	for i, e := range o.CustomLabels {
		if e != "" && !slices.Contains(CustomLabelExpressions, e) {
			v.add(index(p+".options.custom_labels", i), "%q is not one of %s (or \"\" for none)", e, strings.Join(CustomLabelExpressions, ", "))
		}
	}
	if t := o.TitlePattern; t != "" {
		for _, ph := range titlePlaceholderRE.FindAllString(t, -1) {
			if !slices.Contains(TitlePlaceholders, ph) {
				v.add(p+".options.title_pattern", "%s is not one of %s", ph, strings.Join(TitlePlaceholders, " "))
			}
		}
	}
	for i, vin := range fl.ExcludeVINs {
		if !inventory.ValidUpstreamVIN(inventory.NormalizeVIN(vin)) {
			v.add(index(p+".filter.exclude_vins", i), "%q is not a VIN (11 to 17 characters)", vin)
		}
	}
	for _, b := range []struct {
		key string
		val float64
	}{{"price_min", fl.PriceMin}, {"price_max", fl.PriceMax}} {
		if b.val < 0 {
			v.add(p+".filter."+b.key, "%g is negative", b.val)
		}
	}
	if fl.PriceMin > 0 && fl.PriceMax > 0 && fl.PriceMin > fl.PriceMax {
		v.add(p+".filter.price_min", "%g is above price_max %g", fl.PriceMin, fl.PriceMax)
	}
}

// keys checks names and hashes, and that no key hash is used twice anywhere in the file: one
// key must never open two tenants, nor be both an admin key and a tenant's.
func (v *validator) keys(p string, keys []Key) {
	names := map[string]int{}
	for i, k := range keys {
		kp := index(p, i)
		switch first, dup := names[k.Name]; {
		case k.Name == "":
			v.add(kp+".name", "is required (it names the key in logs and metrics)")
		case dup:
			v.add(kp+".name", "%q is used by %s too", k.Name, index(p, first))
		default:
			names[k.Name] = i
		}
		switch {
		case k.Hash == "":
			v.add(kp+".hash", "is required (run `feedgate keygen`)")
		case !hashRE.MatchString(k.Hash):
			v.add(kp+".hash", "must be \"sha256:\" followed by 64 hex digits (run `feedgate keygen`)")
		default:
			if other, dup := v.hashes[k.Hash]; dup {
				v.add(kp+".hash", "the same key is already used by %s; every key must be distinct", other)
			} else {
				v.hashes[k.Hash] = kp
			}
		}
	}
}

// slug checks a tenant id or feed name and reports whether it is valid.
func (v *validator) slug(p, s string) bool {
	switch {
	case s == "":
		v.add(p, "is required")
	case !slugRE.MatchString(s):
		v.add(p, "%q must be lower-case letters, digits and dashes, starting with a letter or digit", s)
	default:
		return true
	}
	return false
}

// httpURL checks an absolute http(s) URL and reports whether it is one.
func (v *validator) httpURL(p, s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(p, "%q is not an http:// or https:// URL", s)
		return false
	}
	return true
}

func validOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil &&
		s == u.Scheme+"://"+u.Host
}
