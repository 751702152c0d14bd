package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// The status page is rendered on the server from one html/template with inline SVG charts: no
// build step, nothing fetched from elsewhere. Its one script (assets/admin.js) only drives the
// Accept and Refresh buttons; it is inlined and allowed by its hash in the page's CSP.

//go:embed assets/admin.html assets/admin.js
var adminAssets embed.FS

// adminTemplate is parsed once; a broken template fails every test, never a deploy.
var adminTemplate = template.Must(template.New("admin.html").Funcs(template.FuncMap{
	"ago": ago,
	"ms": func(d time.Duration) string {
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 0, 64) + " ms"
	},
	"joinCall": joinCalls,
	"until":    until,
	"reason":   reasonWords,
}).ParseFS(adminAssets, "assets/admin.html"))

// adminPageData is the page's model.
type adminPageData struct {
	Now     time.Time
	Tenants []adminPageTenant
	Script  template.JS
	// Redis is the shared layer's state: "ok", "degraded" (unreachable) or "off" (not configured).
	Redis string
}

type adminPageTenant struct {
	*adminTenantView
	Vehicles chart
	Latency  chart
	// Changes are the newest entries of the tenant's change log, in plain words.
	Changes []changeLine
	// ChangesNote says why there are none to show ("" when Changes is meant to be read).
	ChangesNote string
}

// changeLine is one change-log entry as the page shows it.
type changeLine struct {
	At   time.Time
	Text string
}

// pageChanges is how many change-log entries the page shows per tenant.
const pageChanges = 5

// chart is one inline SVG line chart.
type chart struct {
	Width, Height int
	Points        string // the polyline's points; "" when there is nothing to draw
	Dots          []point
	// Fails mark the failed syncs in red: on the line where the sync has a value, on the
	// bottom edge where it has none (a failed sync counted no vehicles).
	Fails    []point
	Min, Max string
	Last     string
	// Failed is the number of failed syncs in the chart.
	Failed int
}

type point struct{ X, Y float64 }

const chartW, chartH, chartPad = 260, 64, 6

// newChart plots values left to right, scaled to the chart's height. A NaN value (a failed
// sync's vehicle count) has no point on the line; failed[i] marks value i as a failed sync.
func newChart(values []float64, failed []bool, format func(float64) string) chart {
	c := chart{Width: chartW, Height: chartH}
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, v := range values {
		if !math.IsNaN(v) {
			lo, hi, n = min(lo, v), max(hi, v), n+1
		}
	}
	span := hi - lo
	var sb strings.Builder
	last := math.NaN()
	for i, v := range values {
		x := float64(chartW) / 2
		if len(values) > 1 {
			x = chartPad + float64(i)*float64(chartW-2*chartPad)/float64(len(values)-1)
		}
		if math.IsNaN(v) {
			if i < len(failed) && failed[i] {
				c.Fails = append(c.Fails, point{X: x, Y: chartH - chartPad})
				c.Failed++
			}
			continue
		}
		y := float64(chartH) / 2
		if span > 0 {
			y = chartH - chartPad - (v-lo)/span*float64(chartH-2*chartPad)
		}
		p := point{X: x, Y: y}
		c.Dots = append(c.Dots, p)
		if i < len(failed) && failed[i] {
			c.Fails = append(c.Fails, p)
			c.Failed++
		}
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%.1f,%.1f", p.X, p.Y)
		last = v
	}
	if n > 1 {
		c.Points = sb.String()
	}
	if len(c.Dots) > 40 {
		c.Dots = c.Dots[len(c.Dots)-1:] // many points: mark the latest only
	}
	if n > 0 {
		c.Min, c.Max, c.Last = format(lo), format(hi), format(last)
	}
	return c
}

// historyCharts plots a tenant's recent syncs: the vehicle count of each successful one and the
// duration of every one, failed syncs marked on both.
func historyCharts(h []SyncRecord) (vehicles, latency chart) {
	counts := make([]float64, len(h))
	durs := make([]float64, len(h))
	failed := make([]bool, len(h))
	for i, r := range h {
		counts[i] = math.NaN()
		if r.OK {
			counts[i] = float64(r.Vehicles)
		}
		durs[i] = float64(r.Duration.Microseconds()) / 1000
		failed[i] = !r.OK
	}
	return newChart(counts, failed, func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }),
		newChart(durs, failed, func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) + " ms" })
}

// pageChangeLines reads the newest entries of the tenant's change log for the page; the note
// says why there are none.
func (d *dropin) pageChangeLines(ctx context.Context, tenant string) ([]changeLine, string) {
	if d.s.deps.Changes == nil {
		return nil, "no change log: it needs Redis or a local store (cache.dir)"
	}
	entries, _, err := d.s.deps.Changes.Changes(ctx, tenant, "", pageChanges)
	if err != nil {
		return nil, "the change log cannot be read: " + inventory.ErrorMessage(err)
	}
	if len(entries) == 0 {
		return nil, "no changes recorded yet"
	}
	lines := make([]changeLine, len(entries))
	for i, e := range entries {
		lines[i] = changeLine{At: e.At, Text: changeWords(e)}
	}
	return lines, ""
}

