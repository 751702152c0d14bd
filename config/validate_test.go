package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// validate_test holds the table of configuration problems: each case is a small document and
// the exact problem lines it must produce.

func TestValidationProblems(t *testing.T) {
	h1, h2 := HashKey("fgk_one"), HashKey("fgk_two")
	r := strings.NewReplacer("H1", h1, "H2", h2)
	tenant := func(extra string) string {
		return "tenants:\n  - id: t1\n    upstream_key: k\n" + extra
	}
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"duplicate tenant id", "tenants:\n  - {id: sunset-honda, upstream_key: a}\n  - {id: sunset-honda, upstream_key: b}\n",
			[]string{`tenants[1].id: "sunset-honda" is used by tenants[0] too (line 3)`}},
		{"tenant id not a slug", "tenants: [{id: Sunset_Honda, upstream_key: a}]",
			[]string{`tenants[0].id: "Sunset_Honda" must be lower-case letters, digits and dashes, starting with a letter or digit (line 1)`}},
		{"tenant id and upstream key missing", "tenants: [{name: x}]",
			[]string{"tenants[0].id: is required (line 1)", "tenants[0].upstream_key: is required (line 1)"}},
		{"unknown format", tenant("    feeds:\n      - {name: a, format: csv}\n      - {name: b, format: csv}\n      - {name: c, format: goggle}\n"),
			[]string{`tenants[0].feeds[2].format: unknown format "goggle" (known: atom, csv, google-vehicle-ads, json, meta-automotive, rss) (line 7)`}},
		{"duplicate feed name", tenant("    feeds: [{name: a, format: csv}, {name: a, format: rss}]\n"),
			[]string{`tenants[0].feeds[1].name: "a" is used by tenants[0].feeds[0] too (line 4)`}},
		{"bad admin hash", "admin_keys: [{name: ops, hash: \"sha256:abc\"}]",
			[]string{`admin_keys[0].hash: must be "sha256:" followed by 64 hex digits (run ` + "`feedgate keygen`" + `) (line 1)`}},
		{"key name and hash missing", "admin_keys: [{}]",
			[]string{"admin_keys[0].name: is required (it names the key in logs and metrics) (line 1)", "admin_keys[0].hash: is required (run `feedgate keygen`) (line 1)"}},
		{"duplicate key name", "admin_keys: [{name: ops, hash: H1}, {name: ops, hash: H2}]",
			[]string{`admin_keys[1].name: "ops" is used by admin_keys[0] too (line 1)`}},
		{"one key in two tenants", "tenants:\n  - {id: a, upstream_key: k, keys: [{name: w, hash: H1, scopes: [inventory:read]}]}\n  - {id: b, upstream_key: k, feeds: [{name: f, format: csv, keys: [{name: x, hash: H1}]}]}\n",
			[]string{"tenants[1].feeds[0].keys[0].hash: the same key is already used by tenants[0].keys[0]; every key must be distinct (line 3)"}},
		{"admin key reused by a tenant", "admin_keys: [{name: ops, hash: H1}]\n" + tenant("    keys: [{name: w, hash: H1, scopes: [feeds:read]}]\n"),
			[]string{"tenants[0].keys[0].hash: the same key is already used by admin_keys[0]; every key must be distinct (line 5)"}},
		{"scopes", tenant("    keys:\n      - {name: a, hash: H1}\n      - {name: b, hash: H2, scopes: [inventory:read, inventory:admin, inventory:read]}\n"),
			[]string{
				"tenants[0].keys[0].scopes: is required: one or more of inventory:read, inventory:write, feeds:read (line 5)",
				`tenants[0].keys[1].scopes[1]: "inventory:admin" is not one of inventory:read, inventory:write, feeds:read (line 6)`,
				`tenants[0].keys[1].scopes[2]: "inventory:read" is listed twice (line 6)`,
			}},
		{"memory budget", "cache: {memory_mb: 8}\n", []string{"cache.memory_mb: 8 is too small: rendered feeds need at least 16 MiB (line 1)"}},
		{"durations", "upstream: {timeout: 0s}\ncache: {fresh_for: -1m, shrink_confirm_after: -1s}\nshutdown_delay: -1s\n",
			[]string{"upstream.timeout: must be more than 0 (line 1)", "cache.fresh_for: must be more than 0 (line 2)",
				"cache.shrink_confirm_after: must not be negative (line 2)", "shutdown_delay: must not be negative (line 3)"}},
		{"fresh longer than stale", "cache: {fresh_for: 2h, serve_stale_for: 1h}",
			[]string{"cache.fresh_for: 2h0m0s is longer than cache.serve_stale_for (1h0m0s) (line 1)"}},
		{"shrink guard", "cache: {shrink_guard: 1.5}", []string{"cache.shrink_guard: 1.5 is outside 0–1 (0 turns the guard off) (line 1)"}},
		{"urls", "public_url: localhost:8080\nupstream: {base_url: \"ftp://x\"}\n" +
			tenant("    upstream_base_url: /v1\n    dealer: {website: \"www.x.example\", vdp_url: \"https://x.example/car\"}\n"),
			[]string{
				`public_url: "localhost:8080" is not an http:// or https:// URL (line 1)`,
				`upstream.base_url: "ftp://x" is not an http:// or https:// URL (line 2)`,
				`tenants[0].upstream_base_url: "/v1" is not an http:// or https:// URL (line 6)`,
				`tenants[0].dealer.website: "www.x.example" is not an http:// or https:// URL (line 7)`,
				"tenants[0].dealer.vdp_url: must contain {vin} or {stock}, or every vehicle would link to the same page (line 7)",
			}},
		{"redis", "redis: {url: \"http://localhost:6379\", cluster: [\"localhost\"]}",
			[]string{"redis.url: must be a redis:// or rediss:// URL with a host (e.g. redis://localhost:6379/0) (line 1)",
				`redis.cluster[0]: "localhost" is not host:port (line 1)`}},
		{"sync, listen, log level", "listen: \"8080\"\nupstream: {sync: pages}\nlog_level: verbose\n",
			[]string{`listen: "8080" is not host:port (e.g. ":8080") (line 1)`, `upstream.sync: "pages" is not "full" or "feed" (line 2)`,
				`log_level: "verbose" is not one of debug, info, warn, error (line 3)`}},
		{"cors origins", tenant("    cors_origins: [\"https://ok.example\", \"https://x.example/\", \"*\", \"x.example\"]\n"),
			[]string{
				`tenants[0].cors_origins[1]: "https://x.example/" is not an origin: scheme://host[:port] with no path (line 4)`,
				`tenants[0].cors_origins[2]: "*" is not an origin: scheme://host[:port] with no path (line 4)`,
				`tenants[0].cors_origins[3]: "x.example" is not an origin: scheme://host[:port] with no path (line 4)`,
			}},
		{"rate limit", tenant("    rate_limit: {per_minute: 0}\n"),
			[]string{"tenants[0].rate_limit.per_minute: must be at least 1 (leave it out for 600) (line 4)"}},
		{"feed options and filter", tenant("    feeds:\n      - name: f\n        format: csv\n        options: {currency: usd, mileage_unit: MI}\n        filter: {condition: certified, make: [\"\"], year_min: 2030, year_max: 2020}\n"),
			[]string{
				`tenants[0].feeds[0].filter.condition: "certified" is not new or used (line 8)`,
				"tenants[0].feeds[0].filter.make[0]: is empty (line 8)",
				"tenants[0].feeds[0].filter.year_min: 2030 is after year_max 2020 (line 8)",
				`tenants[0].feeds[0].options.currency: "usd" is not an ISO 4217 code (three upper-case letters, e.g. USD) (line 7)`,
				`tenants[0].feeds[0].options.mileage_unit: "MI" is not miles or km (line 7)`,
			}},
		{"feed tuning", tenant("    feeds:\n      - name: f\n        format: csv\n" +
			"        options: {link_template: \"https://d.example/{vin}\", custom_labels: [make, age, \"\", condition, make, make], title_pattern: \"{year} {colour}\"}\n" +
			"        filter: {exclude_vins: [\"1HGBH41JXMN109186\", \"X1\", \"ÄÖÜÄÖÜ12\"], price_min: 50000, price_max: 20000}\n"),
			[]string{
				"tenants[0].feeds[0].options.link_template: must contain {store_code}: Google disapproves a vehicle ad whose link template lacks it (line 7)",
				"tenants[0].feeds[0].options.custom_labels: has 6 labels; Google and Meta take at most 5 (custom_label_0 to custom_label_4) (line 7)",
				`tenants[0].feeds[0].options.custom_labels[1]: "age" is not one of days_in_stock, price_band, condition, make (or "" for none) (line 7)`,
				"tenants[0].feeds[0].options.title_pattern: {colour} is not one of {year} {make} {model} {trim} {condition} {color} {body_style} (line 7)",
				`tenants[0].feeds[0].filter.exclude_vins[1]: "X1" is not a VIN (11 to 17 characters) (line 8)`,
				`tenants[0].feeds[0].filter.exclude_vins[2]: "ÄÖÜÄÖÜ12" is not a VIN (11 to 17 characters) (line 8)`,
				"tenants[0].feeds[0].filter.price_min: 50000 is above price_max 20000 (line 8)",
			}},
		{"dealer address and position", tenant("    dealer: {latitude: 95, address: {country: usa}}\n"),
			[]string{
				`tenants[0].dealer.address.country: "usa" is not a two-letter upper-case ISO 3166-1 code such as US (line 4)`,
				"tenants[0].dealer.latitude: latitude and longitude go together: set both or neither (line 4)",
				"tenants[0].dealer.latitude: 95 is outside -90–90 (line 4)",
			}},
		{"wrong shapes", "tenants: {id: x}\nredis: [a]\nlisten: [a]\n",
			[]string{"tenants: must be a list (line 1)", "redis: must be a mapping of keys to values (line 2)",
				"listen: must be a single value, not a list or mapping (line 3)"}},
		{"make of the wrong shape", tenant("    feeds: [{name: f, format: csv, filter: {make: [[Ford]]}}]\n"),
			[]string{"tenants[0].feeds[0].filter.make: must be a string or a list of strings (line 4)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, r.Replace(tc.doc), nil)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing problem %q\ngot:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n  %s", len(got), len(tc.want), strings.Join(got, "\n  "))
			}
		})
	}
}

