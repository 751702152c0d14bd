package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testredis"
)

// simTotal is the simulator's count of upstream requests of every kind.
func simTotal(t *testing.T, sim *proc) int {
	n := 0
	for _, c := range simCounts(t, sim) {
		n += c
	}
	return n
}

// TestScheduledFetcherGetsCurrentPrices: a fetcher that comes on its own schedule, with prices
// changed upstream right after each fetch, receives the current prices every time, as a fresh hit
// (the old request-driven cache served it its own previous copy, marked stale).
func TestScheduledFetcherGetsCurrentPrices(t *testing.T) {
	sim, keys, cfg := newStack(t, setup{sync: "full", freshFor: "2s"})
	gw := startGateway(t, cfg)
	waitFor(t, "the first scheduled sync", func() bool {
		resp, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		return resp.StatusCode == 200
	})
	_, prev := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
	for i := range 3 {
		simInventory(t, sim, `{"change": 5}`)
		time.Sleep(3 * time.Second) // the fetcher's period: longer than fresh_for
		resp, body := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		status := resp.Header.Get("Cache-Status")
		if resp.StatusCode != 200 || status != "feedgate; hit" {
			t.Errorf("fetch %d: %d, Cache-Status %q; want a fresh hit", i, resp.StatusCode, status)
		}
		if bytes.Equal(body, prev) {
			t.Errorf("fetch %d: the feed still shows the prices of the previous fetch", i)
		}
		prev = body
	}
}

