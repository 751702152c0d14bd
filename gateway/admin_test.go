package gateway_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
	if strings.Contains(page, "<script") {
		t.Error("the page must need no JavaScript")
	}
}

func basic(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
