package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestMalformedQueryIsRefused wants a query string with a bad percent escape (or a semicolon)
// answered 400 validation_error naming the problem, on the drop-in API and on feeds, where the
// query parser alone would drop the pair and answer page one or the plain feed.
func TestMalformedQueryIsRefused(t *testing.T) {
	check := func(t *testing.T, status int, body []byte, wantParam, wantWords string) {
		t.Helper()
		var eb inventory.ErrorBody
		if err := json.Unmarshal(body, &eb); err != nil || status != http.StatusBadRequest || eb.Error.Code != inventory.EValidation {
			t.Fatalf("got %d %s, want 400 validation_error", status, body)
		}
		if p, _ := eb.Error.Details["parameter"].(string); p != wantParam {
			t.Errorf("parameter %q, want %q", p, wantParam)
		}
		if !strings.Contains(eb.Error.Message, wantWords) {
			t.Errorf("message %q does not say %q", eb.Error.Message, wantWords)
		}
	}
	t.Run("dropin", func(t *testing.T) {
		e := newDropinEnv(t, hriznsim.Options{})
		key := e.keys["website"]
		for _, tc := range []struct{ target, param, words string }{
			{"/v1/public/inventory?cursor=%%%garbage", "cursor", `parameter "cursor" has an invalid percent escape`},
			{"/v1/public/inventory?limit=10&make=Ford%2", "make", "invalid percent escape"},
			{"/v1/public/inventory?limit=10;make=Ford", "limit", "semicolon"},
			{"/v1/public/inventory/stats?x%zz=1", "query", "a parameter has an invalid percent escape"},
			{"/v1/public/inventory/feed?format=json&fgk_secretish%zz", "query", "a parameter has"},
		} {
			got := e.gw(http.MethodGet, tc.target, nil, "X-API-Key", key)
			check(t, got.status, got.body, tc.param, tc.words)
			if strings.Contains(string(got.body), "secretish") || strings.Contains(string(got.body), "garbage") {
				t.Errorf("%s: the answer repeats what was sent: %s", tc.target, got.body)
			}
		}
		if got := e.gw(http.MethodGet, "/v1/public/inventory?limit=10&make=Ford%20Motor", nil, "X-API-Key", key); got.status != 200 {
			t.Errorf("a well-formed query: %d %s", got.status, got.body)
		}
	})
	t.Run("feeds", func(t *testing.T) {
		e := newEnv(t, 0)
		for _, tc := range []struct{ target, param, words string }{
			{"/feeds/sunset/export?download=%zz", "download", "invalid percent escape"},
			{"/feeds/sunset/export?download=1;x=2", "download", "semicolon"},
			{"/feeds/sunset/export?%%%garbage", "query", "invalid percent escape"},
		} {
			rec := e.do("GET", tc.target, "X-API-Key", e.keys["export"])
			check(t, rec.Code, rec.Body.Bytes(), tc.param, tc.words)
		}
		// Without a valid key the answer stays 401, whatever the query.
		if rec := e.do("GET", "/feeds/sunset/export?download=%zz"); rec.Code != http.StatusUnauthorized {
			t.Errorf("no key: %d", rec.Code)
		}
		if rec := e.do("GET", "/feeds/sunset/export?download=1", "X-API-Key", e.keys["export"]); rec.Code != 200 {
			t.Errorf("a well-formed query: %d", rec.Code)
		}
	})
}
