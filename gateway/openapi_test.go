package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// specFile is the OpenAPI description of every route, relative to this package.
const specFile = "../docs/openapi.yaml"

// specURL names the spec for the schema compiler; it is never fetched.
const specURL = "https://feedgate.invalid/docs/openapi.yaml"

// plannedRoutes are in docs/openapi.yaml (marked x-feedgate-planned) before the gateway serves
// them (none today). Remove an entry when its route lands; the test fails while a served route
// is still listed here.
var plannedRoutes = []string{}

// openAPI is docs/openapi.yaml decoded into JSON values, with a schema compiler over it.
type openAPI struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
}

func loadSpec(t *testing.T) *openAPI {
	t.Helper()
	raw, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	var y any
	if err := yaml.Unmarshal(raw, &y); err != nil {
		t.Fatalf("%s: %v", specFile, err)
	}
	// Through JSON, so that the compiler sees exactly what a JSON tool would (json.Number etc.).
	j, err := json.Marshal(y)
	if err != nil {
		t.Fatalf("%s is not JSON-compatible (a non-string key?): %v", specFile, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := doc.(map[string]any)
	if !ok || m["openapi"] != "3.1.0" {
		t.Fatalf("%s: not an OpenAPI 3.1.0 document", specFile)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // OpenAPI 3.1's schema dialect
	c.AssertFormat()                     // date-time values must be RFC 3339
	if err := c.AddResource(specURL, doc); err != nil {
		t.Fatal(err)
	}
	return &openAPI{doc: m, compiler: c}
}

// obj walks the document along keys, failing when a step is missing.
func (o *openAPI) obj(t *testing.T, keys ...string) map[string]any {
	t.Helper()
	cur := o.doc
	for i, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("%s: no %s", specFile, strings.Join(keys[:i+1], " → "))
		}
		cur = next
	}
	return cur
}

// pointer is a JSON pointer to keys, escaped for a URL fragment.
func pointer(keys ...string) string {
	var b strings.Builder
	for _, k := range keys {
		k = strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
		b.WriteString("/" + url.PathEscape(k))
	}
	return b.String()
}

// schema compiles the schema at keys (a JSON pointer into the spec).
func (o *openAPI) schema(t *testing.T, keys ...string) *jsonschema.Schema {
	t.Helper()
	sch, err := o.compiler.Compile(specURL + "#" + pointer(keys...))
	if err != nil {
		t.Fatalf("%s: schema at %v: %v", specFile, keys, err)
	}
	return sch
}

// response finds the response object that the spec declares for method, path and status, and
// the keys that lead to it (following a $ref to components/responses).
func (o *openAPI) response(t *testing.T, method, path string, status int) (map[string]any, []string) {
	t.Helper()
	keys := []string{"paths", path, strings.ToLower(method), "responses", fmt.Sprint(status)}
	resp := o.obj(t, keys...)
	if ref, ok := resp["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/components/responses/")
		if !found {
			t.Fatalf("%s: %v: unexpected $ref %s", specFile, keys, ref)
		}
		keys = []string{"components", "responses", name}
		resp = o.obj(t, keys...)
	}
	return resp, keys
}

// check validates a live answer against the spec: its status is declared for the operation, its
// media type is one the spec lists, and a JSON body matches the schema given for it.
func (o *openAPI) check(t *testing.T, method, path string, got answer) {
	t.Helper()
	resp, keys := o.response(t, method, path, got.status)
	content, _ := resp["content"].(map[string]any)
	mt, _, err := mime.ParseMediaType(got.header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s %s: Content-Type %q: %v", method, path, got.header.Get("Content-Type"), err)
	}
	if _, ok := content[mt]; !ok {
		t.Fatalf("%s %s %d: media type %s is not in the spec (%v)", method, path, got.status, mt, slices.Sorted(maps.Keys(content)))
	}
	if mt != "application/json" {
		return
	}
	o.validate(t, fmt.Sprintf("%s %s %d", method, path, got.status), o.schema(t, append(keys, "content", mt, "schema")...), got.body)
}

// validate checks a JSON body against sch.
func (o *openAPI) validate(t *testing.T, what string, sch *jsonschema.Schema, body []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: body is not JSON: %v: %s", what, err, body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s: body does not match the spec: %v\nbody: %s", what, err, body)
	}
}

