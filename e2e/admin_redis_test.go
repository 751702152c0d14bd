package e2e

import (
	"strings"
	"testing"

	"github.com/feedgate/feedgate/internal/testredis"
)

// TestAdminPageSaysWhenRedisIsDown: the status page says Redis is connected, and once Redis is
// gone that this replica is on its own, in the header and in a banner.
func TestAdminPageSaysWhenRedisIsDown(t *testing.T) {
	rds := testredis.Start(t)
	_, keys, cfg := newStack(t, setup{redisURL: rds.URL()})
	gw := startGateway(t, cfg)
	page := func() string {
		resp, body := get(t, gw.URL+"/admin/", keys["admin"])
		if resp.StatusCode != 200 {
			t.Fatalf("page: %d %s", resp.StatusCode, body)
		}
		return string(body)
	}
	if r, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"]); r.StatusCode != 200 {
		t.Fatalf("warm-up: %d", r.StatusCode)
	}
	if p := page(); !strings.Contains(p, `id="redis">Redis connected`) || strings.Contains(p, `class="banner"`) {
		t.Fatalf("with Redis up the page reads:\n%.3000s", p)
	}
	rds.Stop()
	waitFor(t, "the page to say Redis is unreachable", func() bool {
		_, _ = get(t, gw.URL+"/feeds/sunset/export", keys["export"]) // requests make the store notice
		return strings.Contains(page(), `id="redis">Redis unreachable`)
	})
	if p := page(); !strings.Contains(p, `<p class="banner" role="alert">Redis cannot be reached`) {
		t.Errorf("no banner with Redis down:\n%.3000s", p)
	}
}
