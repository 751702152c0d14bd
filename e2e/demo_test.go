package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestDemo: the demo prints how to log in to the admin page and where its simulator is, with a
// /_sim/faults example that works as printed; feeds stay up while the upstream fails.
func TestDemo(t *testing.T) {
	p := start(t, bins.feedgate, "feedgate listening on", true, "demo", "--addr", "127.0.0.1:0", "--vehicles", "20")
	var out string
	waitFor(t, "the demo's instructions", func() bool {
		out = p.out.String()
		return strings.Contains(out, "Press Ctrl-C to stop.")
	})
	adminKey := regexp.MustCompile(`log in with any user name and the admin key as the password: (fgk_\S+)`).FindStringSubmatch(out)
	sim := regexp.MustCompile(`Simulated Hrizn upstream: (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(out)
	faults := regexp.MustCompile(`curl -X POST (\S+/_sim/faults) -d '([^']+)'`).FindStringSubmatch(out)
	csv := regexp.MustCompile(`curl -i -H 'X-API-Key: (\S+)' (\S+/feeds/demo-motors/csv)`).FindStringSubmatch(out)
	if adminKey == nil || sim == nil || faults == nil || csv == nil || !strings.HasPrefix(faults[1], sim[1]) {
		t.Fatalf("the demo's instructions lack the admin login, the simulator or its faults example:\n%s", out)
	}
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("the demo listens on %s", p.URL)
	}

	req, _ := http.NewRequest("GET", p.URL+"/admin/", nil)
	req.SetBasicAuth("whoever", adminKey[1])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("admin page with any user name and the admin key: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if r, _ := get(t, csv[2], csv[1]); r.StatusCode != 200 {
		t.Fatalf("the printed csv feed: %d", r.StatusCode)
	}
	resp, err := http.Post(faults[1], "application/json", strings.NewReader(faults[2]))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the printed faults example: %v %v", resp, err)
	}
	resp.Body.Close()
	if r, _ := get(t, csv[2], csv[1]); r.StatusCode != 200 {
		t.Errorf("the csv feed while the upstream fails: %d", r.StatusCode)
	}
	p.signal(t, syscall.SIGINT)
	waitExit(t, p)
}
