package gateway_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

func event(id, typ, vin string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":%q,"created_at":%q,"data":{"vin":%q,"status":"completed"}}`,
		id, typ, at.UTC().Format(time.RFC3339), vin)
}

// webhookRefused is the body of every unauthenticated delivery: its own words, not those of a
// missing API key, and the same for an unknown tenant as for a bad signature.
const webhookRefused = `{"error":{"code":"unauthorized","message":"Missing or invalid webhook signature"}}`

// TestWebhooks covers the receiver's contract: signature or bearer secret, replay and age
// refusals, and a description.completed event that refreshes the vehicle.
func TestWebhooks(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 20})
	now := time.Now()
	vin := e.sim.Vehicles("")[3].VIN
	sign := func(b []byte) []string { return []string{hriznsim.SignatureHeader, hriznsim.Sign("whsec_sunset", b)} }
	tests := []struct {
		name    string
		tenant  string
		body    []byte
		headers func(b []byte) []string
		status  int
		want    string // in the body
	}{
		{"signed completion", "sunset", event("evt_1", gateway.EventDescriptionCompleted, vin, now), sign, 200, `"status":"refreshed"`},
		{"replay", "sunset", event("evt_1", gateway.EventDescriptionCompleted, vin, now), sign, 200, `"status":"duplicate"`},
		{"bearer secret, other event", "sunset", event("evt_2", "inventory.updated", "", now),
			func([]byte) []string { return []string{"Authorization", "Bearer whsec_sunset"} }, 200, `"status":"refreshed"`},
		{"bad signature", "sunset", event("evt_3", "x", "", now),
			func(b []byte) []string { return []string{hriznsim.SignatureHeader, hriznsim.Sign("wrong", b)} }, 401, webhookRefused},
		{"signature of another body", "sunset", event("evt_4", "x", "", now),
			func([]byte) []string { return sign([]byte("{}")) }, 401, webhookRefused},
		{"wrong bearer", "sunset", event("evt_5", "x", "", now),
			func([]byte) []string { return []string{"Authorization", "Bearer nope"} }, 401, webhookRefused},
		{"no credentials", "sunset", event("evt_6", "x", "", now), func([]byte) []string { return nil }, 401, webhookRefused},
		{"tenant without secret", "other", event("evt_7", "x", "", now), sign, 401, webhookRefused},
		{"unknown tenant", "nobody", event("evt_8", "x", "", now), sign, 401, webhookRefused},
		{"too old", "sunset", event("evt_9", "x", "", now.Add(-time.Hour)), sign, 400, `"parameter":"created_at"`},
		{"from the future", "sunset", event("evt_10", "x", "", now.Add(time.Hour)), sign, 400, `"parameter":"created_at"`},
		{"no id", "sunset", event("", "x", "", now), sign, 400, `"parameter":"id"`},
		{"not JSON", "sunset", []byte("hello"), sign, 400, "validation_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.gw(http.MethodPost, "/webhooks/"+tc.tenant, tc.body, tc.headers(tc.body)...)
			if got.status != tc.status || !strings.Contains(string(got.body), tc.want) {
				t.Fatalf("got %d %s, want %d with %s", got.status, got.body, tc.status, tc.want)
			}
		})
	}
	m := e.metric()
	for _, want := range []string{
		`feedgate_webhooks_total{reason="description_completed",result="accepted"} 1`,
		`feedgate_webhooks_total{reason="replay",result="refused"} 1`,
		`feedgate_webhooks_total{reason="bad_signature",result="refused"} 4`,
		`feedgate_webhooks_total{reason="stale",result="refused"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestWebhookFromSimulatorRefreshesDescription: the simulator's own signed event, sent when a
// generation completes, makes the next read show the description.
func TestWebhookFromSimulatorRefreshesDescription(t *testing.T) {
	var e *dropinEnv
	hook := &hookRelay{}
	e = newDropinEnv(t, hriznsim.Options{Vehicles: 30, DescriptionDelay: 0, WebhookURL: hook.url(t), WebhookSecret: "whsec_sunset"})
	hook.set(e)
	var vin string
	for _, v := range e.sim.Vehicles("") {
		if v.AIDescription == "" {
			vin = v.VIN
			break
		}
	}
	key := []string{"X-API-Key", e.keys["crm"]}
	e.gw(http.MethodGet, "/v1/public/inventory/stats", nil, key...) // warm the cache
	if got := e.gw(http.MethodPost, "/v1/public/inventory/"+vin+"/description", nil, key...); got.status != 202 {
		t.Fatalf("generate: %d %s", got.status, got.body)
	}
	status := hook.wait(t)
	if status != http.StatusOK {
		t.Fatalf("webhook answered %d", status)
	}
	got := e.gw(http.MethodGet, "/v1/public/inventory/"+vin+"/description", nil, key...)
	if !strings.Contains(string(got.body), `"status":"completed"`) {
		t.Fatalf("after the webhook: %s", got.body)
	}
}

// hookRelay is the webhook URL the simulator posts to, relaying to the gateway once it exists
// and reporting each delivery's status.
type hookRelay struct {
	mu     sync.Mutex
	e      *dropinEnv
	status chan int
}

func (h *hookRelay) url(t *testing.T) string {
	h.status = make(chan int, 16)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		e := h.e
		h.mu.Unlock()
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, r)
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		h.status <- rec.Code
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/webhooks/sunset"
}

func (h *hookRelay) set(e *dropinEnv) {
	h.mu.Lock()
	h.e = e
	h.mu.Unlock()
}

// wait returns the status of the next delivery.
func (h *hookRelay) wait(t *testing.T) int {
	t.Helper()
	select {
	case s := <-h.status:
		return s
	case <-t.Context().Done():
		t.Fatal("no webhook arrived")
	}
	return 0
}
