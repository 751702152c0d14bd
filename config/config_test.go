package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedgate/feedgate/inventory"
)

// formatSet is the FormatSet the tests check format names against.
type formatSet []string

func (f formatSet) Has(name string) bool { return slices.Contains(f, name) }
func (f formatSet) Names() []string {
	out := slices.Clone(f)
	sort.Strings(out)
	return out
}

var testFormats = formatSet{"csv", "google-vehicle-ads", "json", "meta-automotive", "rss", "atom"}

var exampleEnv = map[string]string{
	"SUNSET_HONDA_HRIZN_KEY":      "hzk_sunset_secret",
	"SUNSET_HONDA_WEBHOOK_SECRET": "whsec_sunset_secret",
	"LAKESIDE_AUTO_HRIZN_KEY":     "hzk_lakeside_secret",
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func mustParse(t *testing.T, doc string, vars map[string]string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc), ParseOptions{Getenv: env(vars), Formats: testFormats})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func problemsOf(t *testing.T, doc string, vars map[string]string) []string {
	t.Helper()
	_, err := Parse([]byte(doc), ParseOptions{Getenv: env(vars), Formats: testFormats})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse error = %v, want a *ValidationError", err)
	}
	out := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		out[i] = p.String()
	}
	return out
}

func TestExampleConfig(t *testing.T) {
	c, err := Load("../examples/feedgate.yaml", ParseOptions{Getenv: env(exampleEnv), Formats: testFormats})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Tenants) != 2 || c.FeedCount() != 5 {
		t.Fatalf("got %d tenants, %d feeds; want 2, 5", len(c.Tenants), c.FeedCount())
	}
	sh, ok := c.Tenant("sunset-honda")
	if !ok {
		t.Fatal("tenant sunset-honda not found")
	}
	if got := sh.UpstreamKey.Reveal(); got != "hzk_sunset_secret" {
		t.Errorf("upstream key = %q", got)
	}
	lat, lon := 39.78, -89.65
	want := inventory.Dealer{
		Name: "Sunset Honda", Website: "https://www.sunsethonda.example",
		VDPURL: "https://www.sunsethonda.example/inventory/{vin}", Phone: "+1 217 555 0100", StoreCode: "SH-001",
		Address:  inventory.Address{Street: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"},
		Latitude: &lat, Longitude: &lon,
	}
	if got := sh.Dealer(); !reflect.DeepEqual(got, want) {
		t.Errorf("Dealer() = %+v, want %+v", got, want)
	}
	la, _ := c.Tenant("lakeside-auto")
	if got := la.Dealer().Name; got != "Lakeside Auto Group" {
		t.Errorf("dealer name falls back to the tenant name: got %q", got)
	}
	meta, _ := la.Feed("meta")
	if got, want := meta.FeedFilter(), (inventory.FeedFilter{Makes: []string{"Toyota", "Lexus"}, RequireImage: true}); !reflect.DeepEqual(got, want) {
		t.Errorf("meta FeedFilter() = %+v, want %+v", got, want)
	}
	trucks, _ := la.Feed("trucks")
	wantF := inventory.FeedFilter{Condition: inventory.New, Makes: []string{"Ford"}, YearMin: 2023, YearMax: 2026}
	if got := trucks.FeedFilter(); !reflect.DeepEqual(got, wantF) {
		t.Errorf("trucks FeedFilter() = %+v, want %+v", got, wantF)
	}
	if meta.Options.Currency != "CAD" || meta.Options.MileageUnit != "km" || trucks.Options.Currency != "USD" {
		t.Errorf("options: meta %+v, trucks %+v", meta.Options, trucks.Options)
	}
	if got := c.FeedURL("sunset-honda", "google"); got != "http://localhost:8080/feeds/sunset-honda/google" {
		t.Errorf("FeedURL = %q", got)
	}
}

