package config

import (
	"slices"
	"strings"
	"testing"
)

// TestMetricsAndTrustedProxies: the keys' defaults, what they accept and how they are refused.
func TestMetricsAndTrustedProxies(t *testing.T) {
	c := mustParse(t, "", nil)
	if c.Metrics != (Metrics{PerTenant: true}) || c.TrustedProxies != nil {
		t.Errorf("defaults: metrics %+v, trusted_proxies %v", c.Metrics, c.TrustedProxies)
	}
	h := HashKey("fgk_scraper")
	c = mustParse(t, "trusted_proxies: [10.0.0.0/8, \"::1\", 192.168.1.7]\nmetrics: {listen: \"127.0.0.1:9091\", key_hash: \""+h+"\", per_tenant: false}\n", nil)
	if c.Metrics != (Metrics{Listen: "127.0.0.1:9091", KeyHash: h}) || len(c.TrustedProxies) != 3 {
		t.Errorf("set: metrics %+v, trusted_proxies %v", c.Metrics, c.TrustedProxies)
	}
	for _, tc := range []struct{ doc, want string }{
		{"trusted_proxies: [10.0.0.0/33]", `trusted_proxies[0]: "10.0.0.0/33" is not a CIDR (e.g. 10.0.0.0/8) or an IP address (line 1)`},
		{"trusted_proxies: [proxy.local]", `trusted_proxies[0]: "proxy.local" is not a CIDR (e.g. 10.0.0.0/8) or an IP address (line 1)`},
		{"metrics: {listen: \"9091\"}", `metrics.listen: "9091" is not host:port (e.g. "127.0.0.1:9091") (line 1)`},
		{"listen: \":8080\"\nmetrics: {listen: \":8080\"}", `metrics.listen: ":8080" is the main listen address; leave metrics.listen out to serve /metrics there (line 2)`},
		{"metrics: {key_hash: \"sha256:abc\"}", "metrics.key_hash: must be \"sha256:\" followed by 64 hex digits (run `feedgate keygen`) (line 1)"},
		{"metrics: {key_hash: \"" + h + "\"}\nadmin_keys: [{name: ops, hash: \"" + h + "\"}]", "admin_keys[0].hash: the same key is already used by metrics.key_hash; every key must be distinct (line 2)"},
		{"metrics: {per_tenant: maybe}", "metrics.per_tenant"},
	} {
		got := problemsOf(t, tc.doc, nil)
		if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, tc.want) }) {
			t.Errorf("%q: problems\n  %s\nlack %s", tc.doc, strings.Join(got, "\n  "), tc.want)
		}
	}
}
