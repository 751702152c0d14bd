package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// UpstreamWriter sends a drop-in write to the upstream with the tenant's own upstream key, which
// never leaves the server. cmd/feedgate's wiring forwards it to upstream.Client.Do.
type UpstreamWriter interface {
	// Forward sends method and path (relative to the upstream's base URL, starting with
	// "/public/inventory") with body and returns the upstream's answer whatever its status.
	// err is non-nil only when no answer arrived; it is then an *inventory.Error (for example
	// upstream_unavailable) or a cause the gateway reports as 502.
	Forward(ctx context.Context, tenant, method, path string, body []byte) (UpstreamAnswer, error)
}

// UpstreamAnswer is an upstream's answer to a write: a success is passed back to the caller, an
// error is mapped to feedgate's own (see passBack).
type UpstreamAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// maxBatchVINs and maxWriteBody are the upstream's batch limit and a bound on a write's body
// (50 VINs take about 1 KB).
const (
	maxBatchVINs = 50
	maxWriteBody = 64 << 10
)

// upstreamPath is the drop-in prefix as the upstream client takes it (relative to its base URL).
const upstreamPath = "/public/inventory"

func (d *dropin) registerWrites(e *gin.Engine) {
	write := func(h func(*gin.Context, *grant)) gin.HandlerFunc {
		return func(c *gin.Context) {
			if g, ok := d.authorizeTenantKey(c, ScopeInventoryWrite); ok {
				h(c, g)
			}
		}
	}
	e.POST(dropinPrefix+"/:vin/description", write(d.generate))
	e.POST(dropinPrefix+"/descriptions/batch", write(d.batch))
}

// generate answers POST /v1/public/inventory/{vin}/description: forwarded as is; on 202 the VIN
// is marked so the next read refreshes its description.
func (d *dropin) generate(c *gin.Context, g *grant) {
	vin := strings.TrimSpace(c.Param("vin"))
	if vin == "" {
		d.s.fail(c, validation("vin", msgVINRequired))
		return
	}
	ans, ok := d.forward(c, g, "generate", upstreamPath+"/"+url.PathEscape(vin)+"/description", nil)
	if !ok {
		return
	}
	if ans.Status == http.StatusAccepted {
		d.mark(c, g.tenant, []string{inventory.NormalizeVIN(vin)})
	}
	d.passBack(c, g, "generate", ans)
}

// batchRequest is the batch endpoint's body.
type batchRequest struct {
	VINs []string `json:"vins"`
}

// batch answers POST /v1/public/inventory/descriptions/batch after the upstream's own checks
// (1–50 VINs of 11–17 characters), so a bad request never costs an upstream call. The upstream's
// answer, partial failures included, goes back unchanged; the VINs it accepted are marked.
func (d *dropin) batch(c *gin.Context, g *grant) {
	req, err := readBatch(c.Request.Body)
	if err != nil {
		d.s.fail(c, err)
		return
	}
	body, err := json.Marshal(req)
	if err != nil {
		d.s.fail(c, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: err})
		return
	}
	ans, ok := d.forward(c, g, "batch", upstreamPath+"/descriptions/batch", body)
	if !ok {
		return
	}
	if ans.Status == http.StatusAccepted {
		d.mark(c, g.tenant, acceptedVINs(req.VINs, ans.Body))
	}
	d.passBack(c, g, "batch", ans)
}

// readBatch decodes and checks a batch body with the simulator's words for each problem.
func readBatch(r io.Reader) (batchRequest, error) {
	var req batchRequest
	data, err := io.ReadAll(io.LimitReader(r, maxWriteBody+1))
	if err != nil || len(data) > maxWriteBody || json.Unmarshal(data, &req) != nil {
		return req, validation("vins", "request body must be a JSON object with a vins array")
	}
	if len(req.VINs) == 0 || len(req.VINs) > maxBatchVINs {
		return req, validation("vins", "vins must hold between 1 and 50 VINs")
	}
	for i, vin := range req.VINs {
		if !inventory.ValidUpstreamVIN(strings.TrimSpace(vin)) {
			return req, validation("vins", "vins["+strconv.Itoa(i)+"] must be a VIN of 11 to 17 characters")
		}
	}
	return req, nil
}

// acceptedVINs are the VINs of a batch the upstream did not mark failed; all of them when its
// answer cannot be read.
func acceptedVINs(asked []string, body []byte) []string {
	var ans struct {
		Data struct {
			Items []inventory.GenerateItem `json:"items"`
		} `json:"data"`
	}
	out := make([]string, 0, len(asked))
	if json.Unmarshal(body, &ans) != nil || len(ans.Data.Items) == 0 {
		for _, v := range asked {
			out = append(out, inventory.NormalizeVIN(v))
		}
		return out
	}
	for _, it := range ans.Data.Items {
		if it.Status != inventory.DescriptionFailed {
			out = append(out, inventory.NormalizeVIN(it.VIN))
		}
	}
	return out
}

