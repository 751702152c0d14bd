package hriznsim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

func TestStatusPaths(t *testing.T) {
	_, ts := startSim(t, hriznsim.Options{})
	vins51 := make([]string, 51)
	for i := range vins51 {
		vins51[i] = docVIN
	}
	many, _ := json.Marshal(map[string][]string{"vins": vins51})
	tests := []struct {
		name, method, path, key, body string
		status                        int
		code, param                   string
	}{
		{"list documented example", "GET", "/v1/public/inventory?limit=10&make=Honda&condition=new", keyRW, "", 200, "", ""},
		{"list read key", "GET", "/v1/public/inventory", keyRead, "", 200, "", ""},
		{"details documented example", "GET", "/v1/public/inventory/" + docVIN, keyRead, "", 200, "", ""},
		{"details lower-case VIN", "GET", "/v1/public/inventory/" + strings.ToLower(docVIN), keyRead, "", 200, "", ""},
		{"description documented example", "GET", "/v1/public/inventory/" + docVIN + "/description", keyRead, "", 200, "", ""},
		{"feed json", "GET", "/v1/public/inventory/feed?format=json", keyRead, "", 200, "", ""},
		{"feed default", "GET", "/v1/public/inventory/feed", keyRead, "", 200, "", ""},
		{"feed xml", "GET", "/v1/public/inventory/feed?format=xml", keyRead, "", 200, "", ""},
		{"stats", "GET", "/v1/public/inventory/stats", keyRead, "", 200, "", ""},
		{"generate", "POST", "/v1/public/inventory/" + docVIN + "/description", keyWrite, "", 202, "", ""},
		{"batch", "POST", "/v1/public/inventory/descriptions/batch", keyRW, `{"vins":["` + docVIN + `"]}`, 202, "", ""},

		{"no key", "GET", "/v1/public/inventory", "", "", 401, "unauthorized", ""},
		{"unknown key", "GET", "/v1/public/inventory/stats", "hzk_nope", "", 401, "unauthorized", ""},
		{"unknown key on write", "POST", "/v1/public/inventory/descriptions/batch", "hzk_nope", `{"vins":[]}`, 401, "unauthorized", ""},
		{"write key reads", "GET", "/v1/public/inventory/feed", keyWrite, "", 403, "forbidden", ""},
		{"read key generates", "POST", "/v1/public/inventory/" + docVIN + "/description", keyRead, "", 403, "forbidden", ""},
		{"read key batches", "POST", "/v1/public/inventory/descriptions/batch", keyRead, `{"vins":["` + docVIN + `"]}`, 403, "forbidden", ""},

		{"unknown VIN", "GET", "/v1/public/inventory/1HGBH41JXMN000000", keyRead, "", 404, "not_found", ""},
		{"unknown VIN description", "GET", "/v1/public/inventory/1HGBH41JXMN000000/description", keyRead, "", 404, "not_found", ""},
		{"unknown VIN generate", "POST", "/v1/public/inventory/1HGBH41JXMN000000/description", keyRW, "", 404, "not_found", ""},
		{"other site's VIN", "GET", "/v1/public/inventory/" + docVIN, keyOther, "", 404, "not_found", ""},
		{"unknown path", "GET", "/v1/public/inventory/a/b/c", keyRead, "", 404, "not_found", ""},
		{"outside the API", "GET", "/v2/public/inventory", keyRead, "", 404, "not_found", ""},
		{"prefix lookalike", "GET", "/v1/public/inventoryx", keyRead, "", 404, "not_found", ""},

		{"limit zero", "GET", "/v1/public/inventory?limit=0", keyRead, "", 400, "validation_error", "limit"},
		{"limit too big", "GET", "/v1/public/inventory?limit=101", keyRead, "", 400, "validation_error", "limit"},
		{"limit not a number", "GET", "/v1/public/inventory?limit=ten", keyRead, "", 400, "validation_error", "limit"},
		{"year not a number", "GET", "/v1/public/inventory?year=2026a", keyRead, "", 400, "validation_error", "year"},
		{"bad condition", "GET", "/v1/public/inventory?condition=certified", keyRead, "", 400, "validation_error", "condition"},
		{"bad cursor", "GET", "/v1/public/inventory?cursor=%21%21%21", keyRead, "", 400, "validation_error", "cursor"},
		{"bad feed format", "GET", "/v1/public/inventory/feed?format=csv", keyRead, "", 400, "validation_error", "format"},
		{"empty VIN", "GET", "/v1/public/inventory/", keyRead, "", 400, "validation_error", "vin"},
		{"empty VIN generate", "POST", "/v1/public/inventory//description", keyRW, "", 400, "validation_error", "vin"},
		{"batch empty", "POST", "/v1/public/inventory/descriptions/batch", keyRW, `{"vins":[]}`, 400, "validation_error", "vins"},
		{"batch missing vins", "POST", "/v1/public/inventory/descriptions/batch", keyRW, `{}`, 400, "validation_error", "vins"},
		{"batch over 50", "POST", "/v1/public/inventory/descriptions/batch", keyRW, string(many), 400, "validation_error", "vins"},
		{"batch short VIN", "POST", "/v1/public/inventory/descriptions/batch", keyRW, `{"vins":["` + docVIN + `","ABC123"]}`, 400, "validation_error", "vins"},
		{"batch long VIN", "POST", "/v1/public/inventory/descriptions/batch", keyRW, `{"vins":["` + docVIN + `0"]}`, 400, "validation_error", "vins"},
		{"batch not JSON", "POST", "/v1/public/inventory/descriptions/batch", keyRW, `vins=1`, 400, "validation_error", "vins"},

		{"delete list", "DELETE", "/v1/public/inventory", keyRW, "", 405, "method_not_allowed", ""},
		{"get batch", "GET", "/v1/public/inventory/descriptions/batch", keyRW, "", 405, "method_not_allowed", ""},
		{"put description", "PUT", "/v1/public/inventory/" + docVIN + "/description", keyRW, "", 405, "method_not_allowed", ""},
		{"post details", "POST", "/v1/public/inventory/" + docVIN, keyRW, "", 405, "method_not_allowed", ""},
		{"post feed", "POST", "/v1/public/inventory/feed", keyRW, "", 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, ts, tt.method, tt.path, tt.key, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code == "" {
				return
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			e := decode[errorBody](t, r)
			if e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("error %+v, want code %q with a message", e.Error, tt.code)
			}
			if tt.param != "" && e.Error.Details["parameter"] != tt.param {
				t.Errorf("details %v, want parameter %q", e.Error.Details, tt.param)
			}
			if tt.status == 405 && r.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

// The documented bodies, byte for byte once compacted.
func TestDocumentedErrorBodies(t *testing.T) {
	_, ts := startSim(t, hriznsim.Options{})
	tests := []struct {
		name, method, path, key, want string
	}{
		{"missing read scope", "GET", "/v1/public/inventory", keyWrite, `{
  "error": {
    "code": "forbidden",
    "message": "This API key requires one of the following scopes: inventory:read",
    "details": {
      "required_scopes": ["inventory:read"]
    }
  }
}`},
		{"missing write scope", "POST", "/v1/public/inventory/" + docVIN + "/description", keyRead, `{
"error": {
"code": "forbidden",
"message": "This API key requires one of the following scopes: inventory:write",
"details": {
"required_scopes": ["inventory:write"]
}
}
}`},
		{"unauthorized", "GET", "/v1/public/inventory", "", `{"error":{"code":"unauthorized","message":"Missing or invalid API key"}}`},
		{"not found", "GET", "/v1/public/inventory/" + docVIN, keyOther,
			`{"error":{"code":"not_found","message":"Vehicle not found or belongs to a different site"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(tt.want)); err != nil {
				t.Fatal(err)
			}
			r := call(t, ts, tt.method, tt.path, tt.key, "")
			if got := bytes.TrimSpace(r.body); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("body\n%s\nwant\n%s", got, want.Bytes())
			}
		})
	}
}

// The documented example responses for the example vehicle, field for field.
func TestDocumentedResponses(t *testing.T) {
	_, ts := startSim(t, hriznsim.Options{})
	tests := []struct {
		name, path, want string
	}{
		{"details", "/v1/public/inventory/" + docVIN, `{"data":{"vin":"1HGBH41JXMN109186","year":2026,"make":"Honda",
			"model":"Civic","trim":"EX","condition":"new","price":28500,"msrp":29500,"mileage":12,
			"exterior_color":"Crystal Black Pearl","interior_color":"Black","engine":"2.0L 4-Cylinder",
			"transmission":"CVT","drivetrain":"FWD","fuel_type":"Gasoline","body_style":"Sedan",
			"features":["Apple CarPlay","Android Auto","Honda Sensing","Sunroof","Heated Seats"],
			"image_url":"https://cdn.example.com/vehicles/1HGBH41JXMN109186/main.jpg",
			"images":["https://cdn.example.com/vehicles/1HGBH41JXMN109186/main.jpg",
			"https://cdn.example.com/vehicles/1HGBH41JXMN109186/interior.jpg",
			"https://cdn.example.com/vehicles/1HGBH41JXMN109186/rear.jpg"],
			"ai_description":"The 2026 Honda Civic EX offers a perfect blend of style, technology, and efficiency. With its turbocharged engine, advanced Honda Sensing suite, and premium interior amenities, this sedan delivers an exceptional driving experience at a competitive price point.",
			"description_status":"completed","created_at":"2026-01-15T08:00:00Z","updated_at":"2026-02-01T10:00:00Z"}}`},
		{"description", "/v1/public/inventory/" + docVIN + "/description", `{"data":{"vin":"1HGBH41JXMN109186",
			"status":"completed","description":"The 2026 Honda Civic EX offers a perfect blend of style, technology, and efficiency. With its turbocharged engine, advanced Honda Sensing suite, and premium interior amenities, this sedan delivers an exceptional driving experience at a competitive price point.",
			"generated_at":"2026-02-01T09:45:00Z"}}`},
		{"generate", "", `{"data":{"vin":"1HGBH41JXMN109186","status":"generating"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result
			if tt.path == "" {
				r = call(t, ts, "POST", "/v1/public/inventory/"+docVIN+"/description", keyRW, "")
			} else {
				r = call(t, ts, "GET", tt.path, keyRead, "")
			}
			var got, want any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

type listBody struct {
	Data       []inventory.ListItem `json:"data"`
	Pagination inventory.Pagination `json:"pagination"`
}

// walk lists every page of a query and returns the VINs in order.
func walk(t *testing.T, ts string, do func(path string) result, query url.Values) []string {
	t.Helper()
	var vins []string
	for page := 0; ; page++ {
		r := do("/v1/public/inventory?" + query.Encode())
		if r.status != 200 {
			t.Fatalf("page %d: status %d: %s", page, r.status, r.body)
		}
		b := decode[listBody](t, r)
		for _, it := range b.Data {
			vins = append(vins, it.VIN)
		}
		if !b.Pagination.HasMore {
			if b.Pagination.NextCursor != nil {
				t.Fatalf("last page has next_cursor %q", *b.Pagination.NextCursor)
			}
			if b.Pagination.TotalCount != len(vins) {
				t.Fatalf("total_count %d, walked %d", b.Pagination.TotalCount, len(vins))
			}
			return vins
		}
		if b.Pagination.NextCursor == nil || *b.Pagination.NextCursor != inventory.EncodeCursor(vins[len(vins)-1]) {
			t.Fatalf("page %d: next_cursor %v is not the cursor of the last VIN", page, b.Pagination.NextCursor)
		}
		query.Set("cursor", *b.Pagination.NextCursor)
	}
}

func TestCursorWalkAndFilters(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{Vehicles: 300, Seed: 7})
	all := sim.Vehicles("")
	do := func(path string) result { return call(t, ts, "GET", path, keyRead, "") }
	tests := []struct {
		name  string
		query url.Values
		match inventory.Query
	}{
		{"everything, default limit", url.Values{}, inventory.Query{}},
		{"everything, limit 7", url.Values{"limit": {"7"}}, inventory.Query{}},
		{"everything, limit 100", url.Values{"limit": {"100"}}, inventory.Query{}},
		{"make partial, any case", url.Values{"make": {"hON"}}, inventory.Query{Make: "hON"}},
		{"model partial", url.Values{"model": {"ra"}, "limit": {"5"}}, inventory.Query{Model: "ra"}},
		{"year", url.Values{"year": {"2026"}}, inventory.Query{Year: 2026}},
		{"condition new", url.Values{"condition": {"new"}, "limit": {"9"}}, inventory.Query{Condition: inventory.New}},
		{"condition used, upper case", url.Values{"condition": {"USED"}}, inventory.Query{Condition: inventory.Used}},
		{"combined", url.Values{"make": {"toyota"}, "condition": {"used"}, "limit": {"2"}}, inventory.Query{Make: "toyota", Condition: inventory.Used}},
		{"nothing matches", url.Values{"make": {"Yugo"}}, inventory.Query{Make: "Yugo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for i := range all {
				if tt.match.Match(&all[i]) {
					want = append(want, all[i].VIN)
				}
			}
			got := walk(t, ts.URL, do, tt.query)
			if !slices.Equal(got, want) {
				t.Errorf("walk saw %d VINs, want %d (each once, in VIN order)", len(got), len(want))
			}
		})
	}
}

func TestStatsMatchComputeStats(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	r := call(t, ts, "GET", "/v1/public/inventory/stats", keyRead, "")
	got := decode[struct{ Data inventory.Stats }](t, r).Data
	if want := inventory.ComputeStats(sim.Vehicles("")); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if got.TotalVehicles != hriznsim.DefaultVehicles || got.WithoutAIDescription == 0 || got.NewVehicles == 0 || got.UsedVehicles == 0 {
		t.Errorf("implausible stats %+v", got)
	}
}

func TestFeedsParseBack(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	want := sim.Vehicles("")
	tests := []struct {
		format, contentType string
		// clean is what the format does to text: XML drops characters XML 1.0 forbids.
		clean func(string) string
	}{
		{"json", "application/json", func(s string) string { return s }},
		{"xml", "application/xml", inventory.CleanText},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			r := call(t, ts, "GET", "/v1/public/inventory/feed?format="+tt.format, keyRead, "")
			if ct := r.header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			got, err := inventory.ParseFeed(r.body)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d vehicles, want %d", len(got), len(want))
			}
			for i := range want {
				w := want[i].ToFeedItem()
				w.AIDescription = nil
				w.Trim, w.ExteriorColor = tt.clean(w.Trim), tt.clean(w.ExteriorColor)
				g := got[i].ToFeedItem()
				g.AIDescription = nil
				if gj, wj := fmt.Sprintf("%+v", jsonOf(t, g)), fmt.Sprintf("%+v", jsonOf(t, w)); gj != wj {
					t.Fatalf("vehicle %d:\n got %s\nwant %s", i, gj, wj)
				}
				if got[i].AIDescription != tt.clean(want[i].AIDescription) {
					t.Fatalf("vehicle %s: description %q, want %q", want[i].VIN, got[i].AIDescription, want[i].AIDescription)
				}
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOtherSiteSeesNothing(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	list := decode[listBody](t, call(t, ts, "GET", "/v1/public/inventory", keyOther, ""))
	if len(list.Data) != 0 || list.Pagination.TotalCount != 0 || list.Data == nil {
		t.Errorf("other site lists %+v, want an empty array", list)
	}
	feed, err := inventory.ParseFeed(call(t, ts, "GET", "/v1/public/inventory/feed", keyOther, "").body)
	if err != nil || len(feed) != 0 {
		t.Errorf("other site's feed: %d vehicles, %v", len(feed), err)
	}
	for _, v := range sim.Vehicles("")[:20] {
		if r := call(t, ts, "GET", "/v1/public/inventory/"+v.VIN, keyOther, ""); r.status != 404 {
			t.Errorf("%s: status %d for another site", v.VIN, r.status)
		}
	}
	batch := call(t, ts, "POST", "/v1/public/inventory/descriptions/batch", keyOther, `{"vins":["`+docVIN+`"]}`)
	if !strings.Contains(string(batch.body), `"status":"failed"`) {
		t.Errorf("other site's batch: %s", batch.body)
	}
}

func TestCustomSitesGetTheirOwnInventory(t *testing.T) {
	keys := []hriznsim.Key{
		{Key: "hzk_a", Scopes: []string{hriznsim.ScopeRead}, Site: "dealer-a"},
		{Key: "hzk_b", Scopes: []string{hriznsim.ScopeRead}, Site: "dealer-b"},
	}
	sim, ts := startSim(t, hriznsim.Options{Keys: keys, Vehicles: 40})
	a, b := sim.Vehicles("dealer-a"), sim.Vehicles("dealer-b")
	if len(a) != 40 || len(b) != 40 {
		t.Fatalf("sizes %d and %d, want 40", len(a), len(b))
	}
	for _, v := range a {
		if slices.ContainsFunc(b, func(w inventory.Vehicle) bool { return w.VIN == v.VIN }) {
			t.Fatalf("VIN %s is in both sites", v.VIN)
		}
	}
	if r := call(t, ts, "GET", "/v1/public/inventory/"+a[0].VIN, "hzk_b", ""); r.status != 404 {
		t.Errorf("dealer-b sees dealer-a's VIN: %d", r.status)
	}
	if r := call(t, ts, "GET", "/v1/public/inventory/"+a[0].VIN, "hzk_a", ""); r.status != 200 {
		t.Errorf("dealer-a cannot see its VIN: %d", r.status)
	}
	if r := call(t, ts, "GET", "/v1/public/inventory", keyRW, ""); r.status != 401 {
		t.Errorf("a default key works although Keys replaced them: %d", r.status)
	}
	again := hriznsim.New(hriznsim.Options{Keys: keys, Vehicles: 40})
	defer again.Close()
	if jsonOf(t, again.Vehicles("dealer-a")) != jsonOf(t, a) {
		t.Error("a site's inventory differs between two simulators with the same seed")
	}
}

func TestBatchPartialFailure(t *testing.T) {
	sim, ts := startSim(t, hriznsim.Options{})
	vs := sim.Vehicles("")
	body := fmt.Sprintf(`{"vins":[%q,"INVALIDVIN123",%q]}`, strings.ToLower(vs[3].VIN), vs[4].VIN)
	r := call(t, ts, "POST", "/v1/public/inventory/descriptions/batch", keyWrite, body)
	if r.status != 202 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	want := fmt.Sprintf(`{"data":{"items":[{"vin":%q,"status":"generating"},`+
		`{"vin":"INVALIDVIN123","status":"failed","error":"Vehicle not found or generation failed"},`+
		`{"vin":%q,"status":"generating"}]}}`, strings.ToLower(vs[3].VIN), vs[4].VIN)
	if got := string(bytes.TrimSpace(r.body)); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}
