package e2e_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// docsClient is a client written from docs/upstream-api.md alone: base URL, key in X-API-Key,
// and the documented shapes. Pointing it at feedgate instead of Hrizn changes only those two.
type docsClient struct {
	t       *testing.T
	base    string
	key     string
	headers []string
}

type listItem struct {
	VIN            string `json:"vin"`
	HasDescription bool   `json:"has_description"`
}

type listPage struct {
	Data       []listItem `json:"data"`
	Pagination struct {
		HasMore    bool    `json:"has_more"`
		NextCursor *string `json:"next_cursor"`
		TotalCount int     `json:"total_count"`
	} `json:"pagination"`
}

func (c docsClient) get(path string) reply {
	return call(c.t, http.MethodGet, c.base+path, nil, append([]string{"X-API-Key", c.key}, c.headers...)...)
}

// walk follows next_cursor from the first page to the last and returns every VIN in order.
func (c docsClient) walk(query url.Values) (vins []string, total int) {
	c.t.Helper()
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			c.t.Fatal("the walk does not end")
		}
		var p listPage
		r := c.get("/public/inventory?" + q.Encode())
		if r.status != 200 {
			c.t.Fatalf("list %s: %d %s", q.Encode(), r.status, r.body)
		}
		decode(c.t, r, &p)
		for _, it := range p.Data {
			vins = append(vins, it.VIN)
		}
		total = p.Pagination.TotalCount
		if !p.Pagination.HasMore {
			return vins, total
		}
		q.Set("cursor", *p.Pagination.NextCursor)
	}
}

