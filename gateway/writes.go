package gateway

import (
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
// never leaves the server. cmd/feedgate adapts upstream.Client.Do to it.
type UpstreamWriter interface {
	// Forward sends method and path (relative to the upstream's base URL, starting with
	// "/public/inventory") with body and returns the upstream's answer whatever its status.
	// err is non-nil only when no answer arrived; it is then an *inventory.Error (for example
	// upstream_unavailable) or a cause the gateway reports as 502.
	Forward(ctx context.Context, tenant, method, path string, body []byte) (UpstreamAnswer, error)
}

// UpstreamAnswer is an upstream's answer, passed back to the caller unchanged.
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

// passBack answers with the upstream's status and body; only headers that describe the body or
// ask for a retry are kept (nothing of the upstream's own infrastructure). The exception is the
// upstream refusing the tenant's upstream key (401, 403): the caller's own key was accepted, so
// passing that back would tell a website its valid key is wrong. It is the gateway's
// configuration that fails, so the answer is upstream_unavailable, and the log says why.
func (d *dropin) passBack(c *gin.Context, g *grant, endpoint string, ans UpstreamAnswer) {
	d.m.writes.WithLabelValues(g.tenant, endpoint, strconv.Itoa(ans.Status)).Inc()
	if ans.Status == http.StatusUnauthorized || ans.Status == http.StatusForbidden {
		d.s.deps.Logger.Error("the upstream refused the tenant's upstream_key for a write", "tenant", g.tenant,
			"endpoint", endpoint, "upstream_status", ans.Status)
		d.s.fail(c, inventory.Errorf(inventory.EUnavailable, "The upstream API refused this dealership's credentials; the gateway's operator has to fix them"))
		return
	}
	ctype := ans.Header.Get("Content-Type")
	if ctype == "" {
		ctype = "application/json"
	}
	if ra := ans.Header.Get("Retry-After"); ra != "" {
		c.Header("Retry-After", ra)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(ans.Status, ctype, ans.Body)
}

// mark asks the cache to re-fetch the VINs on the next sync and treats the snapshot as stale. A
// failure is logged: the write itself succeeded upstream, and the next scheduled sync still sees
// the change once the upstream moves updated_at.
func (d *dropin) mark(c *gin.Context, tenant string, vins []string) {
	if d.s.deps.Admin == nil || len(vins) == 0 {
		return
	}
	if err := d.s.deps.Admin.MarkForRefresh(context.WithoutCancel(c.Request.Context()), tenant, vins); err != nil {
		d.s.deps.Logger.Warn("marking written VINs for refresh failed", "tenant", tenant, "err", err.Error())
	}
}
