package gateway_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/bridge"
	"github.com/feedgate/feedgate/internal/syncbuf"
	"github.com/feedgate/feedgate/internal/testclock"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/ratelimit"
	"github.com/feedgate/feedgate/replay"
	"github.com/feedgate/feedgate/transform"
	"github.com/feedgate/feedgate/upstream"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestWriteThroughReachesUpstreamAndMarksTheVIN: a generate request is passed through with the
// tenant's upstream key; the marked VIN's details are fetched again by the next sync even though
// its updated_at did not move, so the next read shows "generating".
func TestWriteThroughReachesUpstreamAndMarksTheVIN(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{DescriptionDelay: time.Hour})
	var vin string
	for _, v := range e.sim.Vehicles("") {
		if v.AIDescription == "" {
			vin = v.VIN
			break
		}
	}
	crm := []string{"X-API-Key", e.keys["crm"]}
	if got := e.gw(http.MethodGet, "/v1/public/inventory/"+vin+"/description", nil, crm...); !strings.Contains(string(got.body), "not_generated") {
		t.Fatalf("before: %s", got.body)
	}
	before := e.sim.Stats().Requests["generate"]
	got := e.gw(http.MethodPost, "/v1/public/inventory/"+vin+"/description", nil, crm...)
	want := fmt.Sprintf(`{"data":{"vin":"%s","status":"generating"}}`+"\n", vin)
	if got.status != http.StatusAccepted || string(got.body) != want {
		t.Fatalf("generate: %d %s", got.status, got.body)
	}
	if n := e.sim.Stats().Requests["generate"]; n != before+1 {
		t.Fatalf("upstream saw %d generate calls, want %d", n, before+1)
	}
	if n := e.scheduled.count("sunset"); n != 1 {
		t.Errorf("the write asked for %d scheduled syncs, want 1", n)
	}
	if err := e.admin.Refresh(t.Context(), "sunset"); err != nil {
		t.Fatal(err)
	}
	if got := e.gw(http.MethodGet, "/v1/public/inventory/"+vin+"/description", nil, crm...); !strings.Contains(string(got.body), `"status":"generating"`) {
		t.Fatalf("after the refresh: %s", got.body)
	}
}

// TestBatchPassesPartialFailuresBack sends a batch with an unknown VIN and wants the upstream's
// answer unchanged, and only the accepted VINs marked.
func TestBatchPassesPartialFailuresBack(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{DescriptionDelay: time.Hour})
	vs := e.sim.Vehicles("")
	body := fmt.Sprintf(`{"vins":["%s","%s","INVALIDVIN123"]}`, vs[0].VIN, vs[1].VIN)
	got := e.gw(http.MethodPost, "/v1/public/inventory/descriptions/batch", []byte(body), "Authorization", "Bearer "+e.keys["crm"])
	if got.status != http.StatusAccepted {
		t.Fatalf("batch: %d %s", got.status, got.body)
	}
	var ans struct {
		Data struct{ Items []inventory.GenerateItem } `json:"data"`
	}
	if err := json.Unmarshal(got.body, &ans); err != nil || len(ans.Data.Items) != 3 {
		t.Fatalf("batch body %s (%v)", got.body, err)
	}
	if it := ans.Data.Items[2]; it.Status != "failed" || it.Error != "Vehicle not found or generation failed" {
		t.Errorf("failed item %+v", it)
	}
	marked := e.cache.PendingMarks("sunset")
	if len(marked) != 2 || marked[0] != vs[0].VIN || marked[1] != vs[1].VIN {
		t.Errorf("marked %v", marked)
	}
}

