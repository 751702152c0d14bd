package gateway_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

type tenantView struct {
	Data struct {
		Tenant   string
		Snapshot struct {
			Present    bool
			Vehicles   int
			AgeSeconds int64 `json:"age_seconds"`
		}
		LastSync *struct {
			OK            bool
			DurationMS    float64        `json:"duration_ms"`
			UpstreamCalls map[string]int `json:"upstream_calls"`
		} `json:"last_sync"`
		HeldBack *struct{ Vehicles int } `json:"held_back"`
		Feeds    []struct {
			Name               string
			Included, Excluded int
			Reasons            map[string]int `json:"excluded_by_reason"`
		}
	}
}

// TestAdminTenantStatus: status before and after a refresh, with per-feed counts and reasons.
func TestAdminTenantStatus(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{})
	admin := []string{"X-API-Key", e.keys["admin"]}
	var v tenantView
	got := e.gw(http.MethodGet, "/admin/tenants/sunset", nil, admin...)
	if err := json.Unmarshal(got.body, &v); err != nil || got.status != 200 || v.Data.Snapshot.Present || v.Data.LastSync != nil {
		t.Fatalf("cold: %d %s", got.status, got.body)
	}
	got = e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	v = tenantView{}
	if err := json.Unmarshal(got.body, &v); err != nil || got.status != 200 {
		t.Fatalf("refresh: %d %s", got.status, got.body)
	}
	d := v.Data
	if !d.Snapshot.Present || d.Snapshot.Vehicles != 150 || d.LastSync == nil || !d.LastSync.OK ||
		d.LastSync.UpstreamCalls["list"] != 2 || d.LastSync.UpstreamCalls["details"] != 150 || d.HeldBack != nil {
		t.Fatalf("after refresh: %s", got.body)
	}
	if len(d.Feeds) != 2 || d.Feeds[1].Name != "google" || d.Feeds[1].Included == 0 ||
		d.Feeds[1].Reasons["missing_price"] != 2 || d.Feeds[1].Included+d.Feeds[1].Excluded > 150 {
		t.Fatalf("feeds: %+v", d.Feeds)
	}

	tests := []struct {
		name, method, target string
		headers              []string
		status               int
		code                 string
	}{
		{"accept with nothing held", http.MethodPost, "/admin/tenants/sunset/accept", admin, 404, "not_found"},
		{"unknown tenant", http.MethodGet, "/admin/tenants/nobody", admin, 404, "not_found"},
		{"tenant key", http.MethodGet, "/admin/tenants/sunset", []string{"X-API-Key", e.keys["crm"]}, 403, "forbidden"},
		{"no key", http.MethodGet, "/admin/tenants/sunset", nil, 401, "unauthorized"},
		{"page without key", http.MethodGet, "/admin/", nil, 401, "unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.gw(tc.method, tc.target, nil, tc.headers...)
			if got.status != tc.status || !strings.Contains(string(got.body), `"code":"`+tc.code+`"`) {
				t.Fatalf("got %d %s", got.status, got.body)
			}
			if tc.status == 401 && got.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if m := e.metric(); !strings.Contains(m, `feedgate_admin_actions_total{action="refresh",result="ok"} 1`) {
		t.Error("refresh not counted")
	}
}

// TestAdminAcceptsHeldBackSnapshot shrinks the upstream inventory below the guard and promotes
// the held-back snapshot.
func TestAdminAcceptsHeldBackSnapshot(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 40})
	admin := []string{"X-API-Key", e.keys["admin"]}
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	e.sim.SetInventorySize("", 10)
	var v tenantView
	got := e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	if err := json.Unmarshal(got.body, &v); err != nil || v.Data.HeldBack == nil || v.Data.HeldBack.Vehicles != 10 || v.Data.Snapshot.Vehicles != 40 {
		t.Fatalf("held: %s", got.body)
	}
	v = tenantView{}
	got = e.gw(http.MethodPost, "/admin/tenants/sunset/accept", nil, admin...)
	if err := json.Unmarshal(got.body, &v); err != nil || got.status != 200 || v.Data.HeldBack != nil || v.Data.Snapshot.Vehicles != 10 {
		t.Fatalf("accepted: %d %s", got.status, got.body)
	}
}

