package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestEmptiedConfigKeepsServing: emptying the configuration file (an easy slip that the watcher
// applies by itself) or SIGHUP on it is refused like a broken file: every key keeps working, the
// log says why and the refusal is counted.
func TestEmptiedConfigKeepsServing(t *testing.T) {
	sim := startSim(t)
	keys := newKeyset(t, "admin", "reader", "google", "export", "other")
	cfg := filepath.Join(t.TempDir(), "feedgate.yaml")
	writeConfig(t, cfg, setup{simURL: sim.URL, keys: keys}.yaml())
	gw := startGateway(t, cfg)
	if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); r.StatusCode != 200 {
		t.Fatalf("before: %d", r.StatusCode)
	}

	writeConfig(t, cfg, "")
	waitFor(t, "the emptied file to be refused", func() bool {
		return metric(t, gw, `feedgate_config_reloads_total{result="refused"} 1`) != ""
	})
	gw.signal(t, syscall.SIGHUP)
	waitFor(t, "SIGHUP on the emptied file to be refused", func() bool {
		return metric(t, gw, `feedgate_config_reloads_total{result="refused"} 2`) != ""
	})
	for _, f := range []struct{ tenant, feed, key string }{
		{"sunset", "export", "export"}, {"sunset", "google", "google"}, {"other", "export", "other"},
	} {
		if r, _ := get(t, gw.URL+"/feeds/"+f.tenant+"/"+f.feed, keys[f.key]); r.StatusCode != 200 {
			t.Errorf("%s/%s after the emptied file: %d, want 200", f.tenant, f.feed, r.StatusCode)
		}
	}
	if !strings.Contains(gw.out.String(), "would remove every tenant (sunset, other)") {
		t.Errorf("the log does not say why the reload was refused:\n%s", gw.out.String())
	}
	if line := metric(t, gw, `feedgate_config_reloads_total{result="ok"}`); line != "" {
		t.Errorf("an emptied file counted as a reload: %s", line)
	}
}
