package gateway_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/syncbuf"
	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestInventoryAPIAnswersLikeUpstream walks every list page for a table of queries through the
// gateway and the simulator and wants the same status and bytes; then the same for details,
// descriptions, stats and both feed formats.
func TestInventoryAPIAnswersLikeUpstream(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{})
	key := e.keys["website"]
	queries := []string{
		"", "limit=7", "limit=100", "make=honda", "make=HON&condition=new", "model=civ",
		"year=2024", "condition=USED&limit=13", "make=toyota&model=a&year=2025", "make=nosuchmake",
	}
	for _, q := range queries {
		t.Run("list?"+q, func(t *testing.T) {
			cursor, pages := "", 0
			seen := map[string]bool{}
			for {
				target := "/v1/public/inventory?" + q
				if cursor != "" {
					target += "&cursor=" + url.QueryEscape(cursor)
				}
				got := e.gw(http.MethodGet, target, nil, "X-API-Key", key)
				want := e.upstream(http.MethodGet, target, nil, "hzk_sim_read")
				if got.status != want.status || string(got.body) != string(want.body) {
					t.Fatalf("%s: gateway %d %s\nupstream %d %s", target, got.status, got.body, want.status, want.body)
				}
				var page inventory.ListResponse
				if err := json.Unmarshal(got.body, &page); err != nil {
					t.Fatal(err)
				}
				for _, it := range page.Data {
					if seen[it.VIN] {
						t.Fatalf("VIN %s seen twice", it.VIN)
					}
					seen[it.VIN] = true
				}
				pages++
				if !page.Pagination.HasMore {
					if len(seen) != page.Pagination.TotalCount {
						t.Fatalf("walk saw %d VINs, total_count %d", len(seen), page.Pagination.TotalCount)
					}
					break
				}
				cursor = *page.Pagination.NextCursor
			}
		})
	}

	var described, undescribed string
	for _, v := range e.sim.Vehicles("") {
		if v.AIDescription == "" && undescribed == "" {
			undescribed = v.VIN
		}
		if v.AIDescription != "" && described == "" {
			described = v.VIN
		}
	}
	for _, target := range []string{
		"/v1/public/inventory/stats",
		"/v1/public/inventory/feed", "/v1/public/inventory/feed?format=json", "/v1/public/inventory/feed?format=XML",
		"/v1/public/inventory/" + described, "/v1/public/inventory/" + strings.ToLower(described),
		"/v1/public/inventory/" + described + "/description",
		"/v1/public/inventory/" + undescribed + "/description",
		"/v1/public/inventory/1HGBH41JXMN109186",
	} {
		t.Run(target, func(t *testing.T) {
			got := e.gw(http.MethodGet, target, nil, "Authorization", "Bearer "+key)
			want := e.upstream(http.MethodGet, target, nil, "hzk_sim_read")
			if strings.HasSuffix(target, "/description") {
				// The details endpoint a sync reads has no generated_at; the cache stands in
				// updated_at for it (docs/inventory-api.md).
				got.body, want.body = generatedAt.ReplaceAll(got.body, nil), generatedAt.ReplaceAll(want.body, nil)
			}
			if got.status != want.status || string(got.body) != string(want.body) {
				t.Fatalf("gateway %d %s\nupstream %d %s", got.status, got.body, want.status, want.body)
			}
			if g, w := got.header.Get("Content-Type"), want.header.Get("Content-Type"); g != w {
				t.Errorf("Content-Type %q, upstream %q", g, w)
			}
		})
	}
	if !strings.Contains(string(e.gw(http.MethodGet, "/v1/public/inventory/"+undescribed+"/description", nil, "X-API-Key", key).body), `"status":"not_generated"`) {
		t.Error("an undescribed vehicle is not not_generated")
	}
}

var generatedAt = regexp.MustCompile(`"generated_at":"[^"]*"`)