// TestDropinAgainstTheRealBinaries: the documented client gets from feedgate what it gets from
// the upstream: every VIN exactly once, the same filters, stats, feeds and errors; a write goes
// through to the upstream, whose webhook makes the next read show the new description.
func TestDropinAgainstTheRealBinaries(t *testing.T) {
	s := startSystem(t, 300)
	gw := docsClient{t: t, base: s.gw + "/v1", key: s.keys["crm"]}
	up := docsClient{t: t, base: s.sim + "/v1", key: "hzk_sim_rw"}

	t.Run("every VIN exactly once", func(t *testing.T) {
		got, total := gw.walk(url.Values{"limit": {"17"}})
		want, _ := up.walk(url.Values{"limit": {"100"}})
		seen := map[string]bool{}
		for _, v := range got {
			if seen[v] {
				t.Fatalf("VIN %s twice", v)
			}
			seen[v] = true
		}
		if len(got) != 300 || total != 300 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("walked %d VINs (total_count %d), upstream %d", len(got), total, len(want))
		}
	})

	t.Run("filters match the upstream", func(t *testing.T) {
		for _, q := range []string{"make=honda", "make=TOY&condition=used", "model=cr", "year=2024", "condition=new&limit=100", "make=ford&model=f&year=2023"} {
			vals, _ := url.ParseQuery(q)
			got, gt := gw.walk(vals)
			want, wt := up.walk(vals)
			if strings.Join(got, ",") != strings.Join(want, ",") || gt != wt {
				t.Errorf("%s: gateway %d VINs (total %d), upstream %d (total %d)", q, len(got), gt, len(want), wt)
			}
		}
	})

	for _, path := range []string{"/public/inventory/stats", "/public/inventory/feed?format=json", "/public/inventory/feed?format=xml",
		"/public/inventory/1HGBH41JXMN109186"} {
		t.Run("same answer "+path, func(t *testing.T) {
			g, u := gw.get(path), up.get(path)
			if g.status != 200 || g.status != u.status || !bytes.Equal(g.body, u.body) {
				t.Fatalf("gateway %d %.200s\nupstream %d %.200s", g.status, g.body, u.status, u.body)
			}
		})
	}

	t.Run("every bad input gets its documented error", func(t *testing.T) {
		for _, path := range []string{"/public/inventory?limit=0", "/public/inventory?limit=101", "/public/inventory?year=x",
			"/public/inventory?condition=mint", "/public/inventory?cursor=@@", "/public/inventory/feed?format=yaml",
			"/public/inventory/ZZZZZZZZZZZ", "/public/inventory/ZZZZZZZZZZZ/description"} {
			g, u := gw.get(path), up.get(path)
			if g.status != u.status || !bytes.Equal(g.body, u.body) {
				t.Errorf("%s: gateway %d %s, upstream %d %s", path, g.status, g.body, u.status, u.body)
			}
		}
		for _, body := range []string{`{"vins":[]}`, `{"vins":["SHORT"]}`, `nonsense`} {
			g := call(t, http.MethodPost, s.gw+"/v1/public/inventory/descriptions/batch", []byte(body), "X-API-Key", s.keys["crm"])
			u := call(t, http.MethodPost, s.sim+"/v1/public/inventory/descriptions/batch", []byte(body), "X-API-Key", "hzk_sim_rw")
			if g.status != 400 || !bytes.Equal(g.body, u.body) {
				t.Errorf("batch %s: gateway %d %s, upstream %s", body, g.status, g.body, u.body)
			}
		}
		checks := []struct {
			name, method, path, key string
			status                  int
			code                    string
		}{
			{"no key", http.MethodGet, "/v1/public/inventory", "", 401, "unauthorized"},
			{"wrong key", http.MethodGet, "/v1/public/inventory", "fgk_wrong", 401, "unauthorized"},
			{"read key writes", http.MethodPost, "/v1/public/inventory/1HGBH41JXMN109186/description", s.keys["website"], 403, "forbidden"},
			{"feed key reads", http.MethodGet, "/v1/public/inventory", s.keys["google"], 403, "forbidden"},
			{"other tenant's VIN", http.MethodGet, "/v1/public/inventory/1HGBH41JXMN109186", s.keys["other"], 404, "not_found"},
		}
		for _, c := range checks {
			var headers []string
			if c.key != "" {
				headers = []string{"X-API-Key", c.key}
			}
			r := call(t, c.method, s.gw+c.path, nil, headers...)
			if r.status != c.status || !strings.Contains(string(r.body), `"code":"`+c.code+`"`) {
				t.Errorf("%s: %d %s", c.name, r.status, r.body)
			}
		}
	})

	t.Run("write-through, webhook, next read", func(t *testing.T) {
		var vin string
		items, _ := up.walk(url.Values{"limit": {"100"}})
		for _, v := range items {
			if r := up.get("/public/inventory/" + v + "/description"); strings.Contains(string(r.body), "not_generated") {
				vin = v
				break
			}
		}
		if vin == "" {
			t.Fatal("no undescribed vehicle in the simulator")
		}
		if r := gw.get("/public/inventory/" + vin + "/description"); !strings.Contains(string(r.body), "not_generated") {
			t.Fatalf("before: %s", r.body)
		}
		before := simCount(t, s.sim, "generate")
		r := call(t, http.MethodPost, s.gw+"/v1/public/inventory/"+vin+"/description", nil, "X-API-Key", s.keys["crm"])
		if r.status != 202 || !strings.Contains(string(r.body), `"status":"generating"`) {
			t.Fatalf("generate: %d %s", r.status, r.body)
		}
		if n := simCount(t, s.sim, "generate"); n != before+1 {
			t.Fatalf("the simulator saw %d generate calls, want %d", n, before+1)
		}
		// The simulator completes at once and posts its signed webhook to feedgate, which
		// refreshes; poll until a read shows it (the guard only bounds a broken run).
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := gw.get("/public/inventory/" + vin + "/description")
			if strings.Contains(string(r.body), `"status":"completed"`) {
				u := up.get("/public/inventory/" + vin + "/description")
				text := regexp.MustCompile(`"description":"[^"]*"`)
				if text.FindString(string(r.body)) != text.FindString(string(u.body)) {
					t.Fatalf("description differs:\n%s\n%s", r.body, u.body)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the description never showed: %s", r.body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		m := string(call(t, http.MethodGet, s.gw+"/metrics", nil).body)
		if !strings.Contains(m, `feedgate_webhooks_total{reason="description_completed",result="accepted"}`) {
			t.Error("the webhook was not counted")
		}
	})
}

// simCount is the simulator's request count for an endpoint.
func simCount(t *testing.T, sim, endpoint string) int {
	t.Helper()
	var c struct {
		Requests map[string]int `json:"requests"`
	}
	decode(t, call(t, http.MethodGet, sim+"/_sim/stats", nil), &c)
	return c.Requests[endpoint]
}