// operations are the spec's "METHOD /path" pairs, and those marked x-feedgate-planned.
func (o *openAPI) operations(t *testing.T) (ops, planned []string) {
	t.Helper()
	for path, item := range o.obj(t, "paths") {
		item, _ := item.(map[string]any)
		for method, op := range item {
			switch method {
			case "get", "head", "post", "put", "patch", "delete", "options":
			default:
				continue
			}
			name := strings.ToUpper(method) + " " + path
			ops = append(ops, name)
			if op, _ := op.(map[string]any); op["x-feedgate-planned"] == true {
				planned = append(planned, name)
			}
		}
	}
	sort.Strings(ops)
	sort.Strings(planned)
	return ops, planned
}

// specRoute turns a Gin route into the spec's spelling: :param and *param become {param}.
func specRoute(r gin.RouteInfo) string {
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		if len(s) > 1 && (s[0] == ':' || s[0] == '*') {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return r.Method + " " + strings.Join(segs, "/")
}

// covers reports whether the Gin route serves the spec's operation. A catch-all (*rest) serves
// every operation of that method below its prefix: the drop-in API's CORS preflight is one Gin
// route for all its paths, and the spec lists an options operation on each of them.
func covers(r gin.RouteInfo, op string) bool {
	if specRoute(r) == op {
		return true
	}
	i := strings.LastIndex(r.Path, "/*")
	if i < 0 {
		return false
	}
	return strings.HasPrefix(op, r.Method+" "+r.Path[:i+1])
}

// routeDiff lists the Gin routes that no spec operation describes and the spec operations that no
// Gin route serves.
func routeDiff(routes gin.RoutesInfo, ops []string) (onlyGin, onlySpec []string) {
	for _, r := range routes {
		if !slices.ContainsFunc(ops, func(op string) bool { return covers(r, op) }) {
			onlyGin = append(onlyGin, r.Method+" "+r.Path)
		}
	}
	for _, op := range ops {
		if !slices.ContainsFunc(routes, func(r gin.RouteInfo) bool { return covers(r, op) }) {
			onlySpec = append(onlySpec, op)
		}
	}
	sort.Strings(onlyGin)
	sort.Strings(onlySpec)
	return onlyGin, onlySpec
}

// TestOpenAPIDescribesEveryRoute: every route the gateway's engine serves is in
// docs/openapi.yaml and every operation there is served, except the planned ones listed above.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	spec := loadSpec(t)
	ops, planned := spec.operations(t)
	if !slices.Equal(planned, slices.Sorted(slices.Values(plannedRoutes))) {
		t.Errorf("operations marked x-feedgate-planned %v differ from plannedRoutes %v", planned, plannedRoutes)
	}
	e := newDropinEnv(t, hriznsim.Options{Vehicles: 10})
	routes := gateway.Routes(e.srv)
	if len(routes) < 20 {
		t.Fatalf("only %d Gin routes: %v", len(routes), routes)
	}
	onlyGin, onlySpec := routeDiff(routes, ops)
	if len(onlyGin) > 0 {
		t.Errorf("routes served but missing from %s: %v", specFile, onlyGin)
	}
	var missing []string
	for _, op := range onlySpec {
		if !slices.Contains(plannedRoutes, op) {
			missing = append(missing, op)
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations in %s that the gateway does not serve: %v", specFile, missing)
	}
	for _, p := range plannedRoutes {
		if !slices.Contains(onlySpec, p) {
			t.Errorf("%s is served now: remove it from plannedRoutes and its x-feedgate-planned mark", p)
		}
	}

	// The comparison itself notices a route on either side only.
	extra := append(slices.Clone(routes), gin.RouteInfo{Method: http.MethodDelete, Path: "/feeds/:tenant/:feed"})
	if g, _ := routeDiff(extra, ops); !slices.Contains(g, "DELETE /feeds/:tenant/:feed") {
		t.Errorf("an undocumented Gin route went unnoticed: %v", g)
	}
	if _, s := routeDiff(routes, append(slices.Clone(ops), "PUT /healthz")); !slices.Contains(s, "PUT /healthz") {
		t.Errorf("an unserved spec operation went unnoticed: %v", s)
	}
	if !covers(gin.RouteInfo{Method: http.MethodOptions, Path: "/v1/public/inventory/*rest"}, "OPTIONS /v1/public/inventory/{vin}") ||
		covers(gin.RouteInfo{Method: http.MethodOptions, Path: "/v1/public/inventory/*rest"}, "GET /v1/public/inventory/{vin}") {
		t.Error("catch-all matching is wrong")
	}
}

// TestOpenAPISchemasMatchLiveAnswers: real answers of the gateway (over the simulator, the memory
// cache and the wiring the other tests use) match the schemas docs/openapi.yaml declares for
// them, and those schemas are strict enough to refuse a wrong body.
func TestOpenAPISchemasMatchLiveAnswers(t *testing.T) {
	spec := loadSpec(t)
	e := newDropinEnv(t, hriznsim.Options{})
	web := []string{"X-API-Key", e.keys["website"]}
	crm := []string{"X-API-Key", e.keys["crm"]}
	admin := []string{"X-API-Key", e.keys["admin"]}
	const vin = "1HGBH41JXMN109186" // the documentation's example, always in the simulator

	event, err := json.Marshal(map[string]any{
		"id": "evt_openapi", "type": "inventory.description.completed", "created_at": time.Now().UTC().Format(time.RFC3339),
		"data": map[string]string{"vin": vin, "status": "completed"},
	})
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		method, target, path string // path: the spec's path
		body                 []byte
		headers              []string
		status               int
	}{
		{"GET", "/feeds/sunset/google", "/feeds/{tenant}/{feed}", nil, nil, 401},
		{"GET", "/admin/tenants/sunset", "/admin/tenants/{tenant}", nil, admin, 200}, // cold: no snapshot, no sync
		{"GET", "/v1/public/inventory?limit=2&condition=used", "/v1/public/inventory", nil, web, 200},
		{"GET", "/v1/public/inventory?limit=500", "/v1/public/inventory", nil, web, 400},
		{"GET", "/v1/public/inventory/" + vin, "/v1/public/inventory/{vin}", nil, web, 200},
		{"GET", "/v1/public/inventory/" + vin + "/description", "/v1/public/inventory/{vin}/description", nil, web, 200},
		{"GET", "/v1/public/inventory/NOSUCHVIN0000000", "/v1/public/inventory/{vin}", nil, web, 404},
		{"GET", "/v1/public/inventory/stats", "/v1/public/inventory/stats", nil, web, 200},
		{"GET", "/v1/public/inventory/feed", "/v1/public/inventory/feed", nil, web, 200},
		{"GET", "/v1/public/inventory/stats", "/v1/public/inventory/stats", nil, []string{"X-API-Key", e.keys["reader"]}, 403},
		{"POST", "/v1/public/inventory/descriptions/batch", "/v1/public/inventory/descriptions/batch", []byte(`{"vins":[]}`), crm, 400},
		{"POST", "/v1/public/inventory/descriptions/batch", "/v1/public/inventory/descriptions/batch",
			[]byte(`{"vins":["` + vin + `","1FTFW1E50PFA00000"]}`), crm, 202},
		{"POST", "/admin/tenants/sunset/refresh", "/admin/tenants/{tenant}/refresh", nil, admin, 200},
		{"GET", "/admin/tenants/sunset", "/admin/tenants/{tenant}", nil, admin, 200},
		{"GET", "/admin/tenants/sunset/feeds/google/diagnostics", "/admin/tenants/{tenant}/feeds/{feed}/diagnostics", nil, admin, 200},
		{"GET", "/admin/tenants/sunset/feeds/nope/diagnostics", "/admin/tenants/{tenant}/feeds/{feed}/diagnostics", nil, admin, 404},
		{"POST", "/admin/tenants/sunset/accept", "/admin/tenants/{tenant}/accept", nil, admin, 404},
		{"POST", "/webhooks/sunset", "/webhooks/{tenant}", event, []string{"Authorization", "Bearer whsec_sunset"}, 0},
		{"POST", "/webhooks/sunset", "/webhooks/{tenant}", event, []string{"Authorization", "Bearer whsec_sunset"}, 200}, // duplicate
		{"GET", "/admin/", "/admin/", nil, admin, 200},
		{"GET", "/healthz", "/healthz", nil, nil, 200},
		{"GET", "/readyz", "/readyz", nil, nil, 200},
		{"GET", "/metrics", "/metrics", nil, nil, 200},
	}
	for _, s := range steps {
		got := e.gw(s.method, s.target, s.body, s.headers...)
		if s.status != 0 && got.status != s.status {
			t.Fatalf("%s %s: status %d, want %d: %s", s.method, s.target, got.status, s.status, got.body)
		}
		spec.check(t, s.method, s.path, got)
	}

	// An unknown route and a wrong method are in the error shape too, though no operation names them.
	errSchema := spec.schema(t, "components", "schemas", "Error")
	for _, r := range []struct{ method, target string }{{"GET", "/nowhere"}, {"DELETE", "/healthz"}} {
		got := e.gw(r.method, r.target, nil)
		spec.validate(t, r.method+" "+r.target, errSchema, got.body)
	}

	// The schemas refuse what the gateway must never send.
	for _, bad := range []struct {
		name   string
		keys   []string
		body   string
		reason string
	}{
		{"error without message", []string{"components", "schemas", "Error"}, `{"error":{"code":"not_found"}}`, "message"},
		{"unknown error code", []string{"components", "schemas", "Error"}, `{"error":{"code":"oops","message":"m"}}`, "code"},
		{"list item with a stray field", []string{"components", "schemas", "ListResponse"},
			`{"data":[{"vin":"1HGBH41JXMN109186","year":2026,"make":"Honda","model":"Civic","trim":"EX","condition":"new","price":1,"mileage":1,"exterior_color":"","interior_color":"","has_description":true,"image_url":"","updated_at":"2026-02-01T10:00:00Z","upstream_key":"hzk_x"}],"pagination":{"has_more":false,"next_cursor":null,"total_count":1}}`, "additional"},
		{"details with a bad time", []string{"components", "schemas", "DescriptionView"},
			`{"vin":"1HGBH41JXMN109186","status":"completed","description":"d","generated_at":"yesterday"}`, "date-time"},
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad.body))
		if err != nil {
			t.Fatal(err)
		}
		err = spec.schema(t, bad.keys...).Validate(inst)
		if err == nil || !strings.Contains(err.Error(), bad.reason) {
			t.Errorf("%s: schema accepted it or said something else: %v", bad.name, err)
		}
	}
}