// TestInventoryAPIErrors wants every bad request refused with the upstream's status and body.
func TestInventoryAPIErrors(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{})
	sameAsUpstream := []string{
		"/v1/public/inventory?limit=0", "/v1/public/inventory?limit=101", "/v1/public/inventory?limit=ten",
		"/v1/public/inventory?year=abc", "/v1/public/inventory?condition=old",
		"/v1/public/inventory?cursor=%21%21notbase64", "/v1/public/inventory?cursor=" + url.QueryEscape("eyJ4IjoxfQ=="),
		"/v1/public/inventory/feed?format=csv", "/v1/public/inventory/NOTAVIN0000", "/v1/public/inventory/NOTAVIN0000/description",
		"/v1/public/inventory/%20",
	}
	for _, target := range sameAsUpstream {
		t.Run(target, func(t *testing.T) {
			got := e.gw(http.MethodGet, target, nil, "X-API-Key", e.keys["website"])
			want := e.upstream(http.MethodGet, target, nil, "hzk_sim_read")
			if got.status != want.status || string(got.body) != string(want.body) || got.status < 400 {
				t.Fatalf("gateway %d %s\nupstream %d %s", got.status, got.body, want.status, want.body)
			}
		})
	}

	vin := e.sim.Vehicles("")[0].VIN
	tests := []struct {
		name    string
		target  string
		headers []string
		status  int
		code    string
		scopes  []any
	}{
		{"no key", "/v1/public/inventory", nil, 401, "unauthorized", nil},
		{"unknown key", "/v1/public/inventory", []string{"X-API-Key", "fgk_nope"}, 401, "unauthorized", nil},
		{"key in query is not taken", "/v1/public/inventory?key=" + e.keys["website"], nil, 401, "unauthorized", nil},
		{"feed scope only", "/v1/public/inventory", []string{"X-API-Key", e.keys["reader"]}, 403, "forbidden", []any{"inventory:read"}},
		{"feed key", "/v1/public/inventory/stats", []string{"X-API-Key", e.keys["google"]}, 403, "forbidden", []any{"inventory:read"}},
		{"admin key has no tenant", "/v1/public/inventory", []string{"X-API-Key", e.keys["admin"]}, 403, "forbidden", []any{"inventory:read"}},
		{"other tenant cannot see the VIN", "/v1/public/inventory/" + vin, []string{"X-API-Key", e.keys["other"]}, 404, "not_found", nil},
		{"validation before anything else", "/v1/public/inventory?limit=0", []string{"X-API-Key", e.keys["website"]}, 400, "validation_error", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.gw(http.MethodGet, tc.target, nil, tc.headers...)
			var body inventory.ErrorBody
			if err := json.Unmarshal(got.body, &body); err != nil || got.status != tc.status || body.Error.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s", got.status, got.body, tc.status, tc.code)
			}
			if tc.scopes != nil {
				if s, _ := body.Error.Details["required_scopes"].([]any); len(s) != 1 || s[0] != tc.scopes[0] {
					t.Errorf("required_scopes %v", body.Error.Details["required_scopes"])
				}
			}
		})
	}

	// The other tenant's key reaches its own (empty) inventory, never this one.
	got := e.gw(http.MethodGet, "/v1/public/inventory", nil, "X-API-Key", e.keys["other"])
	want := e.upstream(http.MethodGet, "/v1/public/inventory", nil, "hzk_sim_other")
	if string(got.body) != string(want.body) {
		t.Fatalf("other tenant: %s, upstream %s", got.body, want.body)
	}
}

// TestInventoryAPICORS allows a tenant's own origins, preflight included, and nothing else.
func TestInventoryAPICORS(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 5})
	tests := []struct {
		name, method, origin, key string
		wantAllow                 string
	}{
		{"preflight from a tenant's origin", http.MethodOptions, "https://www.sunset.example", "", "https://www.sunset.example"},
		{"preflight from a stranger", http.MethodOptions, "https://evil.example", "", ""},
		{"request from the key's tenant's origin", http.MethodGet, "https://www.sunset.example", e.keys["website"], "https://www.sunset.example"},
		{"request from another tenant's origin", http.MethodGet, "https://other.example", e.keys["website"], ""},
		{"request from a stranger", http.MethodGet, "https://evil.example", e.keys["website"], ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			headers := []string{"Origin", tc.origin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-api-key"}
			if tc.key != "" {
				headers = append(headers, "X-API-Key", tc.key)
			}
			got := e.gw(tc.method, "/v1/public/inventory/stats", nil, headers...)
			if a := got.header.Get("Access-Control-Allow-Origin"); a != tc.wantAllow {
				t.Fatalf("Allow-Origin %q, want %q (status %d)", a, tc.wantAllow, got.status)
			}
			if tc.method == http.MethodOptions {
				if got.status != http.StatusNoContent {
					t.Errorf("preflight status %d", got.status)
				}
				if tc.wantAllow != "" && !strings.Contains(got.header.Get("Access-Control-Allow-Headers"), "X-API-Key") {
					t.Errorf("Allow-Headers %q", got.header.Get("Access-Control-Allow-Headers"))
				}
			} else if got.status != http.StatusOK {
				t.Errorf("status %d", got.status)
			}
			if got.header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials must not be allowed")
			}
		})
	}
}