// TestRestartWhileUpstreamFails: the embedded default keeps the last good snapshot on disk, so a
// gateway restarted while the upstream is down serves the last good feed at once, with no upstream
// call before its first 200; a truncated store file is ignored with a log line naming it and the
// tenant resyncs.
func TestRestartWhileUpstreamFails(t *testing.T) {
	sim := startSim(t)
	keys := newKeyset(t, "admin", "reader", "google", "export", "other")
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "feedgate.yaml")
	writeConfig(t, cfg, setup{simURL: sim.URL, freshFor: "1m", keys: keys, dir: dir}.yaml())

	gw := startGateway(t, cfg)
	var good []byte
	waitFor(t, "a first feed", func() bool {
		var resp *http.Response
		resp, good = get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		return resp.StatusCode == 200
	})
	gw.signal(t, syscall.SIGTERM)
	_ = gw.cmd.Wait()

	simFaults(t, sim, `{"error_rate": 1, "error_status": 503}`)
	// Restarted with the schedule (the default) the feed is the stored one at once, although the
	// upstream answers nothing but 503.
	gw = startGateway(t, cfg)
	resp, body := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
	if resp.StatusCode != 200 || !bytes.Equal(body, good) {
		t.Fatalf("after a restart with the upstream down: %d, %d bytes (had %d)", resp.StatusCode, len(body), len(good))
	}
	gw.signal(t, syscall.SIGTERM)
	_ = gw.cmd.Wait()
	// Restarted without a schedule, nothing asks the upstream by itself, so the count says the
	// first 200 came from the store with no upstream call before it.
	writeConfig(t, cfg, setup{simURL: sim.URL, freshFor: "1m", keys: keys, dir: dir, refresh: "on_request"}.yaml())
	before := simTotal(t, sim)
	gw = startGateway(t, cfg)
	resp, body = get(t, gw.URL+"/feeds/sunset/export", keys["export"])
	if resp.StatusCode != 200 || !bytes.Equal(body, good) {
		t.Fatalf("after a restart on request: %d, %d bytes (had %d)", resp.StatusCode, len(body), len(good))
	}
	if calls := simTotal(t, sim) - before; calls != 0 {
		t.Errorf("%d upstream calls before the first 200 after a restart, want 0", calls)
	}
	gw.signal(t, syscall.SIGTERM)
	_ = gw.cmd.Wait()

	// Truncate the stored snapshot: it must be detected, logged with its path and never served.
	var snapFile string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(p, "sunset") && strings.HasPrefix(info.Name(), "snapshot") {
			snapFile = p
		}
		return nil
	})
	if snapFile == "" {
		t.Fatalf("no stored snapshot of sunset under %s", dir)
	}
	data, err := os.ReadFile(snapFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(snapFile, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	simFaults(t, sim, `{}`)
	writeConfig(t, cfg, setup{simURL: sim.URL, freshFor: "1m", keys: keys, dir: dir}.yaml())
	gw = startGateway(t, cfg)
	waitFor(t, "a resync after the truncated file", func() bool {
		resp, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		return resp.StatusCode == 200
	})
	if !strings.Contains(gw.out.String(), filepath.Base(snapFile)) {
		t.Errorf("the truncated store file was not logged by name:\n%s", gw.out.String())
	}
}

// TestTwoReplicasOneSyncPerWindow: two gateways sharing Redis with scheduled refresh make about
// one sync per tenant per window between them, not one each.
func TestTwoReplicasOneSyncPerWindow(t *testing.T) {
	rds := testredis.Start(t)
	sim, _, cfg := newStack(t, setup{redisURL: rds.URL(), sync: "feed", freshFor: "2s"})
	startGateway(t, cfg)
	startGateway(t, cfg)
	time.Sleep(time.Second)
	before := simCounts(t, sim)["feed"]
	time.Sleep(6 * time.Second)
	// One replica refreshes each of the two tenants every 1.5 to 1.625 s: about 8 feed calls in
	// 6 s. Two uncoordinated replicas would make about 16.
	if n := simCounts(t, sim)["feed"] - before; n < 4 || n > 11 {
		t.Errorf("two replicas made %d feed calls for two tenants in 6 s, want about 8", n)
	}
}

// TestWebhookBurstMakesOneSync: twenty signed webhooks in a burst make one sync, not twenty.
func TestWebhookBurstMakesOneSync(t *testing.T) {
	sim := startSim(t)
	keys := newKeyset(t, "admin", "reader", "google", "export", "other")
	cfg := filepath.Join(t.TempDir(), "feedgate.yaml")
	extra := "    webhook_secret: whsec_burst\n"
	yaml := strings.Replace(setup{simURL: sim.URL, sync: "feed", keys: keys}.yaml(),
		"    rate_limit: {per_minute: 100000}\n", "    rate_limit: {per_minute: 100000}\n"+extra, 1)
	writeConfig(t, cfg, yaml)
	gw := startGateway(t, cfg)
	// Both tenants' first syncs must be over before counting: the simulator counts feed calls
	// over all keys, and the other tenant's first sync may start up to 200 ms after sunset's.
	waitFor(t, "the first scheduled syncs", func() bool {
		resp, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		other, _ := get(t, gw.URL+"/feeds/other/export", keys["other"])
		return resp.StatusCode == 200 && other.StatusCode == 200
	})
	before := simCounts(t, sim)["feed"]
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 { // a burst, as an upstream sends one after a bulk change
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"id":"evt_%d","type":"inventory.updated","created_at":%q,"data":{}}`, i, time.Now().UTC().Format(time.RFC3339))
			m := hmac.New(sha256.New, []byte("whsec_burst"))
			m.Write([]byte(body))
			req, _ := http.NewRequest("POST", gw.URL+"/webhooks/sunset", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Feedgate-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				errs <- fmt.Errorf("webhook %d: %s", i, resp.Status)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // past the debounce and the sync
	if n := simCounts(t, sim)["feed"] - before; n != 1 {
		t.Errorf("20 webhooks made %d syncs, want 1", n)
	}
}

// TestChangeLog: after a simulator change, the admin change log lists an added VIN, a removed
// VIN and price changes, newest first.
func TestChangeLog(t *testing.T) {
	sim, keys, cfg := newStack(t, setup{sync: "full", freshFor: "1s"})
	gw := startGateway(t, cfg)
	type entry struct {
		Added        []string `json:"added"`
		Removed      []string `json:"removed"`
		PriceChanges []struct {
			VIN string   `json:"vin"`
			Old *float64 `json:"old"`
			New *float64 `json:"new"`
		} `json:"price_changes"`
	}
	changes := func() []entry {
		resp, body := get(t, gw.URL+"/admin/tenants/sunset/changes", keys["admin"])
		if resp.StatusCode != 200 {
			t.Fatalf("changes: %d %s", resp.StatusCode, body)
		}
		var page struct {
			Data []entry `json:"data"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		return page.Data
	}
	waitFor(t, "the first sync", func() bool {
		resp, _ := get(t, gw.URL+"/feeds/sunset/export", keys["export"])
		return resp.StatusCode == 200
	})
	simInventory(t, sim, `{"shrink_to": 145}`) // five sold
	waitFor(t, "a removal in the change log", func() bool {
		c := changes()
		return len(c) > 0 && len(c[0].Removed) == 5
	})
	simInventory(t, sim, `{"restore": true, "change": 3}`) // five back, three prices changed
	waitFor(t, "additions and price changes in the change log", func() bool {
		c := changes()
		return len(c) >= 2 && len(c[0].Added) == 5 && len(c[0].PriceChanges) >= 3
	})
	if m := metric(t, gw, `feedgate_vehicles_removed_total{tenant="sunset"}`); !strings.HasSuffix(m, " 5") {
		t.Errorf("removed metric %q", m)
	}
}
