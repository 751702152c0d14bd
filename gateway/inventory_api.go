package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// list answers GET /v1/public/inventory. A page is stored per snapshot version and normalised
// query (limit, cursor, filters), so a page asked again is served from its stored bytes.
func (d *dropin) list(c *gin.Context, g *grant) {
	q, cursor, limit, err := parseListQuery(c)
	if err != nil {
		d.s.fail(c, err)
		return
	}
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	norm := listKey(q, cursor, limit)
	d.serveStored(c, g, snap, lk, "hrizn-list", norm, func(vs []inventory.Vehicle) (any, error) {
		page, err := inventory.List(vs, q, cursor, limit)
		if err != nil {
			return nil, validation("cursor", "cursor must be the base64-encoded cursor of a previous response")
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
	})
}

// listKey names a list page in the Store: a hash of its normalised parameters, so that any
// spelling of the same query (order, escapes, defaults) finds the same stored page, and a
// client's long filter values make no long keys.
func listKey(q inventory.Query, cursor string, limit int) string {
	var buf [256]byte
	b := strconv.AppendQuote(buf[:0], q.Make)
	b = strconv.AppendQuote(b, q.Model)
	b = strconv.AppendInt(append(b, '|'), int64(q.Year), 10)
	b = strconv.AppendQuote(append(b, '|'), string(q.Condition))
	b = strconv.AppendQuote(b, cursor)
	b = strconv.AppendInt(append(b, '|'), int64(limit), 10)
	sum := sha256.Sum256(b)
	var out [3 + 32]byte
	copy(out[:], "v1-")
	hex.Encode(out[3:], sum[:16])
	return string(out[:])
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
		d.s.fail(c, inventory.Errorf(inventory.ENotFound, msgVehicleNotFound))
		return nil, lk, nil, false
	}
	return snap, lk, v, true
}

// details answers GET /v1/public/inventory/{vin}, stored per snapshot version and VIN.
func (d *dropin) details(c *gin.Context, g *grant) {
	d.serveVehicle(c, g, "hrizn-details", func(v *inventory.Vehicle) any { return v.ToDetails() })
}

// description answers GET /v1/public/inventory/{vin}/description, not_generated included,
// stored per snapshot version and VIN.
func (d *dropin) description(c *gin.Context, g *grant) {
	d.serveVehicle(c, g, "hrizn-description", func(v *inventory.Vehicle) any { return v.ToDescriptionView() })
}

// serveVehicle answers with view of the path's vehicle, from its stored bytes once rendered.
func (d *dropin) serveVehicle(c *gin.Context, g *grant, name string, view func(*inventory.Vehicle) any) {
	snap, lk, v, ok := d.vehicle(c, g)
	if !ok {
		return
	}
	vin := v.VIN
	d.serveStored(c, g, snap, lk, name, "v1-"+vin, func([]inventory.Vehicle) (any, error) {
		v, found := snap.Find(vin)
		if !found {
			return nil, inventory.Errorf(inventory.ENotFound, msgVehicleNotFound)
		}
		return dataBody{view(v)}, nil
	})
}

// stats answers GET /v1/public/inventory/stats. Counting walks the whole inventory, so the
// answer is stored per snapshot version like the feed rather than counted on every request.
func (d *dropin) stats(c *gin.Context, g *grant) {
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	d.serveRendered(c, g, snap, lk, "hrizn-stats", "v1", "application/json", func(w io.Writer, vs []inventory.Vehicle) error {
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
	snap, lk, ok := d.snapshot(c, g)
	if !ok {
		return
	}
	d.serveRendered(c, g, snap, lk, "hrizn-"+format, "v1", ctype, write)
}

// serveStored answers with a JSON document derived from the tenant's snapshot alone, the bytes
// writeJSON would send, rendered once per snapshot version and variant and then served from
// the Store like a feed.
func (d *dropin) serveStored(c *gin.Context, g *grant, snap *inventory.Snapshot, lk Lookup, name, variant string,
	body func([]inventory.Vehicle) (any, error)) {
	d.serveRendered(c, g, snap, lk, name, variant, "application/json", func(w io.Writer, vs []inventory.Vehicle) error {
		b, err := body(vs)
		if err != nil {
			return err
		}
		data, err := inventory.MarshalJSON(b)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
}

// serveRendered answers with a document derived from the tenant's snapshot alone, rendered once
// per snapshot version (and variant: a page's query, a VIN) and kept in the Store, with its
// gzip copy, like a feed: a strong ETag, 304 when If-None-Match has it, gzip when asked. A new
// snapshot has another version, so an old document cannot answer for it. A render that fails
// with an *inventory.Error answers with that error (nothing is stored).
func (d *dropin) serveRendered(c *gin.Context, g *grant, snap *inventory.Snapshot, lk Lookup, name, variant, ctype string,
	write func(io.Writer, []inventory.Vehicle) error) {
	key := OutputKey{Tenant: g.tenant, Feed: dropinOutputFeed, Format: name, Fingerprint: variant, Version: snap.Version}
	out, outLk, err := d.s.deps.Store.Output(c.Request.Context(), key, snap, func() (Rendered, error) {
		var buf bytes.Buffer
		if err := write(&buf, snap.Vehicles); err != nil {
			var ie *inventory.Error
			if errors.As(err, &ie) {
				return Rendered{}, err
			}
			return Rendered{}, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: err}
		}
		return Rendered{Body: buf.Bytes(), ContentType: ctype, ModifiedAt: snap.ModifiedAt}, nil
	})
	if err != nil {
		d.s.fail(c, err)
		return
	}
	lk.Outcome = cacheOutcome(lk, outLk)
	// The header values in one allocation (what feeds build once per output, feed_headers.go).
	quoted := quoteETag(out.ETag)
	useGzip := len(out.Gzip) > 0 && acceptsGzip(headerValue(c.Request.Header, "Accept-Encoding"))
	body, etag := out.Body, quoted
	if useGzip {
		body, etag = out.Gzip, gzipETag(quoted)
	}
	vals := []string{"private, no-cache", strconv.FormatInt(int64(max(0, lk.Age)/time.Second), 10),
		cacheStatus(lk.Outcome, int64(lk.TTL/time.Second)), "Accept-Encoding", etag, "gzip", ctype, strconv.Itoa(len(body))}
	one := func(i int) []string { return vals[i : i+1 : i+1] }
	h := c.Writer.Header()
	h["Cache-Control"], h["Age"], h["Cache-Status"] = one(0), one(1), one(2)
	if len(h["Vary"]) == 0 {
		h["Vary"] = one(3)
	} else {
		h["Vary"] = append(h["Vary"], vals[3])
	}
	if out.ETag != "" {
		h["Etag"] = one(4)
		if inm := headerValue(c.Request.Header, "If-None-Match"); inm != "" && etagMatches(inm, quoted, gzipETag(quoted)) {
			c.Status(http.StatusNotModified)
			return
		}
	}
	if useGzip {
		h["Content-Encoding"] = one(5)
	}
	h["Content-Type"], h["Content-Length"] = one(6), one(7)
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
}