// TestDropinAnswersFromStoredBytes wants list pages, details, descriptions and stats served like
// feeds: the same bytes as rendered, a strong ETag, 304 on If-None-Match (either encoding's tag),
// gzip when asked; one stored page for every spelling of a query; and a new snapshot making the
// old answers unreachable.
func TestDropinAnswersFromStoredBytes(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 40})
	key := []string{"X-API-Key", e.keys["website"]}
	vin := e.sim.Vehicles("")[0].VIN
	targets := []string{"/v1/public/inventory?limit=5", "/v1/public/inventory/" + vin,
		"/v1/public/inventory/" + vin + "/description", "/v1/public/inventory/stats"}
	etags := map[string]string{}
	for _, target := range targets {
		first := e.gw(http.MethodGet, target, nil, key...)
		etag := first.header.Get("ETag")
		if first.status != 200 || !strings.HasPrefix(etag, `"`) || first.header.Get("Content-Encoding") != "" {
			t.Fatalf("%s: %d, ETag %q, %s", target, first.status, etag, first.body)
		}
		etags[target] = etag
		again := e.gw(http.MethodGet, target, nil, key...)
		if string(again.body) != string(first.body) || again.header.Get("ETag") != etag || again.header.Get("Cache-Status") != "feedgate; hit" {
			t.Errorf("%s again: ETag %q, Cache-Status %q", target, again.header.Get("ETag"), again.header.Get("Cache-Status"))
		}
		gz := e.gw(http.MethodGet, target, nil, append(key, "Accept-Encoding", "gzip")...)
		if gz.header.Get("Content-Encoding") != "gzip" || gz.header.Get("ETag") == etag || gunzip(t, gz.body) != string(first.body) {
			t.Errorf("%s gzip: Content-Encoding %q, ETag %q", target, gz.header.Get("Content-Encoding"), gz.header.Get("ETag"))
		}
		for _, tag := range []string{etag, gz.header.Get("ETag")} {
			if nm := e.gw(http.MethodGet, target, nil, append(key, "If-None-Match", tag)...); nm.status != 304 || len(nm.body) != 0 {
				t.Errorf("%s If-None-Match %s: %d", target, tag, nm.status)
			}
		}
	}
	// Another spelling of the same page is the same stored page.
	if got := e.gw(http.MethodGet, "/v1/public/inventory?make=&limit=%35", nil, append(key, "If-None-Match", etags[targets[0]])...); got.status != 304 {
		t.Errorf("the same query spelt otherwise: %d", got.status)
	}

	e.sim.SetInventorySize("", 39)
	if got := e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, "X-API-Key", e.keys["admin"]); got.status != 200 {
		t.Fatalf("refresh: %d %s", got.status, got.body)
	}
	for _, target := range []string{targets[0], targets[3]} {
		got := e.gw(http.MethodGet, target, nil, append(key, "If-None-Match", etags[target])...)
		if got.status != 200 || got.header.Get("ETag") == etags[target] {
			t.Errorf("%s after a new snapshot: %d, ETag %q (was %q)", target, got.status, got.header.Get("ETag"), etags[target])
		}
	}
}

