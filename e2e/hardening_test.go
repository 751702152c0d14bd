package e2e

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/config"
)

// freePort is an address on the loopback interface that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestMetricsOnTheirOwnPort: with metrics.listen the real binary serves /metrics there, behind
// the metrics key, folded over tenants, and no longer on the public listener.
func TestMetricsOnTheirOwnPort(t *testing.T) {
	sim := startSim(t)
	keys := newKeyset(t, "admin", "reader", "google", "export", "other", "scraper")
	addr := freePort(t)
	cfg := filepath.Join(t.TempDir(), "feedgate.yaml")
	writeConfig(t, cfg, setup{simURL: sim.URL, keys: keys}.yaml()+
		"metrics: {listen: \""+addr+"\", key_hash: \""+config.HashKey(keys["scraper"])+"\", per_tenant: false}\n")
	gw := startGateway(t, cfg)
	if resp, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); resp.StatusCode != 200 {
		t.Fatalf("feed: %d", resp.StatusCode)
	}
	if resp, body := get(t, gw.URL+"/metrics", keys["scraper"]); resp.StatusCode != 404 || strings.Contains(string(body), "feedgate_") {
		t.Errorf("the public listener still serves /metrics: %d", resp.StatusCode)
	}
	if resp, _ := get(t, "http://"+addr+"/metrics", ""); resp.StatusCode != 401 {
		t.Errorf("metrics without the key: %d", resp.StatusCode)
	}
	resp, body := get(t, "http://"+addr+"/metrics", keys["scraper"])
	if resp.StatusCode != 200 || !strings.Contains(string(body), `feedgate_feed_responses_total{outcome="miss"} 1`) ||
		strings.Contains(string(body), `tenant="`) {
		t.Errorf("metrics with the key: %d\n%.2000s", resp.StatusCode, body)
	}
}