// forward sends the write upstream; false means the error was answered.
func (d *dropin) forward(c *gin.Context, g *grant, endpoint, path string, body []byte) (UpstreamAnswer, bool) {
	if d.s.deps.Upstream == nil {
		d.s.fail(c, inventory.Errorf(inventory.EUnavailable, "Writes are not configured on this gateway"))
		return UpstreamAnswer{}, false
	}
	ans, err := d.s.deps.Upstream.Forward(c.Request.Context(), g.tenant, http.MethodPost, path, body)
	if err != nil {
		var e *inventory.Error
		if !errors.As(err, &e) {
			err = &inventory.Error{Code: inventory.EUnavailable, Message: "The upstream API could not be reached", Err: err}
		}
		d.m.writes.WithLabelValues(g.tenant, endpoint, "error").Inc()
		d.s.fail(c, err)
		return UpstreamAnswer{}, false
	}
	return ans, true
}

// passBack answers a write with the upstream's answer. A success is passed back as JSON (never
// under the upstream's own content type, never a body that is not JSON or that holds the
// tenant's upstream key). An error is never passed back as it came: an upstream error page
// may echo the X-API-Key or carry a stack trace, and through CORS a browser would read it. It is
// mapped to the documented error shape with feedgate's own message (upstreamWriteError); the
// log names the upstream status only. The upstream refusing the tenant's upstream key (401, 403)
// is the gateway's configuration failing, not the caller's key: upstream_unavailable.
func (d *dropin) passBack(c *gin.Context, g *grant, endpoint string, ans UpstreamAnswer) {
	d.m.writes.WithLabelValues(g.tenant, endpoint, strconv.Itoa(ans.Status)).Inc()
	log := d.s.deps.Logger
	if ans.Status >= 200 && ans.Status < 300 {
		if t, ok := d.s.state.Load().cfg.Tenant(g.tenant); !json.Valid(ans.Body) ||
			ok && t.UpstreamKey != "" && bytes.Contains(ans.Body, []byte(t.UpstreamKey.Reveal())) {
			log.Error("the upstream answered a write with a body that is not JSON or that holds the upstream key; not passed back",
				"tenant", g.tenant, "endpoint", endpoint, "upstream_status", ans.Status)
			d.s.fail(c, inventory.Errorf(inventory.EUnavailable, "The upstream API gave an unreadable answer to this write"))
			return
		}
		c.Header("Cache-Control", "no-store")
		c.Data(ans.Status, "application/json", ans.Body)
		return
	}
	if ans.Status == http.StatusUnauthorized || ans.Status == http.StatusForbidden {
		log.Error("the upstream refused the tenant's upstream_key for a write", "tenant", g.tenant,
			"endpoint", endpoint, "upstream_status", ans.Status)
	} else {
		log.Warn("the upstream refused a write", "tenant", g.tenant, "endpoint", endpoint, "upstream_status", ans.Status)
	}
	d.s.fail(c, upstreamWriteError(ans))
}

// upstreamWriteError is feedgate's own error for an upstream's error answer to a write. Only
// what can be checked is taken from the answer: its status, a Retry-After of whole seconds, and
// for a 400 the name of the parameter when it is a plain identifier.
func upstreamWriteError(ans UpstreamAnswer) error {
	switch ans.Status {
	case http.StatusBadRequest:
		var details map[string]any
		if p := upstreamParameter(ans.Body); p != "" {
			details = map[string]any{"parameter": p}
		}
		return errorf(inventory.EValidation, details, "The upstream API refused the write as invalid")
	case http.StatusNotFound:
		return inventory.Errorf(inventory.ENotFound, msgVehicleNotFound)
	case http.StatusUnauthorized, http.StatusForbidden:
		return inventory.Errorf(inventory.EUnavailable, "The upstream API refused this dealership's credentials; the gateway's operator has to fix them")
	case http.StatusTooManyRequests:
		return errorf(inventory.ERateLimited, retryAfterOf(ans.Header), "The upstream API's rate limit for this dealership was reached")
	}
	return errorf(inventory.EUnavailable, retryAfterOf(ans.Header), "The upstream API could not take the write; try again later")
}

// retryAfterOf carries an upstream Retry-After of 1 s to 1 h over as the error's hint; anything
// else (a date, a bogus value) falls back to the gateway's default.
func retryAfterOf(h http.Header) map[string]any {
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && n >= 1 && n <= 3600 {
		return map[string]any{retryAfterDetail: n}
	}
	return nil
}

// upstreamParameter is the parameter an upstream 400 names, when it is a plain identifier such
// as vins or vins[3]; "" otherwise.
func upstreamParameter(body []byte) string {
	var e inventory.ErrorBody
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	p, _ := e.Error.Details["parameter"].(string)
	if p == "" || len(p) > 40 {
		return ""
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '[' || r == ']') {
			return ""
		}
	}
	return p
}

// mark asks the cache to re-fetch the VINs on the next sync and treats the snapshot as stale,
// and with scheduled refresh asks for that sync soon. A failure is logged: the write itself
// succeeded upstream, and the next scheduled sync still sees the change once the upstream moves
// updated_at.
func (d *dropin) mark(c *gin.Context, tenant string, vins []string) {
	if d.s.deps.Admin == nil || len(vins) == 0 {
		return
	}
	if err := d.s.deps.Admin.MarkForRefresh(context.WithoutCancel(c.Request.Context()), tenant, vins); err != nil {
		d.s.deps.Logger.Warn("marking written VINs for refresh failed", "tenant", tenant, "err", err.Error())
	}
	d.s.deps.Admin.Schedule(tenant)
}
