package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// reloadWith reloads the test configuration with a rate limit and extra top-level keys.
func (e *env) reloadWith(t *testing.T, perMinute int, extra string) {
	t.Helper()
	if err := e.srv.Reload(parseConfig(t, e.keys.config(perMinute)+extra, e.formats)); err != nil {
		t.Fatal(err)
	}
}

// TestMetricsKey: with metrics.key_hash, /metrics needs that key or an admin key.
func TestMetricsKey(t *testing.T) {
	e := newEnv(t, 0)
	if rec := e.do("GET", "/metrics"); rec.Code != 200 {
		t.Fatalf("open by default: %d", rec.Code)
	}
	scraper, hash, err := config.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	e.reloadWith(t, 0, "metrics: {key_hash: \""+hash+"\"}\n")
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"no key", nil, 401},
		{"a tenant's key", []string{"X-API-Key", e.keys["reader"]}, 401},
		{"a feed key", []string{"X-API-Key", e.keys["export"]}, 401},
		{"the metrics key as a Bearer token", []string{"Authorization", "Bearer " + scraper}, 200},
		{"the metrics key as Basic's password", []string{"Authorization", "Basic " + basic("prometheus", scraper)}, 200},
		{"an admin key", []string{"X-API-Key", e.keys["admin"]}, 200},
	} {
		rec := e.do("GET", "/metrics", tc.headers...)
		if rec.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.status)
		}
		if tc.status == 401 && (strings.Contains(rec.Body.String(), "feedgate_") || errorCode(t, rec).Code != "unauthorized") {
			t.Errorf("%s: the refusal shows metrics: %.200s", tc.name, rec.Body.String())
		}
	}
}

// TestMetricsPerTenantOff: per_tenant: false folds the counters over tenants and feeds and
// leaves out the per-tenant gauges, so /metrics names no tenant; turning it on again lists them.
func TestMetricsPerTenantOff(t *testing.T) {
	e := newEnv(t, 2)
	e.reloadWith(t, 2, "metrics: {per_tenant: false}\n")
	e.do("GET", "/feeds/sunset/export", "X-API-Key", e.keys["export"])
	e.do("GET", "/feeds/sunset/google", "X-API-Key", e.keys["google"])
	e.do("GET", "/feeds/other/export", "X-API-Key", e.keys["other"])
	for range 3 {
		e.do("GET", "/feeds/sunset/export", "X-API-Key", e.keys["export"]) // a budget of 2: the last two are 429
	}
	body := e.do("GET", "/metrics").Body.String()
	for _, name := range []string{`"sunset"`, `"other"`, `"export"`, `tenant="`, `feed="`} {
		if strings.Contains(body, name) {
			t.Errorf("folded metrics name %s", name)
		}
	}
	for _, want := range []string{
		`feedgate_feed_responses_total{outcome="miss"} 3`, // sunset/export, sunset/google, other/export
		`feedgate_feed_responses_total{outcome="hit"} 1`,
		`feedgate_rate_limited_total 2`,
		`feedgate_config_tenants 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("folded metrics lack %s:\n%s", want, grep(body, "feedgate_feed_responses_total", "feedgate_rate_limited"))
		}
	}
	e.reloadWith(t, 2, "")
	if body := e.do("GET", "/metrics").Body.String(); !strings.Contains(body, `feedgate_feed_responses_total{feed="export",outcome="miss",tenant="sunset"} 1`) {
		t.Errorf("per_tenant back on: %s", grep(body, "feedgate_feed_responses_total"))
	}
}

// grep keeps the lines of s that start with one of the prefixes.
func grep(s string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsOnTheirOwnListener: while ServeMetrics serves /metrics on a listener of its own
// (metrics.listen), the main listener answers 404 for it.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	e := newEnv(t, 0)
	addr, stop := serveOn(t, e.srv.ServeMetrics)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "feedgate_config_tenants 2") {
		t.Errorf("metrics listener: %d %.200s", code, body)
	}
	if code, body := get("/feeds/sunset/export"); code != 404 || body != e.do("GET", "/no/such/route").Body.String() {
		t.Errorf("the metrics listener serves feeds, or not the main listener's 404: %d %s", code, body)
	}
	if rec := e.do("GET", "/metrics"); rec.Code != 404 || errorCode(t, rec).Code != "not_found" {
		t.Errorf("main listener /metrics while they are served elsewhere: %d", rec.Code)
	}
	if err := stop(); err != nil {
		t.Errorf("ServeMetrics: %v", err)
	}
	if rec := e.do("GET", "/metrics"); rec.Code != 200 {
		t.Errorf("main listener /metrics after the metrics listener stopped: %d", rec.Code)
	}
}

// TestNosniffOnEveryJSONAnswer: drop-in API, errors, admin, health and readiness answers all say
// X-Content-Type-Options: nosniff, so that no JSON body can be sniffed into a script or page.
func TestNosniffOnEveryJSONAnswer(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 5})
	admin := []string{"X-API-Key", e.keys["admin"]}
	website := []string{"X-API-Key", e.keys["website"]}
	for _, tc := range []struct {
		name, method, target string
		headers              []string
		status               int
	}{
		{"drop-in list", "GET", "/v1/public/inventory", website, 200},
		{"drop-in stats", "GET", "/v1/public/inventory/stats", website, 200},
		{"drop-in 404", "GET", "/v1/public/inventory/NOSUCHVIN0000", website, 404},
		{"drop-in 401", "GET", "/v1/public/inventory", nil, 401},
		{"drop-in 400", "GET", "/v1/public/inventory?limit=0", website, 400},
		{"unknown route", "GET", "/nope", nil, 404},
		{"wrong method", "DELETE", "/healthz", nil, 405},
		{"admin status", "GET", "/admin/tenants/sunset", admin, 200},
		{"admin refresh", "POST", "/admin/tenants/sunset/refresh", admin, 200},
		{"webhook refused", "POST", "/webhooks/sunset", nil, 401},
		{"healthz", "GET", "/healthz", nil, 200},
		{"readyz", "GET", "/readyz", nil, 200},
	} {
		got := e.gw(tc.method, tc.target, nil, tc.headers...)
		if got.status != tc.status || got.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d, X-Content-Type-Options %q", tc.name, got.status, got.header.Get("X-Content-Type-Options"))
		}
	}
}