func TestDefaults(t *testing.T) {
	doc := `
tenants:
  - id: t1
    upstream_key: k
    feeds: [{name: f, format: csv}]
`
	for _, tc := range []struct {
		name, doc string
	}{{"empty file", ""}, {"only comments", "# nothing\n"}, {"one tenant", doc}} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.doc, nil)
			got := *c
			got.Tenants, got.lines = nil, nil
			want := Default()
			want.PublicURL = "http://localhost:8080"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
			if want.Upstream.Timeout != 30*time.Second || want.Cache.FreshFor != 5*time.Minute ||
				want.Cache.ServeStaleFor != 24*time.Hour || want.Cache.ShrinkGuard != 0.5 ||
				want.Cache.ShrinkConfirmAfter != time.Hour || want.Redis.KeyPrefix != "feedgate:" ||
				want.Upstream.BaseURL != "https://api.app.hrizn.io/v1" || want.Upstream.Sync != "full" || want.Listen != ":8080" ||
				want.ShutdownDelay != 5*time.Second {
				t.Errorf("Default() differs from docs/design.md: %+v", want)
			}
		})
	}
	if c := mustParse(t, "shutdown_delay: 0s\n", nil); c.ShutdownDelay != 0 {
		t.Errorf("an explicit shutdown_delay of 0s became %s", c.ShutdownDelay)
	}
	c := mustParse(t, doc, nil)
	tn := c.Tenants[0]
	if tn.Name != "t1" || tn.RateLimit.PerMinute != 600 || tn.UpstreamBaseURL != DefaultUpstreamBaseURL ||
		tn.Feeds[0].Options.Currency != "USD" || tn.Feeds[0].Options.MileageUnit != "miles" {
		t.Errorf("tenant defaults: %+v", tn)
	}
	c = mustParse(t, "listen: 127.0.0.1:9000\ncache: {shrink_guard: 0}\n", nil)
	if c.PublicURL != "http://localhost:9000" || c.Cache.ShrinkGuard != 0 {
		t.Errorf("public_url %q, shrink_guard %g: an explicit 0 must stay 0", c.PublicURL, c.Cache.ShrinkGuard)
	}
}

