package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestEndpointsSucceed checks every typed endpoint's 2xx path against the simulator's own data.
func TestEndpointsSucceed(t *testing.T) {
	s := newSim(t, 40)
	c, _ := newTestClient(t, s.URL, keyRW, nil)
	ctx := context.Background()
	want := s.Vehicles(mainSite)
	v0 := want[0]

	t.Run("list", func(t *testing.T) {
		page, err := c.List(ctx, ListParams{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 5 || !page.Pagination.HasMore || page.Pagination.TotalCount != len(want) {
			t.Fatalf("page: %d items, pagination %+v", len(page.Data), page.Pagination)
		}
		if got := page.Data[0]; !reflect.DeepEqual(got, v0.ToListItem()) {
			t.Errorf("first item %+v, want %+v", got, v0.ToListItem())
		}
	})
	t.Run("list filtered", func(t *testing.T) {
		q := inventory.Query{Make: strings.ToLower(v0.Make[:3]), Condition: v0.Condition}
		page, err := c.List(ctx, ListParams{Query: q, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := range want {
			if q.Match(&want[i]) {
				n++
			}
		}
		if len(page.Data) != n || n == 0 {
			t.Errorf("filtered list has %d items, want %d", len(page.Data), n)
		}
	})
	t.Run("details", func(t *testing.T) {
		got, err := c.Details(ctx, strings.ToLower(v0.VIN))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.ToDetails(), v0.ToDetails()) {
			t.Errorf("details %+v, want %+v", got.ToDetails(), v0.ToDetails())
		}
	})
	t.Run("description", func(t *testing.T) {
		got, err := c.Description(ctx, v0.VIN)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, v0.ToDescriptionView()) {
			t.Errorf("description %+v, want %+v", got, v0.ToDescriptionView())
		}
	})
	for _, format := range []string{"json", "xml"} {
		t.Run("feed "+format, func(t *testing.T) {
			got, err := c.Feed(ctx, format)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d vehicles, want %d", len(got), len(want))
			}
			for i := range got {
				w := want[i]
				if format == "xml" {
					w = xmlRoundTrip(w)
				}
				if g, w := got[i].ToFeedItem(), w.ToFeedItem(); !reflect.DeepEqual(g, w) {
					t.Fatalf("vehicle %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
	t.Run("stats", func(t *testing.T) {
		got, err := c.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w := inventory.ComputeStats(want); got != w {
			t.Errorf("stats %+v, want %+v", got, w)
		}
	})
	t.Run("generate", func(t *testing.T) {
		got, err := c.GenerateDescription(ctx, v0.VIN)
		if err != nil {
			t.Fatal(err)
		}
		if got.VIN != v0.VIN || got.Status == "" || got.Status == "failed" {
			t.Errorf("generate answered %+v", got)
		}
	})
	t.Run("batch with a partial failure", func(t *testing.T) {
		unknown := "ZZZZZZZZZZZ00000"
		got, err := c.GenerateBatch(ctx, []string{want[1].VIN, unknown})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].VIN != want[1].VIN || got[0].Status == "failed" ||
			got[1].VIN != unknown || got[1].Status != "failed" || got[1].Error == "" {
			t.Errorf("batch answered %+v", got)
		}
	})
}

// xmlRoundTrip is v's feed fields as an XML feed can carry them: without the characters XML
// forbids (a carriage return survives, escaped as &#xD;).
func xmlRoundTrip(v inventory.Vehicle) inventory.Vehicle {
	for _, f := range []*string{&v.VIN, &v.Make, &v.Model, &v.Trim, &v.ExteriorColor, &v.InteriorColor, &v.AIDescription, &v.ImageURL} {
		*f = inventory.CleanText(*f)
	}
	return v
}

// TestEndpointErrorStatuses drives each endpoint's documented error statuses through the
// simulator and checks the APIError and its domain code.
func TestEndpointErrorStatuses(t *testing.T) {
	s := newSim(t, 20)
	vin := s.Vehicles(mainSite)[0].VIN
	calls := map[string]func(*Client) error{
		EndpointList:    func(c *Client) error { _, err := c.List(context.Background(), ListParams{Limit: 10}); return err },
		EndpointDetails: func(c *Client) error { _, err := c.Details(context.Background(), vin); return err },
		EndpointDescription: func(c *Client) error {
			_, err := c.Description(context.Background(), vin)
			return err
		},
		EndpointFeed:  func(c *Client) error { _, err := c.Feed(context.Background(), "xml"); return err },
		EndpointStats: func(c *Client) error { _, err := c.Stats(context.Background()); return err },
		EndpointGenerate: func(c *Client) error {
			_, err := c.GenerateDescription(context.Background(), vin)
			return err
		},
		EndpointBatch: func(c *Client) error {
			_, err := c.GenerateBatch(context.Background(), []string{vin})
			return err
		},
	}
	writes := map[string]bool{EndpointGenerate: true, EndpointBatch: true}
	perVIN := map[string]bool{EndpointDetails: true, EndpointDescription: true, EndpointGenerate: true}

	type tc struct {
		name, key  string
		faults     *hriznsim.Faults
		wantStatus int
		wantCode   string
	}
	for _, ep := range hriznsim.Endpoints() {
		cases := []tc{
			{name: "401", key: keyBad, wantStatus: 401, wantCode: inventory.EUnauthorized},
			{name: "500", key: keyRW, faults: &hriznsim.Faults{FailNext: 10, ErrorStatus: 500, Endpoints: []string{ep}},
				wantStatus: 500, wantCode: inventory.EUnavailable},
			{name: "429", key: keyRW, faults: &hriznsim.Faults{RateLimitNext: 10, RetryAfterS: 120, Endpoints: []string{ep}},
				wantStatus: 429, wantCode: inventory.ERateLimited},
		}
		if writes[ep] {
			cases = append(cases, tc{name: "403", key: keyRead, wantStatus: 403, wantCode: inventory.EForbidden})
		} else {
			cases = append(cases, tc{name: "403", key: keyWrite, wantStatus: 403, wantCode: inventory.EForbidden})
		}
		if perVIN[ep] {
			cases = append(cases, tc{name: "404", key: keyOther, wantStatus: 404, wantCode: inventory.ENotFound})
		}
		for _, tt := range cases {
			t.Run(ep+" "+tt.name, func(t *testing.T) {
				if tt.faults != nil {
					s.SetFaults(*tt.faults)
					defer s.SetFaults(hriznsim.Faults{})
				}
				c, rec := newTestClient(t, s.URL, tt.key, func(o *Options) { o.MaxRetries = -1 })
				err := calls[ep](c)
				var ae *APIError
				if !errors.As(err, &ae) {
					t.Fatalf("error %v is not an *APIError", err)
				}
				if ae.Status != tt.wantStatus || ae.Endpoint != ep || ae.Message == "" {
					t.Errorf("APIError %+v, want status %d on %s", ae, tt.wantStatus, ep)
				}
				if got := inventory.ErrorCode(err); got != tt.wantCode {
					t.Errorf("ErrorCode %q, want %q", got, tt.wantCode)
				}
				if tt.wantStatus == 403 && len(ae.RequiredScopes) == 0 {
					t.Errorf("403 without required scopes: %+v", ae)
				}
				if tt.wantStatus == 429 && ae.RetryAfter == 0 {
					t.Errorf("429 without RetryAfter: %+v", ae)
				}
				if got := rec.statuses(); !slices.Equal(got, []int{tt.wantStatus}) {
					t.Errorf("attempts %v, want exactly one", got)
				}
			})
		}
	}
}

// TestBadRequests covers 400: what the client refuses before sending, and what the upstream
// refuses (reached through Do, since the typed calls cannot produce it).
func TestBadRequests(t *testing.T) {
	s := newSim(t, 10)
	c, rec := newTestClient(t, s.URL, keyRW, nil)
	ctx := context.Background()
	local := []struct {
		name string
		call func() error
	}{
		{"details without VIN", func() error { _, err := c.Details(ctx, "  "); return err }},
		{"description without VIN", func() error { _, err := c.Description(ctx, ""); return err }},
		{"generate without VIN", func() error { _, err := c.GenerateDescription(ctx, ""); return err }},
		{"list limit over 100", func() error { _, err := c.List(ctx, ListParams{Limit: 101}); return err }},
		{"feed in csv", func() error { _, err := c.Feed(ctx, "csv"); return err }},
		{"empty batch", func() error { _, err := c.GenerateBatch(ctx, nil); return err }},
		{"batch of 51", func() error { _, err := c.GenerateBatch(ctx, make([]string, 51)); return err }},
		{"batch with a short VIN", func() error {
			_, err := c.GenerateBatch(ctx, []string{"1HGBH41JXMN109186", "1HGBH41"})
			return err
		}},
	}
	for _, tt := range local {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if inventory.ErrorCode(err) != inventory.EValidation || !strings.HasPrefix(err.Error(), "upstream: ") {
				t.Errorf("error %v, want an upstream: validation_error", err)
			}
		})
	}
	if st := s.Stats(); st.Total != 0 || len(rec.statuses()) != 0 {
		t.Errorf("invalid requests reached the upstream: %+v", st)
	}

	remote := []struct{ name, method, path, body string }{
		{"limit 0", "GET", "/public/inventory?limit=0", ""},
		{"bad cursor", "GET", "/public/inventory?cursor=%21%21", ""},
		{"batch of garbage", "POST", "/public/inventory/descriptions/batch", `{"vins":["x"]}`},
		{"batch not json", "POST", "/public/inventory/descriptions/batch", `nope`},
	}
	for _, tt := range remote {
		t.Run("upstream "+tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			status, _, resp, err := c.Do(ctx, tt.method, tt.path, body)
			if err != nil || status != http.StatusBadRequest {
				t.Fatalf("Do = %d, %v; want 400", status, err)
			}
			var eb inventory.ErrorBody
			if json.Unmarshal(resp, &eb) != nil || eb.Error.Code != inventory.EValidation {
				t.Errorf("body %s is not a validation_error", resp)
			}
		})
	}
}

func TestDoPassesThrough(t *testing.T) {
	s := newSim(t, 10)
	vin := s.Vehicles(mainSite)[0].VIN
	c, rec := newTestClient(t, s.URL, keyRW, nil)
	ctx := context.Background()

	status, hdr, body, err := c.Do(ctx, "post", "/public/inventory/"+vin+"/description", nil)
	if err != nil || status != http.StatusAccepted || !strings.Contains(hdr.Get("Content-Type"), "json") ||
		!strings.Contains(string(body), `"generating"`) && !strings.Contains(string(body), `"completed"`) {
		t.Fatalf("Do generate = %d %v %s", status, err, body)
	}
	status, _, _, err = c.Do(ctx, "GET", "/public/inventory/NOSUCHVIN00000000", nil)
	if err != nil || status != http.StatusNotFound {
		t.Fatalf("Do 404 = %d, %v; a non-2xx answer is passed through, not an error", status, err)
	}
	if got := rec.attempts[0].endpoint; got != EndpointGenerate {
		t.Errorf("Do observed endpoint %q, want generate", got)
	}

	for _, path := range []string{"/admin", "https://evil.example/public/inventory", "//evil.example/public/inventory",
		"/public/inventory/../../admin", "/public/inventoryx"} {
		if _, _, _, err := c.Do(ctx, "GET", path, nil); err == nil {
			t.Errorf("Do accepted path %q", path)
		}
	}
	if _, _, _, err := c.Do(ctx, "DELETE", "/public/inventory/"+vin, nil); err == nil {
		t.Error("Do accepted DELETE")
	}
}
