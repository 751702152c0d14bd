package hriznsim_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

type delivery struct {
	signature, contentType string
	body                   []byte
}

// receiver collects webhook deliveries.
func receiver(t *testing.T) (*httptest.Server, chan delivery) {
	t.Helper()
	ch := make(chan delivery, 100)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- delivery{r.Header.Get("X-Feedgate-Signature"), r.Header.Get("Content-Type"), b}
	}))
	t.Cleanup(ts.Close)
	return ts, ch
}

func next(t *testing.T, ch chan delivery) delivery {
	t.Helper()
	select {
	case d := <-ch:
		return d
	case <-time.After(10 * time.Second): // a hang guard, not a speed check
		t.Fatal("no webhook arrived")
		return delivery{}
	}
}

type eventBody struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		VIN    string `json:"vin"`
		Status string `json:"status"`
	} `json:"data"`
}

func TestWebhookIsSigned(t *testing.T) {
	const secret = "whsec_test"
	hook, ch := receiver(t)
	sim, ts := startSim(t, hriznsim.Options{WebhookURL: hook.URL, WebhookSecret: secret})
	vs := sim.Vehicles("")
	body := fmt.Sprintf(`{"vins":[%q,%q,%q]}`, vs[0].VIN, vs[1].VIN, vs[2].VIN)
	if r := call(t, ts, "POST", "/v1/public/inventory/descriptions/batch", keyRW, body); r.status != 202 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	ids := map[string]bool{}
	vins := map[string]bool{}
	for range 3 {
		d := next(t, ch)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(d.body)
		if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); d.signature != want || hriznsim.Sign(secret, d.body) != want {
			t.Errorf("signature %q, want %q", d.signature, want)
		}
		if d.contentType != "application/json" {
			t.Errorf("Content-Type %q", d.contentType)
		}
		var ev eventBody
		if err := json.Unmarshal(d.body, &ev); err != nil {
			t.Fatalf("event %s: %v", d.body, err)
		}
		if !strings.HasPrefix(ev.ID, "evt_") || ids[ev.ID] || ev.Type != "inventory.description.completed" ||
			ev.Data.Status != "completed" || ev.CreatedAt.IsZero() {
			t.Errorf("event %s", d.body)
		}
		ids[ev.ID], vins[ev.Data.VIN] = true, true
	}
	for _, v := range vs[:3] {
		if !vins[v.VIN] {
			t.Errorf("no event for %s", v.VIN)
		}
	}
}

// With a delay and no reads at all, the timer completes the description and sends the event.
func TestTimerCompletesWithoutReads(t *testing.T) {
	hook, ch := receiver(t)
	sim, ts := startSim(t, hriznsim.Options{WebhookURL: hook.URL, DescriptionDelay: 30 * time.Millisecond})
	v := sim.Vehicles("")[5]
	if r := call(t, ts, "POST", "/v1/public/inventory/"+v.VIN+"/description", keyRW, ""); r.status != 202 {
		t.Fatalf("generate: %d", r.status)
	}
	d := next(t, ch)
	if d.signature != "" {
		t.Errorf("signed without a secret: %q", d.signature)
	}
	if !strings.Contains(string(d.body), v.VIN) {
		t.Errorf("event %s is not for %s", d.body, v.VIN)
	}
	got := decode[struct{ Data inventory.DescriptionView }](t,
		call(t, ts, "GET", "/v1/public/inventory/"+v.VIN+"/description", keyRead, "")).Data
	if got.Status != inventory.DescriptionCompleted || got.Description == nil {
		t.Errorf("after the event: %+v", got)
	}
}

// Close stops a pending timer and returns; a later read still completes lazily.
func TestCloseStopsBackgroundWork(t *testing.T) {
	hook, ch := receiver(t)
	clock := testclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	sim := hriznsim.New(hriznsim.Options{WebhookURL: hook.URL, DescriptionDelay: time.Hour, Now: clock.Now})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	v := sim.Vehicles("")[7]
	call(t, ts, "POST", "/v1/public/inventory/"+v.VIN+"/description", keyRW, "")
	sim.Close()
	clock.Advance(2 * time.Hour)
	for _, got := range sim.Vehicles("") {
		if got.VIN == v.VIN && got.DescriptionStatus != inventory.DescriptionCompleted {
			t.Errorf("status %q after the delay", got.DescriptionStatus)
		}
	}
	select {
	case d := <-ch:
		t.Errorf("a webhook was sent after Close: %s", d.body)
	default:
	}
}