func TestEnvExpansion(t *testing.T) {
	vars := map[string]string{
		"KEY":    `a: b # {c} [d], "e" 'f'` + "\n- g",
		"RATE":   "42",
		"FRESH":  "2m",
		"NULLY":  "null",
		"EMPTY":  "",
		"SECRET": "s3cret",
	}
	doc := `
cache: {fresh_for: "${FRESH}"}
tenants:
  - id: t1
    name: ${NULLY}
    upstream_key: ${KEY}
    webhook_secret: "pre-${SECRET}-$${LITERAL}-$$plain"
    rate_limit: {per_minute: "${RATE}"}
    dealer: {phone: "${EMPTY}"}
`
	c := mustParse(t, doc, vars)
	tn := c.Tenants[0]
	for _, check := range []struct{ name, got, want string }{
		{"upstream_key keeps YAML-special characters", tn.UpstreamKey.Reveal(), vars["KEY"]},
		{"the text 'null' stays a string", tn.Name, "null"},
		{"$${ is a literal ${", tn.WebhookSecret.Reveal(), "pre-s3cret-${LITERAL}-$$plain"},
		{"an empty variable is set", tn.DealerInfo.Phone, ""},
	} {
		if check.got != check.want {
			t.Errorf("%s: got %q, want %q", check.name, check.got, check.want)
		}
	}
	if tn.RateLimit.PerMinute != 42 || c.Cache.FreshFor != 2*time.Minute {
		t.Errorf("typed values from the environment: per_minute %d, fresh_for %s", tn.RateLimit.PerMinute, c.Cache.FreshFor)
	}

	for _, tc := range []struct{ name, doc, want string }{
		{"unset", "tenants: [{id: sunset-honda, upstream_key: \"${SUNSET_HONDA_HRIZN_KEY}\"}]",
			"tenants[0].upstream_key: environment variable SUNSET_HONDA_HRIZN_KEY is not set (line 1)"},
		{"unterminated", "listen: \"${PORT\"", "listen: unterminated ${ (write $${ for a literal ${) (line 1)"},
		{"unset, for a number", "tenants: [{id: t, upstream_key: k, rate_limit: {per_minute: \"${RATE}\"}}]",
			"tenants[0].rate_limit.per_minute: environment variable RATE is not set (line 1)"},
		{"bad name", "listen: \"${1X}\"", `listen: "1X" is not a valid environment variable name (letters, digits and _; not starting with a digit) (line 1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, tc.doc, nil)
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("problems %q\ndo not include %q", got, tc.want)
			}
		})
	}
}

func TestStrictDecoding(t *testing.T) {
	doc := `listen: ":8080"
redis:
  urll: redis://x
tenants:
  - id: t1
    upstream_key: k
    feeds:
      - name: f
        fromat: csv
cache:
  fresh_for: 5
  shrink_guard: lots
listen: ":9090"
`
	want := []string{
		"redis.urll: unknown key (known here: cluster, key_prefix, url) (line 3)",
		"tenants[0].feeds[0].fromat: unknown key (known here: filter, format, keys, name, options) (line 9)",
		`cache.fresh_for: "5" is not a duration (write a number with a unit: 30s, 5m, 24h) (line 11)`,
		`cache.shrink_guard: "lots" is not a number (line 12)`,
		"listen: is set twice (first at line 1) (line 13)",
		"tenants[0].feeds[0].format: is required (line 8)",
	}
	if got := problemsOf(t, doc, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, err := Load("../examples/feedgate.yaml", ParseOptions{Getenv: env(exampleEnv), Formats: testFormats})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	ys, _ := yaml.Marshal(c)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", *c), "%#v": fmt.Sprintf("%#v", *c),
		"json": string(js), "yaml": string(ys),
	} {
		for _, secret := range exampleEnv {
			if strings.Contains(out, secret) {
				t.Errorf("%s output shows a secret: %s", name, out)
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s output does not show the mask", name)
		}
	}
}

func TestProblemsWithoutFormats(t *testing.T) {
	doc := "tenants: [{id: t, upstream_key: k, feeds: [{name: f, format: anything}]}]"
	if _, err := Parse([]byte(doc), ParseOptions{}); err != nil {
		t.Errorf("with no FormatSet format names are not checked: %v", err)
	}
	_, err := Parse([]byte(doc), ParseOptions{FormatsFor: func(dir string) (FormatSet, error) {
		return nil, fmt.Errorf("templates %q: broken.yaml: bad", dir)
	}})
	if err == nil || !strings.Contains(err.Error(), `templates_dir: templates "": broken.yaml: bad`) {
		t.Errorf("FormatsFor error: %v", err)
	}
}

func TestSyntaxError(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"an unclosed list", "listen: \":8080\"\ntenants: [\n",
			"config: line 3: YAML syntax error at tenants: did not find expected node content"},
		{"an unquoted ${VAR} in flow style", "tenants:\n  - id: a\n    rate_limit: {per_minute: ${RATE}}\n    name: x\n",
			"config: line 3: YAML syntax error at tenants[0].rate_limit: did not find expected ',' or '}'; " +
				"in flow style ({...} or [...]) a ${VAR} value must be quoted: \"${VAR}\""},
		{"a bad indentation", "upstream:\n  base_url: x\n timeout: 5s\n",
			"config: line 3: YAML syntax error at upstream.base_url: did not find expected key"},
		{"a tab", "tenants:\n  - id: a\n    feeds:\n\t- name: f\n",
			"config: line 4: YAML syntax error at tenants[0].feeds: found character that cannot start any token"},
		{"an unknown anchor", "listen: *nope\n", "config: YAML syntax error: unknown anchor 'nope' referenced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), ParseOptions{})
			var se *SyntaxError
			if !errors.As(err, &se) || err.Error() != tc.want {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "feedgate.yaml")
	if err := os.WriteFile(path, []byte("tenants:\n  - id: a\n    keys: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, ParseOptions{})
	if want := "config: " + path + ": line 4: YAML syntax error at tenants[0].keys: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load: %v\nwant the file named: %s", err, want)
	}
}

func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"no tenants", "", []string{"tenants: none configured: the gateway will answer only /healthz, /readyz and /metrics"}},
		{"unreachable tenant", "tenants: [{id: a, upstream_key: k}]", []string{`tenants[0]: "a" has no keys and no feeds: nothing can reach it`}},
		{"unreachable feed", "tenants: [{id: a, upstream_key: k, feeds: [{name: f, format: csv}]}]",
			[]string{`tenants[0].feeds[0]: feed "f" has no keys and no tenant key has feeds:read: nothing can fetch it`}},
		{"reachable through feeds:read", "tenants: [{id: a, upstream_key: k, keys: [{name: r, hash: " + HashKey("x") + ", scopes: [feeds:read]}], feeds: [{name: f, format: csv}]}]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, w := range mustParse(t, tc.doc, nil).Warnings() {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Warnings() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLine: a parsed configuration knows the line of every key path it wrote, and for an absent
// key the line of its nearest enclosing one; a configuration not parsed from text knows none.
func TestLine(t *testing.T) {
	doc := "tenants:\n  - id: a\n    upstream_key: k\n    feeds:\n      - {name: f, format: csv}\n      - name: g\n        format: csv\n"
	c := mustParse(t, doc, nil)
	for path, want := range map[string]int{
		"tenants[0]":               2,
		"tenants[0].feeds[0]":      5,
		"tenants[0].feeds[1]":      6,
		"tenants[0].feeds[1].keys": 6,
		"tenants[0].feeds[9]":      5, // where the list starts
		"listen":                   0,
	} {
		if got := c.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
	d := Default()
	if got := d.Line("tenants[0]"); got != 0 {
		t.Errorf("Default().Line = %d, want 0", got)
	}
}
