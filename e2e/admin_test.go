package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium finds Debian's chromium; with CI=true a missing browser fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found on PATH (apt-get install chromium)")
	}
	t.Skip("chromium not found on PATH; skipping (set CI=true to make this a failure)")
	return ""
}

// headless runs chromium once with extra arguments against pageURL and returns its stdout.
func headless(t *testing.T, bin, pageURL string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,900"}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard only
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(args, pageURL)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%.2000s", err, errOut.String())
	}
	return out.Bytes()
}

// TestAdminPageInChromium: the status page, rendered by a real browser with Basic auth, names
// every tenant and feed and draws something that is not blank.
func TestAdminPageInChromium(t *testing.T) {
	bin := chromium(t)
	s := startSystem(t, 120)
	admin := []string{"X-API-Key", s.keys["admin"]}
	for _, tenant := range []string{"sunset", "hillside", "sunset"} {
		if r := call(t, http.MethodPost, s.gw+"/admin/tenants/"+tenant+"/refresh", nil, admin...); r.status != 200 {
			t.Fatalf("refresh %s: %d %s", tenant, r.status, r.body)
		}
	}
	var status struct {
		Data struct {
			Snapshot struct{ Vehicles int }
			LastSync struct {
				OK            bool
				UpstreamCalls map[string]int `json:"upstream_calls"`
			} `json:"last_sync"`
			Feeds []struct {
				Name     string
				Included int
				Reasons  map[string]int `json:"excluded_by_reason"`
			}
		}
	}
	decode(t, call(t, http.MethodGet, s.gw+"/admin/tenants/sunset", nil, admin...), &status)
	if d := status.Data; d.Snapshot.Vehicles != 120 || !d.LastSync.OK || d.LastSync.UpstreamCalls["list"] == 0 ||
		len(d.Feeds) != 2 || d.Feeds[1].Included == 0 || len(d.Feeds[1].Reasons) == 0 {
		t.Fatalf("status: %+v", d)
	}
	if r := call(t, http.MethodGet, s.gw+"/admin/", nil); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `realm="feedgate admin"`) {
		t.Fatalf("page without credentials: %d %v", r.status, r.header)
	}

	u, err := url.Parse(s.gw + "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("ops", s.keys["admin"])
	shot := filepath.Join(t.TempDir(), "admin.png")
	headless(t, bin, u.String(), "--screenshot="+shot, "--hide-scrollbars")
	dom := string(headless(t, bin, u.String(), "--dump-dom"))
	for _, want := range []string{"Sunset Honda", "Hillside Motors", `data-feed="google"`, `data-feed="export"`, `data-feed="catalog"`, "<polyline"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page's DOM lacks %s", want)
		}
	}

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 900 {
		t.Errorf("screenshot is %dx%d", b.Dx(), b.Dy())
	}
	colours := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
		}
	}
	if len(colours) < 8 {
		t.Errorf("the screenshot looks blank: %d distinct colours", len(colours))
	}
}

// TestAdminButtonsAndCSRFInChromium: in a real browser that holds the admin key as Basic
// credentials, a page on another site that posts a form to accept a held-back snapshot is
// refused and changes nothing; the status page's own Accept and Refresh buttons work.
func TestAdminButtonsAndCSRFInChromium(t *testing.T) {
	bin := chromium(t)
	s := startSystem(t, 40)
	admin := []string{"X-API-Key", s.keys["admin"]}
	status := func() (vehicles int, held bool) {
		var v struct {
			Data struct {
				Snapshot struct{ Vehicles int }
				HeldBack *struct{ Vehicles int } `json:"held_back"`
			}
		}
		decode(t, call(t, http.MethodGet, s.gw+"/admin/tenants/sunset", nil, admin...), &v)
		return v.Data.Snapshot.Vehicles, v.Data.HeldBack != nil
	}
	call(t, http.MethodPost, s.gw+"/admin/tenants/sunset/refresh", nil, admin...)
	if r := call(t, http.MethodPost, s.sim+"/_sim/inventory", []byte(`{"shrink_to":5}`)); r.status != 200 {
		t.Fatalf("shrinking the simulator: %d %s", r.status, r.body)
	}
	call(t, http.MethodPost, s.gw+"/admin/tenants/sunset/refresh", nil, admin...)
	if n, held := status(); n != 40 || !held {
		t.Fatalf("setup: %d vehicles, held %v", n, held)
	}

	// The attacker's page, on another origin, posts a form to the gateway as soon as it loads.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<form id="f" method="post" action="%s/admin/tenants/sunset/accept"><input name="x" value="1"></form>
<script>document.getElementById("f").submit()</script>`, s.gw)
	}))
	defer evil.Close()

	u, err := url.Parse(s.gw + "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("ops", s.keys["admin"])
	b := startBrowser(t, bin)
	b.navigate(u.String()) // the operator logs in: the browser now holds the credentials
	b.waitTrue("the status page", `document.querySelector('button[data-action="/admin/tenants/sunset/accept"]')`)

	b.navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) + "/")
	b.waitTrue("the forged post's answer", `location.href.startsWith("`+s.gw+`") && document.readyState === "complete"`)
	var answer string
	b.eval("document.body.innerText", &answer)
	if !strings.Contains(answer, `"forbidden"`) || !strings.Contains(answer, "cross_site") {
		t.Errorf("the forged post was answered %q", answer)
	}
	if n, held := status(); n != 40 || !held {
		t.Fatalf("the forged post changed the state: %d vehicles, held %v", n, held)
	}

	b.navigate(u.String())
	// The page's script comes last in its body: until the document is complete, a button may be
	// there without its click handler, and a click does nothing.
	b.waitTrue("the Accept button", `document.readyState === "complete" &&
		document.querySelector('button[data-action="/admin/tenants/sunset/accept"]')`)
	b.eval(`document.querySelector('button[data-action="/admin/tenants/sunset/accept"]').click()`, nil)
	eventually(t, "the accepted snapshot", func() bool { n, held := status(); return n == 5 && !held })
	b.waitTrue("the reloaded page", `document.readyState === "complete" && !document.querySelector(".held") &&
		document.querySelector('button[data-action="/admin/tenants/sunset/refresh"]')`)

	refreshes := func() string {
		return string(call(t, http.MethodGet, s.gw+"/metrics", nil).body)
	}
	const refreshed = `feedgate_admin_actions_total{action="refresh",result="ok"} 3`
	if strings.Contains(refreshes(), refreshed) {
		t.Fatal("the refresh count is already 3")
	}
	b.eval(`document.querySelector('button[data-action="/admin/tenants/sunset/refresh"]').click()`, nil)
	eventually(t, "the page's refresh", func() bool { return strings.Contains(refreshes(), refreshed) })
}