// TestAdminPageNamesEveryTenantAndFeed renders the page with Basic auth.
func TestAdminPageNamesEveryTenantAndFeed(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 30})
	admin := []string{"X-API-Key", e.keys["admin"]}
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	req := "Basic " + basic("ops", e.keys["admin"])
	got := e.gw(http.MethodGet, "/admin/", nil, "Authorization", req)
	page := string(got.body)
	if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %.200s", got.status, page)
	}
	for _, want := range []string{"Sunset Honda", "Other Motors", `data-feed="google"`, `data-feed="export"`, "<polyline", "missing_price"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// One inline script (the buttons'), allowed by its hash and nothing else.
	if n := strings.Count(page, "<script"); n != 1 {
		t.Fatalf("%d scripts on the page, want the buttons' one", n)
	}
	_, rest, _ := strings.Cut(page, "<script>")
	script, _, _ := strings.Cut(rest, "</script>")
	sum := sha256.Sum256([]byte(script))
	csp := got.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
		!strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q does not allow exactly the page's script", csp)
	}
	if got.header.Get("X-Content-Type-Options") != "nosniff" || got.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("page headers %v lack nosniff or DENY", got.header)
	}
	if !strings.Contains(script, `"X-Feedgate-Admin": "1"`) || !strings.Contains(page, `data-action="/admin/tenants/sunset/refresh"`) {
		t.Error("the Refresh button or its header is missing")
	}
}

func basic(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// TestAdminRefusesCrossSiteRequests: a browser holding the admin key as Basic credentials
// attaches them to a form post from any site. Every forged variant is refused with 403 and
// changes nothing; the same request from the gateway's own page goes through.
func TestAdminRefusesCrossSiteRequests(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 40})
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, "X-API-Key", e.keys["admin"])
	e.sim.SetInventorySize("", 5)
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, "X-API-Key", e.keys["admin"])
	basicAuth := []string{"Authorization", "Basic " + basic("ops", e.keys["admin"])}
	form := append([]string{"Content-Type", "application/x-www-form-urlencoded"}, basicAuth...)
	calls := e.sim.Stats().Total
	for _, tc := range []struct {
		name    string
		headers []string
		reason  string
	}{
		{"form from another site", append([]string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, form...), "cross_site"},
		{"another origin, no fetch metadata", append([]string{"Origin", "https://evil.example"}, form...), "cross_site"},
		{"a sibling subdomain", append([]string{"Sec-Fetch-Site", "same-site"}, form...), "cross_site"},
		{"opaque origin", append([]string{"Origin", "null"}, form...), "cross_site"},
		{"custom header from another site", append([]string{"Origin", "https://evil.example", "X-Feedgate-Admin", "1"}, basicAuth...), "cross_site"},
		{"an old browser's form: no origin at all", form, "simple_request"},
		{"text/plain", append([]string{"Content-Type", "text/plain"}, basicAuth...), "simple_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, action := range []string{"accept", "refresh"} {
				got := e.gw(http.MethodPost, "/admin/tenants/sunset/"+action, []byte("x=1"), tc.headers...)
				var body struct {
					Error struct {
						Code    string
						Details map[string]string
					}
				}
				if err := json.Unmarshal(got.body, &body); err != nil || got.status != 403 || body.Error.Code != "forbidden" ||
					body.Error.Details["reason"] != tc.reason {
					t.Fatalf("%s: %d %s", action, got.status, got.body)
				}
			}
		})
	}
	var v tenantView
	got := e.gw(http.MethodGet, "/admin/tenants/sunset", nil, basicAuth...)
	if err := json.Unmarshal(got.body, &v); err != nil || v.Data.HeldBack == nil || v.Data.Snapshot.Vehicles != 40 {
		t.Fatalf("a refused request changed the state: %s", got.body)
	}
	if n := e.sim.Stats().Total; n != calls {
		t.Errorf("refused requests made %d upstream calls", n-calls)
	}
	if m := e.metric(); strings.Contains(m, `feedgate_admin_actions_total{action="accept"`) {
		t.Error("a refused accept was counted as an action")
	}

	// The admin page's own button: same origin, the custom header, cached Basic credentials.
	own := append([]string{"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin", "X-Feedgate-Admin", "1"}, basicAuth...)
	v = tenantView{}
	got = e.gw(http.MethodPost, "/admin/tenants/sunset/accept", nil, own...)
	if err := json.Unmarshal(got.body, &v); err != nil || got.status != 200 || v.Data.HeldBack != nil || v.Data.Snapshot.Vehicles != 5 {
		t.Fatalf("the page's own accept: %d %s", got.status, got.body)
	}
	// A script or curl with a JSON body and no browser headers.
	got = e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", []byte("{}"), append([]string{"Content-Type", "application/json"}, basicAuth...)...)
	if got.status != 200 {
		t.Fatalf("JSON refresh: %d %s", got.status, got.body)
	}
}

