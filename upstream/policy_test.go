package upstream

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "7", 7 * time.Second},
		{"padded", " 2 ", 2 * time.Second},
		{"zero", "0", 0},
		{"negative", "-3", 0},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
		{"huge is capped at a year", "999999999999", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestBackoffIsFullJitterWithinBounds(t *testing.T) {
	c, err := NewClient(Options{BaseURL: "http://127.0.0.1:1", APIKey: "k",
		MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var asked []int64
	c.jitter = func(n int64) int64 { asked = append(asked, n); return n - 1 }
	tests := []struct {
		attempt int
		bound   time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, time.Second},
		{60, time.Second},
	}
	for _, tt := range tests {
		got := c.backoff(tt.attempt)
		if got != tt.bound {
			t.Errorf("backoff(%d) with maximal jitter = %v, want %v", tt.attempt, got, tt.bound)
		}
		if n := asked[len(asked)-1]; n != int64(tt.bound)+1 {
			t.Errorf("backoff(%d) drew from [0,%d), want [0,%d]", tt.attempt, n, tt.bound)
		}
	}
	c.jitter = func(int64) int64 { return 0 }
	if got := c.backoff(5); got != 0 {
		t.Errorf("full jitter may wait 0, got %v", got)
	}
}

func TestDomainCode(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{400, inventory.EValidation},
		{401, inventory.EUnauthorized},
		{403, inventory.EForbidden},
		{404, inventory.ENotFound},
		{406, inventory.ENotAcceptable},
		{422, inventory.EValidation},
		{429, inventory.ERateLimited},
		{500, inventory.EUnavailable},
		{502, inventory.EUnavailable},
		{503, inventory.EUnavailable},
		{302, inventory.EUnavailable},
	}
	for _, tt := range tests {
		if got := DomainCode(tt.status); got != tt.want {
			t.Errorf("DomainCode(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestParseAPIError(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantCode   string
		wantMsg    string
		wantScopes []string
		wantDomain string
	}{
		{"forbidden with scopes", 403,
			`{"error":{"code":"forbidden","message":"This API key requires one of the following scopes: inventory:read","details":{"required_scopes":["inventory:read"]}}}`,
			"forbidden", "This API key requires one of the following scopes: inventory:read", []string{"inventory:read"}, inventory.EForbidden},
		{"html gateway page", 502, "<html><body>Bad Gateway</body></html>",
			inventory.EUnavailable, "Bad Gateway: <html><body>Bad Gateway</body></html>", nil, inventory.EUnavailable},
		{"empty body", 404, "", inventory.ENotFound, "Not Found", nil, inventory.ENotFound},
		{"json of another shape", 400, `{"message":"nope"}`, inventory.EValidation, `Bad Request: {"message":"nope"}`, nil, inventory.EValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseAPIError("details", &response{status: tt.status, body: []byte(tt.body)}, 0)
			if e.Code != tt.wantCode || e.Message != tt.wantMsg || strings.Join(e.RequiredScopes, ",") != strings.Join(tt.wantScopes, ",") {
				t.Errorf("got code %q message %q scopes %v", e.Code, e.Message, e.RequiredScopes)
			}
			if got := inventory.ErrorCode(e); got != tt.wantDomain {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantDomain)
			}
			var d *inventory.Error
			if !errors.As(e, &d) {
				t.Fatal("no *inventory.Error in the chain")
			}
			if tt.wantScopes != nil && d.Details["required_scopes"] == nil {
				t.Errorf("domain error lacks required_scopes: %+v", d)
			}
		})
	}
}

func TestValidateBatch(t *testing.T) {
	many := make([]string, 51)
	for i := range many {
		many[i] = "1HGBH41JXMN109186"
	}
	tests := []struct {
		name    string
		vins    []string
		wantErr string
	}{
		{"one", []string{"1HGBH41JXMN109186"}, ""},
		{"eleven characters", []string{"ABCDEFGHIJK"}, ""},
		{"fifty", many[:50], ""},
		{"empty", nil, "at least one VIN"},
		{"fifty-one", many, "holds 51 VINs; at most 50"},
		{"too short", []string{"1HGBH41JXMN109186", "SHORT"}, `vins[1] "SHORT"`},
		{"too long", []string{"1HGBH41JXMN1091860"}, `vins[0] "1HGBH41JXMN1091860"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateBatch(tt.vins)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if inventory.ErrorCode(err) != inventory.EValidation {
				t.Errorf("code %q, want validation_error", inventory.ErrorCode(err))
			}
		})
	}
}

func TestEndpointOf(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/public/inventory", EndpointList},
		{"GET", "/public/inventory/", EndpointList},
		{"GET", "/public/inventory/feed", EndpointFeed},
		{"GET", "/public/inventory/stats", EndpointStats},
		{"GET", "/public/inventory/1HGBH41JXMN109186", EndpointDetails},
		{"GET", "/public/inventory/1HGBH41JXMN109186/description", EndpointDescription},
		{"POST", "/public/inventory/1HGBH41JXMN109186/description", EndpointGenerate},
		{"POST", "/public/inventory/descriptions/batch", EndpointBatch},
	}
	for _, tt := range tests {
		if got := endpointOf(tt.method, tt.path); got != tt.want {
			t.Errorf("endpointOf(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestNewClientRejects(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no key", Options{BaseURL: "https://api.example/v1"}},
		{"relative base", Options{BaseURL: "/v1", APIKey: "k"}},
		{"ftp base", Options{BaseURL: "ftp://api.example/v1", APIKey: "k"}},
		{"query in base", Options{BaseURL: "https://api.example/v1?key=k", APIKey: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewClient(tt.opts); err == nil || !strings.HasPrefix(err.Error(), "upstream: ") {
				t.Fatalf("NewClient error = %v, want an upstream: error", err)
			}
		})
	}
}