// TestWritesRefuseBadInput wants every bad write refused as upstream documents it, and no call
// made upstream for any of them.
func TestWritesRefuseBadInput(t *testing.T) {
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 5})
	vins := make([]string, 51)
	for i := range vins {
		vins[i] = fmt.Sprintf("\"1HGBH41JXMN1%05d\"", i)
	}
	tests := []struct {
		name, target, body, key string
		status                  int
		code, param             string
	}{
		{"empty batch", "/descriptions/batch", `{"vins":[]}`, "crm", 400, "validation_error", "vins"},
		{"no vins", "/descriptions/batch", `{}`, "crm", 400, "validation_error", "vins"},
		{"51 VINs", "/descriptions/batch", `{"vins":[` + strings.Join(vins, ",") + `]}`, "crm", 400, "validation_error", "vins"},
		{"short VIN", "/descriptions/batch", `{"vins":["1HGBH41JXMN109186","SHORT"]}`, "crm", 400, "validation_error", "vins"},
		{"long VIN", "/descriptions/batch", `{"vins":["1HGBH41JXMN1091860"]}`, "crm", 400, "validation_error", "vins"},
		{"not JSON", "/descriptions/batch", `vins=1`, "crm", 400, "validation_error", "vins"},
		{"blank VIN", "/%20/description", ``, "crm", 400, "validation_error", "vin"},
		{"read-only key", "/descriptions/batch", `{"vins":["1HGBH41JXMN109186"]}`, "website", 403, "forbidden", ""},
		{"feed key", "/1HGBH41JXMN109186/description", ``, "google", 403, "forbidden", ""},
		{"no key", "/1HGBH41JXMN109186/description", ``, "", 401, "unauthorized", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.sim.ResetStats()
			var headers []string
			if tc.key != "" {
				headers = []string{"X-API-Key", e.keys[tc.key]}
			}
			got := e.gw(http.MethodPost, "/v1/public/inventory"+tc.target, []byte(tc.body), headers...)
			var body inventory.ErrorBody
			if err := json.Unmarshal(got.body, &body); err != nil || got.status != tc.status || body.Error.Code != tc.code {
				t.Fatalf("got %d %s", got.status, got.body)
			}
			if tc.param != "" && body.Error.Details["parameter"] != tc.param {
				t.Errorf("parameter %v", body.Error.Details["parameter"])
			}
			if tc.code == "forbidden" && !strings.Contains(body.Error.Message, "inventory:write") {
				t.Errorf("message %q", body.Error.Message)
			}
			if n := e.sim.Stats().Total; n != 0 {
				t.Errorf("%d upstream calls for a refused write", n)
			}
			if tc.code == "validation_error" && tc.key == "crm" && tc.target == "/descriptions/batch" {
				want := e.upstream(http.MethodPost, "/v1/public/inventory"+tc.target, []byte(tc.body), "hzk_sim_rw")
				if string(want.body) != string(got.body) {
					t.Errorf("gateway %s\nupstream %s", got.body, want.body)
				}
			}
		})
	}
	// Upstream's own refusals (an unknown VIN) come back unchanged.
	got := e.gw(http.MethodPost, "/v1/public/inventory/NOSUCHVIN0000/description", nil, "X-API-Key", e.keys["crm"])
	want := e.upstream(http.MethodPost, "/v1/public/inventory/NOSUCHVIN0000/description", nil, "hzk_sim_rw")
	if got.status != 404 || string(got.body) != string(want.body) {
		t.Fatalf("unknown VIN: %d %s, upstream %s", got.status, got.body, want.body)
	}
}

