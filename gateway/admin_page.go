package gateway

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
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
}).ParseFS(adminAssets, "assets/admin.html"))

// adminPageData is the page's model.
type adminPageData struct {
	Now     time.Time
	Tenants []adminPageTenant
	Script  template.JS
}

type adminPageTenant struct {
	*adminTenantView
	Vehicles chart
	Latency  chart
}

// chart is one inline SVG line chart.
type chart struct {
	Width, Height int
	Points        string // the polyline's points; "" when there is nothing to draw
	Dots          []point
	Min, Max      string
	Last          string
}

type point struct{ X, Y float64 }

const chartW, chartH, chartPad = 260, 64, 6

// newChart plots values left to right, scaled to the chart's height.
func newChart(values []float64, format func(float64) string) chart {
	c := chart{Width: chartW, Height: chartH}
	if len(values) == 0 {
		return c
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	span := hi - lo
	var sb strings.Builder
	for i, v := range values {
		x := float64(chartW) / 2
		if len(values) > 1 {
			x = chartPad + float64(i)*float64(chartW-2*chartPad)/float64(len(values)-1)
		}
		y := float64(chartH) / 2
		if span > 0 {
			y = chartH - chartPad - (v-lo)/span*float64(chartH-2*chartPad)
		}
		p := point{X: x, Y: y}
		c.Dots = append(c.Dots, p)
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%.1f,%.1f", p.X, p.Y)
	}
	if len(values) > 1 {
		c.Points = sb.String()
	}
	if len(c.Dots) > 40 {
		c.Dots = c.Dots[len(c.Dots)-1:] // many points: mark the latest only
	}
	c.Min, c.Max, c.Last = format(lo), format(hi), format(values[len(values)-1])
	return c
}

// adminPage answers GET /admin/: every tenant and feed at a glance.
func (d *dropin) adminPage(c *gin.Context) {
	st := d.s.state.Load()
	script, err := adminAssets.ReadFile("assets/admin.js")
	if err != nil {
		d.s.fail(c, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: fmt.Errorf("gateway: admin page: %w", err)})
		return
	}
	data := adminPageData{Now: d.s.opts.Now().UTC(), Script: template.JS(script)}
	for i := range st.cfg.Tenants {
		v, ok := d.tenantView(c.Request.Context(), st, st.cfg.Tenants[i].ID)
		if !ok {
			continue
		}
		counts := make([]float64, 0, len(v.History))
		durs := make([]float64, 0, len(v.History))
		for _, r := range v.History {
			if r.OK {
				counts = append(counts, float64(r.Vehicles))
			}
			durs = append(durs, float64(r.Duration.Microseconds())/1000)
		}
		data.Tenants = append(data.Tenants, adminPageTenant{adminTenantView: v,
			Vehicles: newChart(counts, func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }),
			Latency:  newChart(durs, func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) + " ms" }),
		})
	}
	var buf bytes.Buffer
	if err := adminTemplate.Execute(&buf, data); err != nil {
		d.s.fail(c, &inventory.Error{Code: inventory.EInternal, Message: "An internal error occurred.", Err: fmt.Errorf("gateway: admin page: %w", err)})
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	sum := sha256.Sum256(script)
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "+
		"script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
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

// joinCalls lists upstream calls per endpoint, e.g. "details 3, list 2".
func joinCalls(m map[string]int) string {
	if len(m) == 0 {
		return "—"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ", ")
}
