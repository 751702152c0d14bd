package e2e_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// screenshotsEnv names the directory (relative to the repository's root, or absolute) where
// TestAdminPageAtDesktopAndPhoneWidths writes its screenshots, e.g.
// FEEDGATE_SCREENSHOTS=docs/img go test ./e2e -run TestAdminPageAtDesktopAndPhoneWidths.
const screenshotsEnv = "FEEDGATE_SCREENSHOTS"

// TestAdminPageAtDesktopAndPhoneWidths drives the status page in headless Chromium through what
// an operator sees: a failed refresh pressed on the page says why, a failed sync is marked on
// the charts, the change log and the fetch times show, the left-out count links to the
// diagnostics, and at 390 px (a phone) nothing runs off the screen. With FEEDGATE_SCREENSHOTS
// set it saves the page at 1400 px and 390 px wide (docs/img/admin-*.png).
func TestAdminPageAtDesktopAndPhoneWidths(t *testing.T) {
	bin := chromium(t)
	s := startSystem(t, 60)
	admin := []string{"X-API-Key", s.keys["admin"]}
	for _, tenant := range []string{"sunset", "hillside"} {
		if r := call(t, http.MethodPost, s.gw+"/admin/tenants/"+tenant+"/refresh", nil, admin...); r.status != 200 {
			t.Fatalf("refresh %s: %d %s", tenant, r.status, r.body)
		}
	}
	if r := call(t, http.MethodPost, s.sim+"/_sim/inventory", []byte(`{"change":3}`)); r.status != 200 {
		t.Fatalf("changing the simulator: %d %s", r.status, r.body)
	}
	call(t, http.MethodPost, s.gw+"/admin/tenants/sunset/refresh", nil, admin...)
	if r := call(t, http.MethodGet, s.gw+"/feeds/sunset/google", nil, "X-API-Key", s.keys["google"]); r.status != 200 {
		t.Fatalf("google feed: %d", r.status)
	}

	u, err := url.Parse(s.gw + "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("ops", s.keys["admin"])
	b := startBrowser(t, bin)
	b.navigate(u.String())
	refresh := `document.querySelector('button[data-action="/admin/tenants/sunset/refresh"]')`
	// Complete, not just parsed this far: the click handler is bound by the script at the end.
	b.waitTrue("the status page", `document.readyState === "complete" && `+refresh)

	// The upstream fails: the page's Refresh button shows the cause, not a bare 503.
	if r := call(t, http.MethodPost, s.sim+"/_sim/faults", []byte(`{"error_rate":1,"error_status":502}`)); r.status != 200 {
		t.Fatalf("faults: %d %s", r.status, r.body)
	}
	b.eval(refresh+".click()", nil)
	b.waitTrue("the refresh's answer", refresh+`.parentElement.querySelector("output").textContent.includes("The last sync failed")`)
	var answer string
	b.eval(refresh+`.parentElement.querySelector("output").textContent`, &answer)
	if !strings.Contains(answer, "502") {
		t.Errorf("the failed refresh reads %q", answer)
	}
	if r := call(t, http.MethodDelete, s.sim+"/_sim/faults", nil); r.status != 200 {
		t.Fatalf("clearing faults: %d %s", r.status, r.body)
	}
	call(t, http.MethodPost, s.gw+"/admin/tenants/sunset/refresh", nil, admin...)

	b.navigate(u.String())
	b.waitTrue("the reloaded page", `document.readyState === "complete" && `+refresh)
	var facts struct {
		Fails, Changes int
		Redis, Fetched string
		Diag           string
	}
	b.eval(`(() => { const t = document.querySelector("#tenant-sunset"); return {
		fails: t.querySelectorAll("circle.fail").length,
		changes: t.querySelectorAll("ul.changes li").length,
		redis: document.querySelector("#redis").textContent,
		fetched: t.querySelector('tr[data-feed="google"] td[data-label="last fetched"]').textContent,
		diag: t.querySelector('tr[data-feed="google"] a').getAttribute("href") } })()`, &facts)
	if facts.Fails != 2 || facts.Changes == 0 || !strings.Contains(facts.Redis, "no Redis") ||
		!strings.Contains(facts.Fetched, "key merchant: ") || strings.Contains(facts.Fetched, "merchant: never") ||
		facts.Diag != "/admin/tenants/sunset/feeds/google/diagnostics" {
		t.Errorf("the page shows %+v", facts)
	}
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1400, 900}, {"phone", 390, 844}} {
		b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": size.width, "height": size.height,
			"deviceScaleFactor": 1, "mobile": size.width < 600}, nil)
		b.navigate(u.String())
		b.waitTrue("the page at "+size.name+" width", `document.readyState === "complete" && `+refresh)
		var fit struct {
			Page, Viewport, Height int
			Overflowing            []string
		}
		b.eval(`(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth,
			height: document.documentElement.scrollHeight,
			overflowing: [...document.querySelectorAll("section.tenant, table, figure, tr.feed")]
				.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName + "#" + (e.id || e.dataset.feed || "")) }))()`, &fit)
		if fit.Viewport != size.width || fit.Page > fit.Viewport || len(fit.Overflowing) > 0 {
			t.Errorf("%s: the page is %d px wide in a %d px viewport; overflowing: %v", size.name, fit.Page, fit.Viewport, fit.Overflowing)
		}
		var shot struct{ Data string }
		b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
			"clip": map[string]any{"x": 0, "y": 0, "width": size.width, "height": fit.Height, "scale": 1}}, &shot)
		raw, err := base64.StdEncoding.DecodeString(shot.Data)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s screenshot: %v", size.name, err)
		}
		if bd := img.Bounds(); bd.Dx() != size.width || bd.Dy() < 400 {
			t.Errorf("%s screenshot is %dx%d", size.name, bd.Dx(), bd.Dy())
		}
		if dir := os.Getenv(screenshotsEnv); dir != "" {
			if !filepath.IsAbs(dir) {
				dir = filepath.Join("..", dir) // the test runs in e2e/
			}
			path := filepath.Join(dir, "admin-"+size.name+".png")
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		}
	}

	// The left-out count's link opens the diagnostics, every VIN with its reason.
	b.navigate(strings.Replace(u.String(), "/admin/", facts.Diag, 1))
	b.waitTrue("the diagnostics", `document.body && document.body.innerText.includes('"excluded"')`)
	var diag string
	b.eval("document.body.innerText", &diag)
	if !strings.Contains(diag, `"feed":"google"`) || !strings.Contains(diag, `"reason":"`) {
		t.Errorf("diagnostics: %.300s", diag)
	}
}