// TestAdminFeedDiagnostics: the diagnostics route lists every VIN the channel excluded with its
// own reason and detail, agreeing with the status's counts; the status says when each feed and
// each of its keys last fetched, and the tenant's last successful sync.
func TestAdminFeedDiagnostics(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{})
	admin := []string{"X-API-Key", e.keys["admin"]}
	if got := e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...); got.status != 200 {
		t.Fatalf("refresh: %d %s", got.status, got.body)
	}
	if got := e.gw(http.MethodGet, "/feeds/sunset/google", nil, "X-API-Key", e.keys["google"]); got.status != 200 {
		t.Fatalf("feed: %d", got.status)
	}
	var diag struct {
		Data struct {
			Tenant, Feed, Format string
			Included             int
			Excluded             []struct{ VIN, Reason, Detail string }
			Warnings             []struct{ VIN, Field, Message string }
			HeldBack             *struct{ Reason string } `json:"held_back"`
		}
	}
	got := e.gw(http.MethodGet, "/admin/tenants/sunset/feeds/google/diagnostics", nil, admin...)
	if err := json.Unmarshal(got.body, &diag); err != nil || got.status != 200 {
		t.Fatalf("diagnostics: %d %s", got.status, got.body)
	}
	d := diag.Data
	if d.Tenant != "sunset" || d.Feed != "google" || d.Format != "google-vehicle-ads" || d.HeldBack != nil || d.Warnings == nil {
		t.Fatalf("diagnostics: %s", got.body)
	}
	missing := 0
	for _, x := range d.Excluded {
		if len(x.VIN) != 17 || x.Reason == "" {
			t.Errorf("exclusion without VIN or reason: %+v", x)
		}
		if x.Reason == "missing_price" {
			missing++
		}
	}
	if missing != 2 || d.Included+len(d.Excluded) > 150 {
		t.Fatalf("%d included, %d excluded (%d missing_price)", d.Included, len(d.Excluded), missing)
	}

	var st struct {
		Data struct {
			Snapshot struct {
				LastSuccess *time.Time `json:"last_success"`
			}
			Keys  []struct{ Name string }
			Feeds []struct {
				Name        string
				Included    int
				Excluded    int
				LastFetch   *time.Time `json:"last_fetch"`
				Diagnostics string
				Keys        []struct {
					Name      string
					LastFetch *time.Time `json:"last_fetch"`
				}
			}
		}
	}
	got = e.gw(http.MethodGet, "/admin/tenants/sunset", nil, admin...)
	if err := json.Unmarshal(got.body, &st); err != nil || st.Data.Snapshot.LastSuccess == nil || len(st.Data.Keys) != 1 || st.Data.Keys[0].Name != "reader" {
		t.Fatalf("status: %s", got.body)
	}
	feeds := st.Data.Feeds
	if len(feeds) != 2 || feeds[0].Name != "export" || feeds[1].Name != "google" {
		t.Fatalf("feeds: %+v", feeds)
	}
	if feeds[0].LastFetch != nil || len(feeds[0].Keys) != 1 || feeds[0].Keys[0].LastFetch != nil {
		t.Errorf("the export feed was never fetched: %+v", feeds[0])
	}
	g := feeds[1]
	if g.LastFetch == nil || len(g.Keys) != 1 || g.Keys[0].Name != "merchant" || g.Keys[0].LastFetch == nil ||
		g.Included != d.Included || g.Excluded != len(d.Excluded) || g.Diagnostics != "/admin/tenants/sunset/feeds/google/diagnostics" {
		t.Errorf("google: %+v", g)
	}

	for _, target := range []string{"/admin/tenants/sunset/feeds/nope/diagnostics", "/admin/tenants/nobody/feeds/google/diagnostics"} {
		if got := e.gw(http.MethodGet, target, nil, admin...); got.status != 404 {
			t.Errorf("%s: %d", target, got.status)
		}
	}
	if got := e.gw(http.MethodGet, "/admin/tenants/sunset/feeds/google/diagnostics", nil, "X-API-Key", e.keys["google"]); got.status != 403 {
		t.Errorf("a feed key read the diagnostics: %d", got.status)
	}
}

