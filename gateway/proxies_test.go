package gateway_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTrustedProxies: X-Forwarded-For names the client only when the peer is a configured
// proxy, and then only as far left as the hops are trusted proxies themselves; by default the
// peer's own address is logged, whatever the headers claim. The list follows reloads.
func TestTrustedProxies(t *testing.T) {
	e := newEnv(t, 0)
	for _, tc := range []struct {
		name, extra, xff, want string
	}{
		{"no trusted proxies", "", "6.6.6.6", `"remote":"192.0.2.1"`},
		{"another proxy is trusted", "trusted_proxies: [10.0.0.0/8]\n", "6.6.6.6", `"remote":"192.0.2.1"`},
		{"the peer is a trusted proxy", "trusted_proxies: [192.0.2.0/24]\n", "6.6.6.6", `"remote":"6.6.6.6"`},
		{"a forged hop left of the real client", "trusted_proxies: [192.0.2.1]\n", "6.6.6.6, 203.0.113.9", `"remote":"203.0.113.9"`},
		{"two trusted proxies", "trusted_proxies: [192.0.2.1, 10.0.0.0/8]\n", "6.6.6.6, 203.0.113.9, 10.1.2.3", `"remote":"203.0.113.9"`},
		{"back to none", "", "6.6.6.6", `"remote":"192.0.2.1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.reloadWith(t, 0, tc.extra)
			before := len(e.logs.String())
			req := httptest.NewRequest("GET", "/feeds/sunset/export", nil) // from 192.0.2.1
			req.Header.Set("X-API-Key", e.keys["export"])
			req.Header.Set("X-Forwarded-For", tc.xff)
			e.srv.ServeHTTP(httptest.NewRecorder(), req)
			if logs := e.logs.String()[before:]; !strings.Contains(logs, tc.want) {
				t.Errorf("log lacks %s:\n%s", tc.want, logs)
			}
		})
	}
}