// changeWords says what one sync changed, e.g. "2 new, 1 sold, 1 price change (… 28,500 → 27,900)".
func changeWords(e ChangeEntry) string {
	var parts []string
	count := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, "1 "+one)
		} else if n > 1 {
			parts = append(parts, strconv.Itoa(n)+" "+many)
		}
	}
	count(len(e.Added), "vehicle added", "vehicles added")
	count(len(e.Removed), "vehicle removed (sold)", "vehicles removed (sold)")
	count(len(e.PriceChanges), "price change", "price changes")
	count(e.OtherChanged, "other vehicle edited", "other vehicles edited")
	if len(parts) == 0 {
		return "first snapshot, or nothing changed"
	}
	text := strings.Join(parts, ", ")
	if len(e.PriceChanges) > 0 {
		pc := e.PriceChanges[0]
		text += fmt.Sprintf(" (e.g. %s: %s → %s)", pc.VIN, price(pc.Old), price(pc.New))
	}
	return text
}

// price is a price for people: whole units with thousands separators, "none" for no price.
func price(p *float64) string {
	if p == nil {
		return "none"
	}
	s := strconv.FormatFloat(math.Round(*p), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// redisState is the page's word for the shared layer.
func (d *dropin) redisState(st *state) string {
	switch {
	case st.cfg.Redis.URL == "" && len(st.cfg.Redis.Cluster) == 0:
		return "off"
	case d.s.deps.Store.Degraded():
		return "degraded"
	}
	return "ok"
}

// adminPageAssets are the page's inline script and the CSP that allows it by its hash, read and
// hashed once when the routes are built rather than on every page load.
type adminPageAssets struct {
	script template.JS
	csp    string
	err    error // why the script could not be read; the page then answers it
}

func newAdminPageAssets() *adminPageAssets {
	script, err := adminAssets.ReadFile("assets/admin.js")
	if err != nil {
		return &adminPageAssets{err: fmt.Errorf("gateway: admin page: %w", err)}
	}
	sum := sha256.Sum256(script)
	return &adminPageAssets{script: template.JS(script),
		csp: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; " +
			"script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"}
}

// adminPage answers GET /admin/: every tenant and feed at a glance.
func (d *dropin) adminPage(c *gin.Context) {
	if d.page.err != nil {
		d.s.fail(c, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: d.page.err})
		return
	}
	st := d.s.state.Load()
	data := adminPageData{Now: d.s.opts.Now().UTC(), Script: d.page.script, Redis: d.redisState(st)}
	held := d.heldFeeds()
	for i := range st.cfg.Tenants {
		v, ok := d.tenantView(c.Request.Context(), st, st.cfg.Tenants[i].ID, held)
		if !ok {
			continue
		}
		pt := adminPageTenant{adminTenantView: v}
		pt.Vehicles, pt.Latency = historyCharts(v.History)
		pt.Changes, pt.ChangesNote = d.pageChangeLines(c.Request.Context(), v.Tenant)
		data.Tenants = append(data.Tenants, pt)
	}
	var buf bytes.Buffer
	if err := adminTemplate.Execute(&buf, data); err != nil {
		d.s.fail(c, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: fmt.Errorf("gateway: admin page: %w", err)})
		return
	}
	// X-Content-Type-Options comes with every answer (requestID).
	c.Header("Content-Security-Policy", d.page.csp)
	c.Header("X-Frame-Options", "DENY")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// ago says how long before now t was, coarsely.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Second)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h ago"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d ago"
}

// callWords names each upstream endpoint's calls for people: what was fetched, not the route.
var callWords = map[string][2]string{
	"list":        {"list page", "list pages"},
	"details":     {"vehicle page", "vehicle pages"},
	"description": {"description", "descriptions"},
	"feed":        {"feed download", "feed downloads"},
	"stats":       {"statistics call", "statistics calls"},
}

// joinCalls says what a sync fetched upstream, most first: "150 vehicle pages, 2 list pages
// fetched".
func joinCalls(m map[string]int) string {
	if len(m) == 0 {
		return "nothing fetched"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		w, ok := callWords[k]
		if !ok {
			w = [2]string{k + " call", k + " calls"}
		}
		word := w[1]
		if m[k] == 1 {
			word = w[0]
		}
		parts[i] = strconv.Itoa(m[k]) + " " + word
	}
	return strings.Join(parts, ", ") + " fetched"
}

// reasonNames are the exclusion reasons in plain words.
var reasonNames = map[string]string{
	inventory.ReasonMissingPrice:        "no price",
	inventory.ReasonMissingImage:        "no photo",
	inventory.ReasonMissingMileage:      "no mileage",
	inventory.ReasonMissingDescription:  "no description",
	inventory.ReasonMissingField:        "a required field is empty",
	inventory.ReasonInvalidVIN:          "VIN not accepted",
	inventory.ReasonDuplicateVIN:        "VIN listed twice",
	inventory.ReasonNewVehicleHighMiles: "new car with high mileage",
	transform.ReasonOutOfRange:          "implausible price or mileage",
}

// reasonWords is an exclusion reason in plain words (the code itself when unknown).
func reasonWords(code string) string {
	if w, ok := reasonNames[code]; ok {
		return w
	}
	return strings.ReplaceAll(code, "_", " ")
}

// until says how long after now t is, coarsely: "in 4m"; "overdue" once past, "—" for zero.
func until(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := t.Sub(now).Round(time.Second)
	switch {
	case d <= 0:
		return "due now"
	case d < time.Minute:
		return "in " + strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return "in " + strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return "in " + strconv.Itoa(int(d/time.Hour)) + "h"
}