// TestAdminRefreshFailureSaysWhy: a refresh that fails answers with what the sync failed with,
// not a bare "unavailable".
func TestAdminRefreshFailureSaysWhy(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 5})
	e.sim.SetFaults(hriznsim.Faults{ErrorRate: 1, ErrorStatus: http.StatusBadGateway})
	got := e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, "X-API-Key", e.keys["admin"])
	var body struct {
		Error struct {
			Code    string
			Message string
			Details map[string]any
		}
	}
	if err := json.Unmarshal(got.body, &body); err != nil || got.status != 503 {
		t.Fatalf("refresh: %d %s", got.status, got.body)
	}
	cause, _ := body.Error.Details["cause"].(string)
	if !strings.Contains(body.Error.Message, "The last sync failed: ") || !strings.Contains(cause, "502") ||
		strings.Contains(string(got.body), "hzk_sim_rw") {
		t.Fatalf("refresh failure: %s", got.body)
	}
}

// TestAdminRefreshDoesNotHang: a sync that takes longer than the admin's wait is not waited for:
// 202 with the status link at once, and the sync finishes in the background (before, the request
// hung for as long as the sync took, up to its 5-minute timeout).
func TestAdminRefreshDoesNotHang(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 5})
	e.sim.SetFaults(hriznsim.Faults{LatencyMS: 4000, Endpoints: []string{"list"}})
	got := e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, "X-API-Key", e.keys["admin"])
	var body struct {
		Data struct{ Status string } `json:"data"`
	}
	if err := json.Unmarshal(got.body, &body); err != nil || got.status != http.StatusAccepted || body.Data.Status != "refreshing" {
		t.Fatalf("slow refresh: %d %s", got.status, got.body)
	}
	if !strings.Contains(string(got.body), `"status_url":"/admin/tenants/sunset"`) {
		t.Errorf("no status link: %s", got.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.admin.TenantStatus("sunset").LastSync.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("the background sync never finished")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAdminPageAtAGlance: the page says whether Redis is used, what the last sync fetched in
// plain words, marks a failed sync on both charts, links each feed's left-out count to its
// diagnostics and shows when each feed and key last fetched.
func TestAdminPageAtAGlance(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 20})
	admin := []string{"X-API-Key", e.keys["admin"]}
	page := func() string {
		got := e.gw(http.MethodGet, "/admin/", nil, admin...)
		if got.status != 200 {
			t.Fatalf("page: %d %s", got.status, got.body)
		}
		return string(got.body)
	}
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	if p := page(); strings.Contains(p, `class="fail"`) || !strings.Contains(p, "20 vehicle pages, 1 list page fetched") ||
		strings.Contains(p, "details 20") {
		t.Fatalf("after one good sync the page reads:\n%s", p)
	}
	e.sim.SetFaults(hriznsim.Faults{ErrorRate: 1, ErrorStatus: http.StatusBadGateway})
	if got := e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...); got.status == 200 {
		t.Fatalf("refresh with a failing upstream: %d", got.status)
	}
	e.sim.SetFaults(hriznsim.Faults{})
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	e.gw(http.MethodGet, "/feeds/sunset/export", nil, "X-API-Key", e.keys["export"])

	p := page()
	_, sunset, _ := strings.Cut(p, `id="tenant-sunset"`)
	sunset, _, _ = strings.Cut(sunset, "</section>")
	for _, want := range []string{
		`id="redis">no Redis`,
		`<a href="/admin/tenants/sunset/feeds/google/diagnostics"`,
		`title="missing_price">no price: `,
		"key office: ",
		"key merchant: never",
		"no change log: it needs Redis or a local store",
		"next sync</div>",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// One failed sync among three: marked once on each chart.
	if n := strings.Count(sunset, `class="fail"`); n != 2 {
		t.Errorf("%d failed-sync marks on sunset's charts, want 2", n)
	}
	if !strings.Contains(sunset, "red: 1 failed") {
		t.Error("the vehicle chart's caption does not count the failed sync")
	}
	if strings.Contains(sunset, "key office: never") || !strings.Contains(sunset, "Tenant keys (any feed): reader never fetched a feed</p>") {
		t.Errorf("fetch times: the office key fetched the export feed, and the tenant keys are listed:\n%s", sunset)
	}
}

