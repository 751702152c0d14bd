package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/internal/testredis"
)

// metricValue is the value of the gateway's metric line that starts with prefix; 0 when absent.
func metricValue(t *testing.T, gw *proc, prefix string) float64 {
	t.Helper()
	line := metric(t, gw, prefix+" ")
	if line == "" {
		return 0
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, prefix)), 64)
	if err != nil {
		t.Fatalf("metric line %q: %v", line, err)
	}
	return v
}

// formatNames lists the formats the feedgate binary registers (first column of `formats`).
func formatNames(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command(bins.feedgate, "formats").Output()
	if err != nil {
		t.Fatalf("feedgate formats: %v", err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
		names = append(names, strings.Fields(line)[0])
	}
	if len(names) < 10 {
		t.Fatalf("feedgate formats listed %d formats:\n%s", len(names), out)
	}
	return names
}

// TestRenderingIsDeterministicAcrossReplicas: two gateway replicas sharing a Redis, the
// deployment docs/design.md describes, serve every format with the same bytes, the same ETag and the
// same Last-Modified, so conditional requests keep working behind a load balancer. (Replicas
// that share nothing each stamp their own sync time on their snapshot, so their Last-Modified and
// the feed-level dates in rss, atom and marketplace-xml agree only when they synced in the same
// second; that is why several replicas share Redis.)
func TestRenderingIsDeterministicAcrossReplicas(t *testing.T) {
	sim := startSim(t)
	rds := testredis.Start(t)
	keys := newKeyset(t, "admin", "reader", "google", "export", "other")
	formats := formatNames(t)
	var extra strings.Builder
	for _, f := range formats {
		fmt.Fprintf(&extra, "      - {name: all-%s, format: %s}\n", f, f)
	}
	cfg := filepath.Join(t.TempDir(), "feedgate.yaml")
	writeConfig(t, cfg, setup{simURL: sim.URL, redisURL: rds.URL(), keys: keys, extra: extra.String()}.yaml())
	a, b := startGateway(t, cfg), startGateway(t, cfg)

	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			path := "/feeds/sunset/all-" + f
			ra, bodyA := get(t, a.URL+path, keys["reader"])
			rb, bodyB := get(t, b.URL+path, keys["reader"])
			if ra.StatusCode != 200 || rb.StatusCode != 200 {
				t.Fatalf("status %d and %d", ra.StatusCode, rb.StatusCode)
			}
			if !bytes.Equal(bodyA, bodyB) {
				t.Errorf("the replicas' bodies differ (%d and %d bytes)", len(bodyA), len(bodyB))
			}
			if ea, eb := ra.Header.Get("ETag"), rb.Header.Get("ETag"); ea == "" || ea != eb {
				t.Errorf("ETags %s and %s", ea, eb)
			}
			if la, lb := ra.Header.Get("Last-Modified"), rb.Header.Get("Last-Modified"); la != lb {
				t.Errorf("Last-Modified %s and %s", la, lb)
			}
			// A client that fetched from one replica revalidates against the other.
			if r, _ := get(t, b.URL+path, keys["reader"], "If-None-Match", ra.Header.Get("ETag")); r.StatusCode != 304 {
				t.Errorf("If-None-Match with the other replica's ETag: %d, want 304", r.StatusCode)
			}
		})
	}
}

// TestBrokenUpstreamBodiesKeepTheLastGoodFeed: once fresh_for has passed, an upstream answering
// 200 with a malformed or truncated body fails the sync; the last good feed keeps being served,
// byte for byte, and the failures are counted.
func TestBrokenUpstreamBodiesKeepTheLastGoodFeed(t *testing.T) {
	for _, fault := range []string{"malformed", "truncate"} {
		for _, sync := range []string{"full", "feed"} {
			t.Run(fault+"/"+sync, func(t *testing.T) {
				sim, keys, cfg := newStack(t, setup{sync: sync, freshFor: "1s", refresh: "on_request"})
				gw := startGateway(t, cfg)

				_, good := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
				if bytes.Count(good, []byte("\n")) < 100 {
					t.Fatalf("the first export has only %d lines", bytes.Count(good, []byte("\n")))
				}
				simFaults(t, sim, fmt.Sprintf(`{%q: true}`, fault))
				waitFor(t, "a failed sync", func() bool {
					resp, body := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
					if resp.StatusCode != 200 || !bytes.Equal(body, good) {
						t.Fatalf("while upstream sends broken bodies: %d, %d bytes (had %d)", resp.StatusCode, len(body), len(good))
					}
					return metricValue(t, gw, `feedgate_cache_events_total{event="sync_failure"}`) > 0
				})
				if resp, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); !strings.Contains(resp.Header.Get("Cache-Status"), "detail=stale") {
					t.Errorf("Cache-Status %q, want a stale serve", resp.Header.Get("Cache-Status"))
				}
			})
		}
	}
}

// TestRedisDownAndBack: with its Redis killed, a gateway keeps serving feeds (warm from memory,
// and a new feed straight from upstream), says degraded on /readyz and in metrics, and leaves
// degraded mode by itself once Redis is back.
func TestRedisDownAndBack(t *testing.T) {
	rds := testredis.Start(t)
	_, keys, cfg := newStack(t, setup{redisURL: rds.URL()})
	gw := startGateway(t, cfg)

	resp, good := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
	if resp.StatusCode != 200 {
		t.Fatalf("warm-up: %d", resp.StatusCode)
	}
	rds.Stop()
	waitFor(t, "readyz to say degraded", func() bool {
		// Requests make the store notice; each must still be answered.
		r, body := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		if r.StatusCode != 200 || !bytes.Equal(body, good) {
			t.Fatalf("feed with Redis down: %d, %d bytes (had %d)", r.StatusCode, len(body), len(good))
		}
		r, body = get(t, gw.URL+"/readyz", "")
		return r.StatusCode == 200 && strings.Contains(string(body), `"degraded"`)
	})
	if v := metricValue(t, gw, "feedgate_degraded"); v != 1 {
		t.Errorf("feedgate_degraded %v with Redis down", v)
	}
	if r, _ := get(t, gw.URL+"/feeds/sunset/google", keys["google"]); r.StatusCode != 200 {
		t.Errorf("a feed not yet rendered, with Redis down: %d", r.StatusCode)
	}
	rds.Restart()
	waitFor(t, "readyz to recover", func() bool {
		_, _ = get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		_, body := get(t, gw.URL+"/readyz", "")
		return strings.Contains(string(body), `"ok"`)
	})
}