// TestDropinListQueryNormalised wants every spelling of a list query (order, escapes, defaults,
// empty and unknown pairs, a repeated parameter whose first value counts) served from the one
// stored page, another query rendered anew, and a malformed query string still refused.
func TestDropinListQueryNormalised(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 40})
	key := []string{"X-API-Key", e.keys["website"]}
	base := e.gw(http.MethodGet, "/v1/public/inventory?limit=25&make=Land+Rover", nil, key...)
	if base.status != 200 || base.header.Get("ETag") == "" {
		t.Fatalf("base: %d %s", base.status, base.body)
	}
	renders := e.cache.Counters().Renders
	for _, q := range []string{
		"make=Land+Rover&limit=25", "make=Land%20Rover&limit=25", "%6Dake=Land%20Rover&l%69mit=2%35",
		"&&limit=25&&make=Land+Rover&", "limit=25&make=Land+Rover&cursor=&year=&condition=&model=",
		"limit=25&make=Land+Rover&foo=bar&key", "limit=25&make=Land+Rover&make=Honda&limit=7",
		"make=Land+Rover",
	} {
		got := e.gw(http.MethodGet, "/v1/public/inventory?"+q, nil, key...)
		if got.status != 200 || got.header.Get("Cache-Status") != "feedgate; hit" || got.header.Get("ETag") != base.header.Get("ETag") ||
			string(got.body) != string(base.body) {
			t.Errorf("?%s: %d, Cache-Status %q, ETag %q (want %q)", q, got.status, got.header.Get("Cache-Status"),
				got.header.Get("ETag"), base.header.Get("ETag"))
		}
		nm := e.gw(http.MethodGet, "/v1/public/inventory?"+q, nil, append(key, "If-None-Match", base.header.Get("ETag"))...)
		if nm.status != http.StatusNotModified {
			t.Errorf("?%s If-None-Match: %d", q, nm.status)
		}
	}
	if n := e.cache.Counters().Renders; n != renders {
		t.Errorf("the spellings of one query rendered %d more pages", n-renders)
	}
	for _, q := range []string{"limit=24&make=Land+Rover", "limit=25&make=Land", "limit=25&make=land+rover", "limit=25"} {
		if got := e.gw(http.MethodGet, "/v1/public/inventory?"+q, nil, key...); got.status != 200 || got.header.Get("Cache-Status") == "feedgate; hit" {
			t.Errorf("?%s: another query, but %d, Cache-Status %q", q, got.status, got.header.Get("Cache-Status"))
		}
	}
	for _, tc := range []struct{ q, param string }{
		{"limit=25&make=Land+Rover&cursor=%%%garbage", "cursor"}, {"limit=25;make=Land+Rover", "limit"},
		{"make=Land%zzRover&limit=25", "make"}, {"limit=25&foo=%zz", "query"}, {"limit=25&make=Land+Rover&year=20x4", "year"},
		{"limit=25&make=Land+Rover&condition=old", "condition"}, {"limit=2%35%30&make=Land+Rover", "limit"},
	} {
		got := e.gw(http.MethodGet, "/v1/public/inventory?"+tc.q, nil, key...)
		var body inventory.ErrorBody
		if err := json.Unmarshal(got.body, &body); err != nil || got.status != 400 || body.Error.Code != "validation_error" ||
			body.Error.Details["parameter"] != tc.param {
			t.Errorf("?%s: %d %s, want 400 validation_error on %s", tc.q, got.status, got.body, tc.param)
		}
	}
}

// outputOnly is a Store that offers no CachedOutput.
type outputOnly struct{ gateway.Store }

