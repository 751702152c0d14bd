package gateway

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// The drop-in inventory API answers the upstream's read endpoints (docs/upstream-api.md) with
// the same statuses, bodies and field names, from the tenant's cached snapshot. The key decides
// the tenant: there is no tenant in the path, so a key can only ever reach its own inventory.
// Answers are encoded through inventory's wire views and List, the code the simulator uses too.

// dropinPrefix is where the drop-in API lives: a website changes only its base URL.
const dropinPrefix = "/v1/public/inventory"

// Messages the upstream (and the simulator) use word for word.
const (
	msgVehicleNotFound = "Vehicle not found or belongs to a different site"
	msgVINRequired     = "VIN is required"
)

// dropinOutputFeed names the drop-in feed's rendered outputs in the Store; no configured feed
// can take it, since feed names are slugs without a leading underscore.
const dropinOutputFeed = "_inventory_feed"

// dropin holds what the drop-in, webhook and admin routes share: the server and their metrics.
type dropin struct {
	s      *Server
	m      *dropinMetrics
	replay ReplayGuard
}

// registerDropin adds the drop-in API, the webhook receiver and the admin routes to e.
func (s *Server) registerDropin(e *gin.Engine) {
	d := &dropin{s: s, m: newDropinMetrics(s.deps.Metrics, s.deps.Logger), replay: s.deps.Replay}
	d.registerInventoryAPI(e)
	d.registerWrites(e)
	d.registerWebhooks(e)
	d.registerAdmin(e)
}

func (d *dropin) registerInventoryAPI(e *gin.Engine) {
	read := func(h func(*gin.Context, *grant)) gin.HandlerFunc {
		return func(c *gin.Context) {
			g, ok := d.authorizeTenantKey(c, ScopeInventoryRead)
			if !ok {
				return
			}
			if err := checkQuery(c.Request.URL.RawQuery); err != nil {
				d.s.fail(c, err)
				return
			}
			h(c, g)
		}
	}
	e.GET(dropinPrefix, read(d.list))
	e.GET(dropinPrefix+"/feed", read(d.feed))
	e.GET(dropinPrefix+"/stats", read(d.stats))
	e.GET(dropinPrefix+"/:vin", read(d.details))
	e.GET(dropinPrefix+"/:vin/description", read(d.description))
	e.OPTIONS(dropinPrefix, d.preflight)
	e.OPTIONS(dropinPrefix+"/*rest", d.preflight)
}

// authorizeTenantKey admits a tenant key holding scope, answers CORS for the key's tenant and
// spends one request of the key's budget. Keys come from X-API-Key, Bearer or Basic, never
// from the query string: a key in a browser URL leaks into histories and logs. Feed keys and
// admin keys belong to no drop-in tenant and get the upstream's 403.
func (d *dropin) authorizeTenantKey(c *gin.Context, scope string) (*grant, bool) {
	st := d.s.state.Load()
	g, ok := st.keys.lookup(presentedKey(c.Request, false))
	if !ok {
		d.s.fail(c, errUnauthorized())
		return nil, false
	}
	setLogKey(c, g)
	ts, known := st.tenants[g.tenant]
	if g.admin || g.feed != "" || !known {
		d.s.fail(c, forbidden(scope))
		return nil, false
	}
	d.allowOrigin(c, st, g.tenant)
	if !slices.Contains(g.scopes, scope) {
		d.s.fail(c, forbidden(scope))
		return nil, false
	}
	if !d.s.allow(c, g, ts) {
		return nil, false
	}
	return g, true
}

// corsAllowHeaders are the request headers a browser may send to the drop-in API.
const corsAllowHeaders = "Authorization, X-API-Key, Content-Type, X-Request-ID"

// allowOrigin lets a browser page read the answer when the request's Origin is one of the
// tenant's cors_origins; any other origin gets no CORS header at all.
func (d *dropin) allowOrigin(c *gin.Context, st *state, tenant string) {
	origin := c.GetHeader("Origin")
	if origin == "" {
		return
	}
	c.Writer.Header().Add("Vary", "Origin")
	t, ok := st.cfg.Tenant(tenant)
	if !ok || !slices.Contains(t.CORSOrigins, origin) {
		return
	}
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Cache-Status, Age, Retry-After, X-Request-ID")
}

