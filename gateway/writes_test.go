package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
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