// TestDropinWithoutCachedLookup wants a Store without CachedOutput served through Output alone:
// rendered once, then hits with the same bytes, ETag, 304 and gzip.
func TestDropinWithoutCachedLookup(t *testing.T) {
	e := newDropinEnvWith(t, hriznsim.Options{Vehicles: 20}, dropinEnvOptions{store: func(s gateway.Store) gateway.Store {
		if _, ok := s.(gateway.CachedOutputStore); !ok {
			t.Fatal("the bridge's Store has no CachedOutput")
		}
		return outputOnly{s}
	}})
	key := []string{"X-API-Key", e.keys["website"]}
	vin := e.sim.Vehicles("")[0].VIN
	for _, target := range []string{"/v1/public/inventory?limit=5", "/v1/public/inventory/" + vin, "/v1/public/inventory/stats"} {
		first := e.gw(http.MethodGet, target, nil, key...)
		again := e.gw(http.MethodGet, target, nil, key...)
		if first.status != 200 || again.status != 200 || first.header.Get("Cache-Status") != "feedgate; fwd=miss; stored" ||
			again.header.Get("Cache-Status") != "feedgate; hit" || string(again.body) != string(first.body) ||
			again.header.Get("ETag") == "" || again.header.Get("ETag") != first.header.Get("ETag") {
			t.Fatalf("%s: %d %q, then %d %q", target, first.status, first.header.Get("Cache-Status"), again.status, again.header.Get("Cache-Status"))
		}
		gz := e.gw(http.MethodGet, target, nil, append(key, "Accept-Encoding", "gzip")...)
		if gz.header.Get("Content-Encoding") != "gzip" || gunzip(t, gz.body) != string(first.body) {
			t.Errorf("%s gzip: Content-Encoding %q", target, gz.header.Get("Content-Encoding"))
		}
		if nm := e.gw(http.MethodGet, target, nil, append(key, "If-None-Match", first.header.Get("ETag"))...); nm.status != 304 {
			t.Errorf("%s If-None-Match: %d", target, nm.status)
		}
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// BenchmarkDropinRead measures cached drop-in reads, gzip asked, next to BenchmarkFeedHit: list
// pages of 25 and 100 vehicles, a details page and stats, each served from its stored bytes.
// The cache and the gateway read a test clock, as in BenchmarkFeedHit's environment, so the two
// compare the same work (a real clock read costs each the same in production).
func BenchmarkDropinRead(b *testing.B) {
	clk := testclock.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	e := newDropinEnvWith(b, hriznsim.Options{}, dropinEnvOptions{perMinute: 1 << 30, now: clk.Now})
	vin := e.sim.Vehicles("")[0].VIN
	for _, bc := range []struct{ name, target string }{
		{"list=25", "/v1/public/inventory?limit=25"}, {"list=100", "/v1/public/inventory?limit=100"},
		{"details", "/v1/public/inventory/" + vin}, {"stats", "/v1/public/inventory/stats"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bc.target, nil)
			req.Header.Set("X-API-Key", e.keys["website"])
			req.Header.Set("Accept-Encoding", "gzip")
			if got := e.gw(http.MethodGet, bc.target, nil, "X-API-Key", e.keys["website"]); got.status != 200 {
				b.Fatalf("%s: %d %s", bc.target, got.status, got.body)
			}
			if h := benchServe(b, e.srv, req); h.Get("Content-Encoding") != "gzip" || h.Get("ETag") == "" {
				b.Fatalf("the last answer was not the stored gzip bytes: %v", h)
			}
		})
	}
}

// TestDropinAccessLineCarriesCacheStatus: a drop-in read's access line names the Cache-Status it
// answered with, the render's and then the stored answer's, as a feed's does.
func TestDropinAccessLineCarriesCacheStatus(t *testing.T) {
	logs := &syncbuf.Buffer{}
	e := newDropinEnvWith(t, hriznsim.Options{}, dropinEnvOptions{logs: logs})
	var statuses []string
	for range 2 {
		a := e.gw("GET", "/v1/public/inventory?limit=5", nil, "X-API-Key", e.keys["website"])
		if a.status != 200 {
			t.Fatalf("list: %d %s", a.status, a.body)
		}
		statuses = append(statuses, a.header.Get("Cache-Status"))
	}
	if statuses[1] != "feedgate; hit" {
		t.Fatalf("second read's Cache-Status %q, want a hit", statuses[1])
	}
	for _, cs := range statuses {
		if want := `"route":"/v1/public/inventory","status":200,`; !strings.Contains(logs.String(), want) ||
			!strings.Contains(logs.String(), `"cache_status":"`+cs+`"`) {
			t.Errorf("no access line with cache_status %q:\n%s", cs, logs.String())
		}
	}
}

// TestDropinErrorAccessLineCarriesCacheStatus: an error answered after the snapshot (a VIN the
// inventory lacks) carries the snapshot's Cache-Status, and its access line names it too.
func TestDropinErrorAccessLineCarriesCacheStatus(t *testing.T) {
	logs := &syncbuf.Buffer{}
	e := newDropinEnvWith(t, hriznsim.Options{}, dropinEnvOptions{logs: logs})
	a := e.gw("GET", "/v1/public/inventory/ZZZZZZZZZZZZZZZZZ", nil, "X-API-Key", e.keys["website"])
	cs := a.header.Get("Cache-Status")
	if a.status != 404 || cs == "" {
		t.Fatalf("missing VIN: %d, Cache-Status %q: %s", a.status, cs, a.body)
	}
	if !strings.Contains(logs.String(), `"status":404,`) || !strings.Contains(logs.String(), `"cache_status":"`+cs+`"`) {
		t.Errorf("no 404 access line with cache_status %q:\n%s", cs, logs.String())
	}
}