// preflight answers a CORS preflight. A browser sends no key with it, so the tenant is not known
// yet: an origin listed by any tenant is allowed to ask, and the real request is then checked
// against its key's tenant. Other origins get 204 with no CORS headers, which the browser refuses.
func (d *dropin) preflight(c *gin.Context) {
	st := d.s.state.Load()
	origin := c.GetHeader("Origin")
	h := c.Writer.Header()
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	if origin != "" && anyTenantAllows(st, origin) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", "600")
	}
	c.Status(http.StatusNoContent)
}

func anyTenantAllows(st *state, origin string) bool {
	for i := range st.cfg.Tenants {
		if slices.Contains(st.cfg.Tenants[i].CORSOrigins, origin) {
			return true
		}
	}
	return false
}

// snapshot is the key's tenant's snapshot; it answers the error itself.
func (d *dropin) snapshot(c *gin.Context, g *grant) (*inventory.Snapshot, Lookup, bool) {
	snap, lk, err := d.s.deps.Store.Snapshot(c.Request.Context(), g.tenant)
	if err != nil {
		d.s.fail(c, err)
		return nil, lk, false
	}
	d.m.reads.WithLabelValues(g.tenant, lk.Outcome.String()).Inc()
	d.cacheHeaders(c, lk)
	return snap, lk, true
}

// cacheHeaders say how fresh the answer is, as the feed routes do. Answers are per key, so no
// shared cache may keep them.
func (d *dropin) cacheHeaders(c *gin.Context, lk Lookup) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Age", strconv.FormatInt(int64(max(0, lk.Age)/time.Second), 10))
	h.Set("Cache-Status", cacheStatus(lk.Outcome, int64(lk.TTL/time.Second)))
}

// writeData answers status with body as JSON, the way the upstream does.
func (d *dropin) writeJSON(c *gin.Context, status int, body any) {
	data, err := inventory.MarshalJSON(body)
	if err != nil {
		d.s.fail(c, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: err})
		return
	}
	c.Data(status, "application/json", data)
}

// dataBody is the upstream's success envelope.
type dataBody struct {
	Data any `json:"data"`
}

// validation is the upstream's 400 naming the parameter.
func validation(param, message string) error {
	return errorf(inventory.EValidation, map[string]any{"parameter": param}, "%s", message)
}

// parseListQuery reads the list endpoint's parameters with the upstream's rules and messages.
func parseListQuery(c *gin.Context) (q inventory.Query, cursor string, limit int, err error) {
	limit = 25
	if v := c.Query("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 100 {
			return q, "", 0, validation("limit", "limit must be an integer between 1 and 100")
		}
		limit = n
	}
	q = inventory.Query{Make: c.Query("make"), Model: c.Query("model")}
	if v := c.Query("year"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil {
			return q, "", 0, validation("year", "year must be an integer")
		}
		q.Year = n
	}
	if v := c.Query("condition"); v != "" {
		cond := inventory.Condition(strings.ToLower(v))
		if cond != inventory.New && cond != inventory.Used {
			return q, "", 0, validation("condition", "condition must be new or used")
		}
		q.Condition = cond
	}
	cursor = c.Query("cursor")
	if _, cerr := inventory.DecodeCursor(cursor); cerr != nil {
		return q, "", 0, validation("cursor", "cursor must be the base64-encoded cursor of a previous response")
	}
	return q, cursor, limit, nil
}

// list answers GET /v1/public/inventory.
func (d *dropin) list(c *gin.Context, g *grant) {
	q, cursor, limit, err := parseListQuery(c)
	if err != nil {
		d.s.fail(c, err)
		return
	}
	snap, _, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	page, err := inventory.List(snap.Vehicles, q, cursor, limit)
	if err != nil {
		d.s.fail(c, validation("cursor", "cursor must be the base64-encoded cursor of a previous response"))
		return
	}
	out := inventory.ListResponse{
		Data:       make([]inventory.ListItem, len(page.Items)),
		Pagination: inventory.Pagination{HasMore: page.HasMore, TotalCount: page.TotalCount},
	}
	for i := range page.Items {
		out.Data[i] = page.Items[i].ToListItem()
	}
	if page.NextCursor != "" {
		out.Pagination.NextCursor = &page.NextCursor
	}
	d.writeJSON(c, http.StatusOK, out)
}