// TestOpenAPIDocumentIsConsistent: every $ref in docs/openapi.yaml resolves, every schema
// compiles, every security requirement names a declared scheme, and every {param} of a path is
// declared as a path parameter of each of its operations.
func TestOpenAPIDocumentIsConsistent(t *testing.T) {
	spec := loadSpec(t)
	schemes := spec.obj(t, "components", "securitySchemes")
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" {
					if _, ok := spec.resolve(ref); !ok {
						t.Errorf("%s: $ref %s does not resolve", at, ref)
					}
				}
				if k == "security" {
					reqs, _ := x.([]any)
					for _, req := range reqs {
						for name := range req.(map[string]any) {
							if _, ok := schemes[name]; !ok {
								t.Errorf("%s: security scheme %q is not declared", at, name)
							}
						}
					}
				}
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(spec.doc, "")
	for name := range spec.obj(t, "components", "schemas") {
		spec.schema(t, "components", "schemas", name)
	}
	for path, item := range spec.obj(t, "paths") {
		item := item.(map[string]any)
		var want []string
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				want = append(want, seg[1:len(seg)-1])
			}
		}
		for method, op := range item {
			op, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			var have []string
			for _, list := range []any{item["parameters"], op["parameters"]} {
				ps, _ := list.([]any)
				for _, p := range ps {
					p := p.(map[string]any)
					if ref, ok := p["$ref"].(string); ok {
						p, _ = spec.resolve(ref)
					}
					if p["in"] == "path" {
						have = append(have, p["name"].(string))
					}
				}
			}
			sort.Strings(have)
			if w := slices.Sorted(slices.Values(want)); !slices.Equal(have, w) {
				t.Errorf("%s %s: path parameters %v, want %v", method, path, have, w)
			}
		}
	}
}

// resolve follows a local $ref ("#/a/b") to the object it names.
func (o *openAPI) resolve(ref string) (map[string]any, bool) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	cur := o.doc
	for _, k := range strings.Split(rest, "/") {
		k = strings.ReplaceAll(strings.ReplaceAll(k, "~1", "/"), "~0", "~")
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}