// TestWritesRefusedUpstreamAreUpstreamTrouble: when the upstream refuses the tenant's own upstream
// key, the caller (whose key was fine) gets upstream_unavailable, not the upstream's 401/403.
func TestWritesRefusedUpstreamAreUpstreamTrouble(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []hriznsim.Key
	}{
		{"upstream key without inventory:write", []hriznsim.Key{{Key: "hzk_sim_rw", Scopes: []string{"inventory:read"}}}},
		{"upstream key revoked", []hriznsim.Key{{Key: "hzk_sim_read", Scopes: []string{"inventory:read"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDropinEnv(t, hriznsim.Options{Vehicles: 5, Keys: tc.keys})
			got := e.gw(http.MethodPost, "/v1/public/inventory/1HGBH41JXMN109186/description", nil, "X-API-Key", e.keys["crm"])
			var body inventory.ErrorBody
			if err := json.Unmarshal(got.body, &body); err != nil || got.status != 503 || body.Error.Code != "upstream_unavailable" ||
				got.header.Get("Retry-After") == "" {
				t.Fatalf("got %d %s", got.status, got.body)
			}
			if strings.Contains(string(got.body), "hzk_") {
				t.Errorf("the body names an upstream key: %s", got.body)
			}
		})
	}
}

// TestWriteErrorsAreFeedgatesOwn: an upstream that answers writes with error pages echoing the
// X-API-Key it was sent and a stack trace. Whatever the status, the caller (a browser through
// CORS included) gets feedgate's error shape and message, never the upstream's body; a success
// that is not JSON or holds the key is not passed back either; the log never holds the key.
func TestWriteErrorsAreFeedgatesOwn(t *testing.T) {
	var status atomic.Int32
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := int(status.Load())
		leak := "panic: runtime error\nX-API-Key: " + r.Header.Get("X-API-Key") + "\ngoroutine 1 [running]:\nmain.generate()\n\t/srv/app/main.go:42"
		switch st {
		case 400:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(st)
			fmt.Fprintf(w, `{"error":{"code":"validation_error","message":%q,"details":{"parameter":"vins"}}}`, leak)
		case 202:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(st)
			fmt.Fprintf(w, `{"data":{"status":"generating","debug":%q}}`, leak)
		default:
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(st)
			fmt.Fprintf(w, "<html><pre>%s</pre></html>", leak)
		}
	}))
	defer echo.Close()
	srv, k, logs := newWritesGateway(t, echo.URL)
	for _, tc := range []struct {
		upstream int
		status   int
		code     string
	}{
		{500, 503, "upstream_unavailable"},
		{502, 503, "upstream_unavailable"},
		{409, 503, "upstream_unavailable"},
		{400, 400, "validation_error"},
		{404, 404, "not_found"},
		{429, 429, "rate_limited"},
		{401, 503, "upstream_unavailable"},
		{200, 503, "upstream_unavailable"}, // an HTML success
		{202, 503, "upstream_unavailable"}, // JSON that echoes the key
	} {
		t.Run(strconv.Itoa(tc.upstream), func(t *testing.T) {
			status.Store(int32(tc.upstream))
			req := httptest.NewRequest(http.MethodPost, "/v1/public/inventory/1HGBH41JXMN109186/description", nil)
			req.Header.Set("X-API-Key", k["crm"])
			req.Header.Set("Origin", "https://www.sunset.example")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			body := rec.Body.String()
			for _, leak := range []string{"hzk_sim_rw", "goroutine", "panic", "main.go", "<html"} {
				if strings.Contains(body, leak) {
					t.Fatalf("the body passes %q through: %s", leak, body)
				}
			}
			var e inventory.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("got %d %s", rec.Code, body)
			}
			h := rec.Header()
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("X-Content-Type-Options") != "nosniff" ||
				h.Get("Access-Control-Allow-Origin") != "https://www.sunset.example" {
				t.Errorf("headers %v", h)
			}
			if tc.upstream == 429 && h.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q, want the upstream's 7", h.Get("Retry-After"))
			}
			if tc.upstream == 400 && e.Error.Details["parameter"] != "vins" {
				t.Errorf("details %v", e.Error.Details)
			}
		})
	}
	if strings.Contains(logs.String(), "hzk_sim_rw") {
		t.Errorf("the log holds the upstream key:\n%s", logs.String())
	}
}

// newWritesGateway is a gateway whose tenant sunset writes through the real upstream client to
// the server at upstreamURL; it logs at debug into the returned buffer.
func newWritesGateway(t *testing.T, upstreamURL string) (*gateway.Server, keys, *syncbuf.Buffer) {
	t.Helper()
	client, err := upstream.NewClient(upstream.Options{BaseURL: upstreamURL + "/v1", APIKey: "hzk_sim_rw",
		MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	formats, err := transform.NewRegistry(transform.Builtins()...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Options{FreshFor: 5 * time.Minute, ServeStaleFor: time.Hour}, nil, nil,
		&syncer{clock: testclock.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	k := keys{}
	for _, n := range []string{"admin", "website", "crm", "reader", "google", "export", "other", "theirs"} {
		k[n] = newKey(t)
	}
	logs := &syncbuf.Buffer{}
	srv, err := gateway.New(gateway.Options{Config: parseConfig(t, k.fill(dropinConfig), formats)},
		gateway.Deps{Store: bridge.Store{C: c}, Publisher: bridge.Publisher{P: publish.NewPublisher(c, publish.PublisherOptions{}), Formats: formats},
			Limiter: ratelimit.NewMemory(ratelimit.MemoryOptions{}), Replay: replay.NewMemory(replay.MemoryOptions{}),
			Upstream: forwarder{upstream.ClientMap{"sunset": client}},
			Logger:   slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return srv, k, logs
}