// vehicle finds the path's VIN in the tenant's snapshot, answering 400 or 404 itself.
func (d *dropin) vehicle(c *gin.Context, g *grant) (*inventory.Vehicle, bool) {
	vin := strings.TrimSpace(c.Param("vin"))
	if vin == "" {
		d.s.fail(c, validation("vin", msgVINRequired))
		return nil, false
	}
	snap, _, ok := d.snapshot(c, g)
	if !ok {
		return nil, false
	}
	v, found := snap.Find(vin)
	if !found {
		d.s.fail(c, inventory.Errorf(inventory.ENotFound, msgVehicleNotFound))
		return nil, false
	}
	return v, true
}

// details answers GET /v1/public/inventory/{vin}.
func (d *dropin) details(c *gin.Context, g *grant) {
	if v, ok := d.vehicle(c, g); ok {
		d.writeJSON(c, http.StatusOK, dataBody{v.ToDetails()})
	}
}

// description answers GET /v1/public/inventory/{vin}/description, not_generated included.
func (d *dropin) description(c *gin.Context, g *grant) {
	if v, ok := d.vehicle(c, g); ok {
		d.writeJSON(c, http.StatusOK, dataBody{v.ToDescriptionView()})
	}
}

// stats answers GET /v1/public/inventory/stats. Counting walks the whole inventory, so the
// answer is stored per snapshot version like the feed rather than counted on every request.
func (d *dropin) stats(c *gin.Context, g *grant) {
	d.serveStored(c, g, "hrizn-stats", "application/json", func(w io.Writer, vs []inventory.Vehicle) error {
		return inventory.WriteJSON(w, dataBody{inventory.ComputeStats(vs)})
	})
}

// feed answers GET /v1/public/inventory/feed?format=json|xml. The rendered bytes are kept in the
// Store under the snapshot's version like any feed, so a busy site renders once per snapshot.
func (d *dropin) feed(c *gin.Context, g *grant) {
	format := strings.ToLower(c.Query("format"))
	var (
		ctype string
		write = inventory.WriteFeedJSON
	)
	switch format {
	case "", "json":
		format, ctype = "json", "application/json"
	case "xml":
		ctype, write = "application/xml", inventory.WriteFeedXML
	default:
		d.s.fail(c, validation("format", "format must be json or xml"))
		return
	}
	d.serveStored(c, g, "hrizn-"+format, ctype, write)
}

// serveStored answers with a document derived from the tenant's snapshot alone, rendered once
// per snapshot version and kept in the Store (with its gzip copy) like a feed.
func (d *dropin) serveStored(c *gin.Context, g *grant, name, ctype string, write func(io.Writer, []inventory.Vehicle) error) {
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	key := OutputKey{Tenant: g.tenant, Feed: dropinOutputFeed, Format: name, Fingerprint: "v1", Version: snap.Version}
	out, outLk, err := d.s.deps.Store.Output(c.Request.Context(), key, snap, func() (Rendered, error) {
		var buf bytes.Buffer
		if err := write(&buf, snap.Vehicles); err != nil {
			return Rendered{}, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: err}
		}
		return Rendered{Body: buf.Bytes(), ContentType: ctype, ModifiedAt: snap.ModifiedAt}, nil
	})
	if err != nil {
		d.s.fail(c, err)
		return
	}
	lk.Outcome = cacheOutcome(lk, outLk)
	d.cacheHeaders(c, lk)
	h := c.Writer.Header()
	h.Add("Vary", "Accept-Encoding")
	body := out.Body
	if len(out.Gzip) > 0 && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		body = out.Gzip
		h.Set("Content-Encoding", "gzip")
	}
	c.Data(http.StatusOK, ctype, body)
}