// TestAdminShowsAHeldBackFeed: a configuration that drops the Google feed's store code would
// render it empty; the render is held back, the previous output keeps serving, and the status,
// the diagnostics and the page say why.
func TestAdminShowsAHeldBackFeed(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 20})
	admin := []string{"X-API-Key", e.keys["admin"]}
	e.gw(http.MethodPost, "/admin/tenants/sunset/refresh", nil, admin...)
	if got := e.gw(http.MethodGet, "/feeds/sunset/google", nil, "X-API-Key", e.keys["google"]); got.status != 200 {
		t.Fatalf("feed: %d", got.status)
	}
	formats, err := transform.NewRegistry(transform.Builtins()...)
	if err != nil {
		t.Fatal(err)
	}
	noStore := strings.Replace(e.keys.fill(dropinConfig), `      store_code: "SH-001"`+"\n", "", 1)
	if err := e.srv.Reload(parseConfig(t, noStore, formats)); err != nil {
		t.Fatal(err)
	}
	if got := e.gw(http.MethodGet, "/feeds/sunset/google", nil, "X-API-Key", e.keys["google"]); got.status != 200 {
		t.Fatalf("the held feed's previous output: %d %s", got.status, got.body)
	}

	var st struct {
		Data struct {
			Feeds []struct {
				Name     string
				HeldBack *struct{ Reason string } `json:"held_back"`
			}
		}
	}
	got := e.gw(http.MethodGet, "/admin/tenants/sunset", nil, admin...)
	if err := json.Unmarshal(got.body, &st); err != nil || len(st.Data.Feeds) != 2 {
		t.Fatalf("status: %s", got.body)
	}
	if g := st.Data.Feeds[1]; g.Name != "google" || g.HeldBack == nil || !strings.Contains(g.HeldBack.Reason, "would be empty") {
		t.Fatalf("google: %s", got.body)
	}
	if st.Data.Feeds[0].HeldBack != nil {
		t.Errorf("the export feed is not held: %s", got.body)
	}
	var diag struct {
		Data struct {
			Included int
			HeldBack *struct{ Reason string } `json:"held_back"`
		}
	}
	got = e.gw(http.MethodGet, "/admin/tenants/sunset/feeds/google/diagnostics", nil, admin...)
	if err := json.Unmarshal(got.body, &diag); err != nil || diag.Data.HeldBack == nil || diag.Data.Included == 0 {
		t.Fatalf("diagnostics of a held feed (the previous output's): %s", got.body)
	}
	page := string(e.gw(http.MethodGet, "/admin/", nil, admin...).body)
	if !strings.Contains(page, `<div class="heldfeed">held back: the google-vehicle-ads feed would be empty`) {
		t.Error("the page does not say the google feed is held back and why")
	}
}