func TestValidationErrorListsEveryProblem(t *testing.T) {
	_, err := Parse([]byte("listen: x\nlog_level: loud\n"), ParseOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := "config: 2 problems:\n" +
		"  listen: \"x\" is not host:port (e.g. \":8080\") (line 1)\n" +
		"  log_level: \"loud\" is not one of debug, info, warn, error (line 2)"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
}

// TestUTMQuery checks the order and escaping of the utm parameters.
func TestUTMQuery(t *testing.T) {
	u := UTM{Source: "google", Medium: "vehicle ads", Campaign: "spring&summer"}
	if got, want := u.Query(), "utm_source=google&utm_medium=vehicle+ads&utm_campaign=spring%26summer"; got != want {
		t.Errorf("Query() = %q, want %q", got, want)
	}
	if (UTM{}).Query() != "" {
		t.Error("empty UTM gives a query")
	}
}

// TestFeedTuningParses checks that valid tuning settings pass and arrive as written.
func TestFeedTuningParses(t *testing.T) {
	doc := "tenants:\n  - id: t1\n    upstream_key: k\n    feeds:\n      - name: f\n        format: csv\n" +
		"        options: {link_template: \"https://d.example/{vin}?store={store_code}\", utm: {source: google, medium: cpc}, custom_labels: [days_in_stock, \"\", make], title_pattern: \"{year} {make} {model}\"}\n" +
		"        filter: {exclude_vins: 1HGBH41JXMN109186, price_min: 1000, price_max: 90000}\n"
	c, err := Parse([]byte(doc), ParseOptions{Formats: testFormats})
	if err != nil {
		t.Fatal(err)
	}
	f := c.Tenants[0].Feeds[0]
	if f.Options.UTM.Query() != "utm_source=google&utm_medium=cpc" || len(f.Options.CustomLabels) != 3 ||
		f.Options.LinkTemplate == "" || f.Options.TitlePattern == "" ||
		!slices.Equal(f.Filter.ExcludeVINs, []string{"1HGBH41JXMN109186"}) || f.Filter.PriceMin != 1000 || f.Filter.PriceMax != 90000 {
		t.Errorf("feed %+v", f)
	}
}
