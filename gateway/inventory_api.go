package gateway

import (
	"bytes"
	"errors"
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
	hdr    *dropinHeaders
	cached CachedOutputStore // the Store's lookup without a render function; nil if it has none
	page   *adminPageAssets
}

// registerDropin adds the drop-in API, the webhook receiver and the admin routes to e.
func (s *Server) registerDropin(e *gin.Engine) {
	d := &dropin{s: s, m: newDropinMetrics(s.deps.Metrics, s.deps.Logger), replay: s.deps.Replay, hdr: newDropinHeaders(),
		page: newAdminPageAssets()}
	d.cached, _ = s.deps.Store.(CachedOutputStore)
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
			// Only a percent escape or a semicolon can make a query string malformed.
			if raw := c.Request.URL.RawQuery; containsEither(raw, '%', ';') {
				if err := checkQuery(raw); err != nil {
					d.s.fail(c, err)
					return
				}
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
	d.allowOrigin(c, ts)
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
// tenant's cors_origins; any other origin gets no CORS header at all. The origins are the
// tenant's state's, so a read does not search the configuration's tenants for them.
func (d *dropin) allowOrigin(c *gin.Context, ts *tenantState) {
	origin := headerValue(c.Request.Header, "Origin")
	if origin == "" {
		return
	}
	c.Writer.Header().Add("Vary", "Origin")
	if !slices.Contains(ts.corsOrigins, origin) {
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

// snapshot is the key's tenant's snapshot; it answers the error itself. An answer derived from
// it says how fresh it is (writeAnswer, or failAfter for an error).
func (d *dropin) snapshot(c *gin.Context, g *grant) (*inventory.Snapshot, Lookup, bool) {
	snap, lk, err := d.s.deps.Store.Snapshot(c.Request.Context(), g.tenant)
	if err != nil {
		d.s.fail(c, err)
		return nil, lk, false
	}
	d.m.countRead(g.tenant, lk.Outcome)
	return snap, lk, true
}

// failAfter answers err to a request that got the snapshot lk describes, with its freshness.
func (d *dropin) failAfter(c *gin.Context, lk Lookup, err error) {
	d.cacheHeaders(c, lk)
	d.s.fail(c, err)
}

// cacheHeaders say how fresh the answer is, as the feed routes do. Answers are per key, so no
// shared cache may keep them.
func (d *dropin) cacheHeaders(c *gin.Context, lk Lookup) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Age", strconv.FormatInt(int64(max(0, lk.Age)/time.Second), 10))
	setCacheStatus(c, h, []string{cacheStatus(lk.Outcome, int64(lk.TTL/time.Second))})
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

// list answers GET /v1/public/inventory. A page is stored per snapshot version and normalised
// query (limit, cursor, filters), so a page asked again is served from its stored bytes.
func (d *dropin) list(c *gin.Context, g *grant) {
	lq, err := parseListQuery(c.Request.URL.RawQuery)
	if err != nil {
		d.s.fail(c, err)
		return
	}
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	ans := d.answer(g, snap, "hrizn-list", d.hdr.listKey(lq), jsonType)
	if !d.serveCached(c, snap, lk, ans) {
		d.serveRendered(c, snap, lk, ans, func() (Rendered, error) {
			body, err := listPage(snap.Vehicles, lq)
			return renderJSON(snap, body, err)
		})
	}
}

// listPage is the list endpoint's answer for lq.
func listPage(vs []inventory.Vehicle, lq listQuery) (any, error) {
	page, err := inventory.List(vs, lq.q, lq.cursor, lq.limit)
	if err != nil {
		return nil, errBadCursor()
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
	return out, nil
}

// vehicle finds the path's VIN in the tenant's snapshot, answering 400 or 404 itself.
func (d *dropin) vehicle(c *gin.Context, g *grant) (*inventory.Snapshot, Lookup, *inventory.Vehicle, bool) {
	vin := strings.TrimSpace(c.Param("vin"))
	if vin == "" {
		d.s.fail(c, validation("vin", msgVINRequired))
		return nil, Lookup{}, nil, false
	}
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return nil, lk, nil, false
	}
	v, found := snap.Find(vin)
	if !found {
		d.failAfter(c, lk, inventory.Errorf(inventory.ENotFound, msgVehicleNotFound))
		return nil, lk, nil, false
	}
	return snap, lk, v, true
}

// details answers GET /v1/public/inventory/{vin}, stored per snapshot version and VIN.
func (d *dropin) details(c *gin.Context, g *grant) {
	d.serveVehicle(c, g, "hrizn-details.v1", func(v *inventory.Vehicle) any { return v.ToDetails() })
}

// description answers GET /v1/public/inventory/{vin}/description, not_generated included,
// stored per snapshot version and VIN.
func (d *dropin) description(c *gin.Context, g *grant) {
	d.serveVehicle(c, g, "hrizn-description.v1", func(v *inventory.Vehicle) any { return v.ToDescriptionView() })
}

// serveVehicle answers with view of the path's vehicle, from its stored bytes once rendered.
// The answer's variant is the VIN as the snapshot spells it, name carrying the code's version.
func (d *dropin) serveVehicle(c *gin.Context, g *grant, name string, view func(*inventory.Vehicle) any) {
	snap, lk, v, ok := d.vehicle(c, g)
	if !ok {
		return
	}
	vin := v.VIN
	ans := d.answer(g, snap, name, vin, jsonType)
	if !d.serveCached(c, snap, lk, ans) {
		d.serveRendered(c, snap, lk, ans, func() (Rendered, error) {
			v, found := snap.Find(vin)
			if !found {
				return renderJSON(snap, nil, inventory.Errorf(inventory.ENotFound, msgVehicleNotFound))
			}
			return renderJSON(snap, dataBody{view(v)}, nil)
		})
	}
}

// stats answers GET /v1/public/inventory/stats. Counting walks the whole inventory, so the
// answer is stored per snapshot version like the feed rather than counted on every request.
func (d *dropin) stats(c *gin.Context, g *grant) {
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	ans := d.answer(g, snap, "hrizn-stats", "v1", jsonType)
	if !d.serveCached(c, snap, lk, ans) {
		d.serveRendered(c, snap, lk, ans, func() (Rendered, error) {
			return renderWith(snap, jsonType, writeStats)
		})
	}
}

func writeStats(w io.Writer, vs []inventory.Vehicle) error {
	return inventory.WriteJSON(w, dataBody{inventory.ComputeStats(vs)})
}

// feed answers GET /v1/public/inventory/feed?format=json|xml. The rendered bytes are kept in the
// Store under the snapshot's version like any feed, so a busy site renders once per snapshot.
func (d *dropin) feed(c *gin.Context, g *grant) {
	var (
		name, ctype = "hrizn-json", jsonType
		write       = inventory.WriteFeedJSON
	)
	switch strings.ToLower(queryValue(c.Request.URL.RawQuery, "format")) {
	case "", "json":
	case "xml":
		name, ctype, write = "hrizn-xml", "application/xml", inventory.WriteFeedXML
	default:
		d.s.fail(c, validation("format", "format must be json or xml"))
		return
	}
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	ans := d.answer(g, snap, name, "v1", ctype)
	if !d.serveCached(c, snap, lk, ans) {
		d.serveRendered(c, snap, lk, ans, func() (Rendered, error) {
			return renderWith(snap, ctype, write)
		})
	}
}

// jsonType is the Content-Type of the drop-in API's JSON answers, the upstream's.
const jsonType = "application/json"

// renderWith renders the document write makes of snap.
func renderWith(snap *inventory.Snapshot, ctype string, write func(io.Writer, []inventory.Vehicle) error) (Rendered, error) {
	var buf bytes.Buffer
	err := write(&buf, snap.Vehicles)
	return rendered(snap, ctype, buf.Bytes(), err)
}

// renderJSON renders body as JSON, the bytes writeJSON would send, or answers err.
func renderJSON(snap *inventory.Snapshot, body any, err error) (Rendered, error) {
	var data []byte
	if err == nil {
		data, err = inventory.MarshalJSON(body)
	}
	return rendered(snap, jsonType, data, err)
}

// rendered is the Rendered of data, or err to answer: an *inventory.Error as it is (a
// validation or not-found answer), anything else as an internal error.
func rendered(snap *inventory.Snapshot, ctype string, data []byte, err error) (Rendered, error) {
	if err != nil {
		var ie *inventory.Error
		if errors.As(err, &ie) {
			return Rendered{}, err
		}
		return Rendered{}, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: err}
	}
	return Rendered{Body: data, ContentType: ctype, ModifiedAt: snap.ModifiedAt}, nil
}

// storedAnswer names a document derived from a tenant's snapshot alone, rendered once per
// snapshot version (and variant: a page's query, a VIN) and kept in the Store with its gzip
// copy, like a feed; it is served as ctype. A new snapshot has another version, so an old
// document cannot answer for it.
type storedAnswer struct {
	key   OutputKey
	ctype string
}

// answer names the document name/variant of g's tenant's snapshot.
func (d *dropin) answer(g *grant, snap *inventory.Snapshot, name, variant, ctype string) storedAnswer {
	return storedAnswer{OutputKey{Tenant: g.tenant, Feed: dropinOutputFeed, Format: name, Fingerprint: variant, Version: snap.Version}, ctype}
}

// serveCached answers with ans when this process holds it, and reports whether it did. It
// asks a Store that can look without a render function (CachedOutputStore), so that a caller
// builds its render function only for serveRendered, when the answer is not at hand.
func (d *dropin) serveCached(c *gin.Context, snap *inventory.Snapshot, lk Lookup, ans storedAnswer) bool {
	if d.cached == nil {
		return false
	}
	out, outLk, ok := d.cached.CachedOutput(ans.key, snap)
	if ok {
		d.writeAnswer(c, lk, outLk, out, ans.ctype)
	}
	return ok
}

// serveRendered answers with ans, rendered by render unless the Store has it. A render that
// fails with an *inventory.Error answers with that error (nothing is stored).
func (d *dropin) serveRendered(c *gin.Context, snap *inventory.Snapshot, lk Lookup, ans storedAnswer,
	render func() (Rendered, error)) {
	out, outLk, err := d.s.deps.Store.Output(c.Request.Context(), ans.key, snap, render)
	if err != nil {
		d.failAfter(c, lk, err)
		return
	}
	d.writeAnswer(c, lk, outLk, out, ans.ctype)
}

// writeAnswer sends a stored answer like a feed: a strong ETag, 304 when If-None-Match has it,
// gzip when asked; lk is the snapshot's lookup and outLk the answer's.
func (d *dropin) writeAnswer(c *gin.Context, lk, outLk Lookup, out Rendered, ctype string) {
	lk.Outcome = cacheOutcome(lk, outLk)
	// The header values are the answer's prepared ones (inventory_headers.go), as a feed's are:
	// a hit formats nothing. The Content-Type is the endpoint's, whatever the Store kept.
	out.ContentType = ctype
	p := d.hdr.forAnswer(&out)
	// Only the Age and Cache-Status of the feeds' values: the drop-in's Cache-Control is its own.
	a := p.agesFor(int64(max(0, lk.Age)/time.Second), int64(lk.TTL/time.Second), lk.Outcome)
	body, etag, length, useGzip := p.pick(&out, headerValue(c.Request.Header, "Accept-Encoding"))
	h := c.Writer.Header()
	h["Cache-Control"], h["Age"] = d.hdr.cacheControl, a.ageHdr
	setCacheStatus(c, h, a.cacheStatusHdr)
	if len(h["Vary"]) == 0 {
		h["Vary"] = p.varyHdr
	} else {
		h["Vary"] = append(h["Vary"], p.varyHdr[0])
	}
	if out.ETag != "" {
		h["Etag"] = etag
		if inm := headerValue(c.Request.Header, "If-None-Match"); inm != "" && etagMatches(inm, p.quoted, p.quotedGzip) {
			c.Status(http.StatusNotModified)
			return
		}
	}
	p.setEntity(h, length, useGzip)
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
}
