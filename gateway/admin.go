package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// AdminStore is the cache as the write-through, webhook and admin routes drive it;
// internal/bridge.Admin adapts the cache (and the scheduler) to it.
type AdminStore interface {
	// MarkForRefresh makes the tenant's next sync re-fetch the VINs' details even if their
	// updated_at did not change, and marks the snapshot stale so that the next read refreshes.
	MarkForRefresh(ctx context.Context, tenant string, vins []string) error
	// Refresh syncs the tenant now, whatever its freshness; ctx bounds only the wait.
	Refresh(ctx context.Context, tenant string) error
	// Accept promotes the tenant's held-back snapshot; with none held it returns an
	// *inventory.Error with code inventory.ENotFound.
	Accept(ctx context.Context, tenant string) error
	// TenantStatus is what this replica knows about the tenant's cache and syncs.
	TenantStatus(tenant string) TenantStatus
	// Schedule asks the scheduled refresh for a sync of the tenant soon (requests close together
	// make one sync) and reports true; false when refresh runs on request and the caller must
	// Refresh itself.
	Schedule(tenant string) bool
}

// TenantStatus describes a tenant's snapshot and syncs for the admin routes.
type TenantStatus struct {
	HasSnapshot bool
	Vehicles    int
	Version     string
	FetchedAt   time.Time
	ModifiedAt  time.Time
	Stale       bool
	InFlight    bool

	LastSync            time.Time // zero: no sync finished in this process yet
	LastSyncOK          bool
	LastSyncError       string
	LastSyncDuration    time.Duration
	ConsecutiveFailures int
	// UpstreamCalls counts the last sync's upstream HTTP attempts per endpoint.
	UpstreamCalls map[string]int
	// History is this replica's recent syncs of the tenant, oldest first.
	History []SyncRecord
	// NextSync is when this replica's schedule syncs the tenant next (zero: refresh on request).
	NextSync time.Time

	// Held says the shrink guard holds back a smaller snapshot, described by the Held* fields.
	Held         bool
	HeldVehicles int
	HeldVersion  string
	HeldSince    time.Time
}

// adminRealm is the Basic realm a browser asks the admin key for.
const adminRealm = `Basic realm="feedgate admin", charset="UTF-8"`

func (d *dropin) registerAdmin(e *gin.Engine) {
	e.GET("/admin", d.adminOnly(d.adminPage))
	e.GET("/admin/", d.adminOnly(d.adminPage))
	e.GET("/admin/tenants/:tenant", d.adminOnly(d.adminTenant))
	e.GET("/admin/tenants/:tenant/changes", d.adminOnly(d.adminChanges))
	e.GET("/admin/tenants/:tenant/feeds/:feed/diagnostics", d.adminOnly(d.adminDiagnostics))
	e.POST("/admin/tenants/:tenant/refresh", d.adminOnly(d.adminRefresh))
	e.POST("/admin/tenants/:tenant/accept", d.adminOnly(d.adminAccept))
}

// adminOnly admits admin keys (X-API-Key, Bearer or, for a browser, Basic with the key as the
// password) and answers 503 when the wiring gave no AdminStore. A request that changes state is
// first checked to come from no other site (see sameSite).
func (d *dropin) adminOnly(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if m := c.Request.Method; m != http.MethodGet && m != http.MethodHead {
			if err := d.sameSite(c.Request); err != nil {
				d.s.fail(c, err)
				return
			}
		}
		g, ok := d.s.state.Load().keys.lookup(presentedKey(c.Request, false))
		if !ok {
			c.Header("WWW-Authenticate", adminRealm)
			d.s.fail(c, errUnauthorized())
			return
		}
		setLogKey(c, g)
		if !g.admin {
			d.s.fail(c, errorf(inventory.EForbidden, nil, "This route needs an admin key"))
			return
		}
		if d.s.deps.Admin == nil {
			d.s.fail(c, inventory.Errorf(inventory.EUnavailable, "Administration is not configured on this gateway"))
			return
		}
		c.Header("Cache-Control", "no-store")
		h(c)
	}
}

// AdminHeader is the header the admin page's buttons send with their POSTs. A form on another
// site cannot send it (nor X-API-Key, nor a JSON body), and a script on another site cannot
// send it without a CORS preflight, which the admin routes never grant.
const AdminHeader = "X-Feedgate-Admin"

// sameSite refuses a state-changing admin request that a browser may have sent for another
// site (CSRF): a browser holding the admin key as cached Basic credentials attaches them to a
// form post from anywhere. Refused are a Sec-Fetch-Site other than same-origin or none, an
// Origin other than the gateway's own (its Host, or public_url's origin), and a request that
// carries nothing a plain form cannot: AdminHeader, X-API-Key, a Bearer token or a JSON body.
// Webhooks are not admin routes: they are signed.
func (d *dropin) sameSite(r *http.Request) error {
	refuse := func(reason, msg string) error {
		return errorf(inventory.EForbidden, map[string]any{"reason": reason}, "%s", msg)
	}
	if site := headerValue(r.Header, "Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return refuse("cross_site", "Cross-site requests to the admin routes are refused")
	}
	if origin := headerValue(r.Header, "Origin"); origin != "" && !d.ownOrigin(r, origin) {
		return refuse("cross_site", "Cross-site requests to the admin routes are refused")
	}
	if headerValue(r.Header, AdminHeader) != "" || headerValue(r.Header, "X-Api-Key") != "" {
		return nil
	}
	if scheme, _, _ := strings.Cut(headerValue(r.Header, "Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(headerValue(r.Header, "Content-Type")); err == nil && mt == "application/json" {
		return nil
	}
	return refuse("simple_request", "Admin POSTs need the "+AdminHeader+" header, an X-API-Key header or a JSON body")
}

// ownOrigin reports whether origin is the gateway's own: the request's Host (under either
// scheme, since TLS may end at a proxy in front) or public_url's origin.
func (d *dropin) ownOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // "null" among others: a sandboxed or opaque origin is nobody's own
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	pub, err := url.Parse(d.s.state.Load().cfg.PublicURL)
	return err == nil && strings.EqualFold(pub.Scheme, u.Scheme) && strings.EqualFold(pub.Host, u.Host)
}

// adminTenantView is GET /admin/tenants/{tenant}'s data object.
type adminTenantView struct {
	Tenant   string            `json:"tenant"`
	Name     string            `json:"name"`
	Snapshot adminSnapshotView `json:"snapshot"`
	LastSync *adminSyncView    `json:"last_sync"`
	HeldBack *adminHeldView    `json:"held_back"`
	Feeds    []adminFeedView   `json:"feeds"`
	History  []SyncRecord      `json:"history"`
	Actions  map[string]string `json:"actions"`
	Upstream map[string]int    `json:"upstream_calls"`
	// Keys are the tenant-wide keys that may fetch its feeds (scope feeds:read) and when each
	// last fetched one.
	Keys   []adminKeyView `json:"keys"`
	status TenantStatus   // for the page
}

// adminKeyView is one key by its configured name and the time of its last feed fetch on this
// replica (null: none since start).
type adminKeyView struct {
	Name      string     `json:"name"`
	LastFetch *time.Time `json:"last_fetch"`
}

type adminSnapshotView struct {
	Present    bool       `json:"present"`
	Vehicles   int        `json:"vehicles"`
	Version    string     `json:"version,omitempty"`
	FetchedAt  *time.Time `json:"fetched_at"`
	ModifiedAt *time.Time `json:"modified_at"`
	AgeSeconds int64      `json:"age_seconds"`
	Stale      bool       `json:"stale"`
	Syncing    bool       `json:"syncing"`
	// LastSuccess is this replica's last successful sync (null: none since start).
	LastSuccess *time.Time `json:"last_success"`
	// NextSync is when the schedule syncs the tenant next (null: refresh on request).
	NextSync *time.Time `json:"next_sync"`
}

type adminSyncView struct {
	At                  time.Time      `json:"at"`
	OK                  bool           `json:"ok"`
	Error               string         `json:"error,omitempty"`
	DurationMS          float64        `json:"duration_ms"`
	UpstreamCalls       map[string]int `json:"upstream_calls"`
	ConsecutiveFailures int            `json:"consecutive_failures"`
}

type adminHeldView struct {
	Vehicles int       `json:"vehicles"`
	Version  string    `json:"version"`
	Since    time.Time `json:"since"`
}

// adminFeedView is one feed's counts as its last render of the current snapshot saw them.
type adminFeedView struct {
	Name     string         `json:"name"`
	Format   string         `json:"format"`
	Included int            `json:"included"`
	Filtered int            `json:"filtered"`
	Excluded int            `json:"excluded"`
	Reasons  map[string]int `json:"excluded_by_reason"`
	Error    string         `json:"error,omitempty"`
	// LastFetch is the feed's last fetch on this replica by any key (null: none since start).
	LastFetch *time.Time `json:"last_fetch"`
	// Keys are the feed's own keys and their last fetches.
	Keys []adminKeyView `json:"keys"`
	// HeldBack says why the feed's latest render is held back (the previous output serves).
	HeldBack *adminFeedHeldView `json:"held_back"`
	// Diagnostics is the route listing every excluded VIN and warning.
	Diagnostics string `json:"diagnostics"`
}

type adminFeedHeldView struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// timePtr is t in UTC, or nil when t is zero (JSON null).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// lastSuccess is the newest successful sync among the status's last sync and its history.
func lastSuccess(s TenantStatus) time.Time {
	var at time.Time
	if s.LastSyncOK {
		at = s.LastSync
	}
	for _, r := range s.History {
		if r.OK && r.At.After(at) {
			at = r.At
		}
	}
	return at
}

// keyViews lists the keys of tenant bound to feed, by name; with feed "" the tenant-wide keys
// that may fetch its feeds (scope feeds:read).
// It reads the tenant's own keys, not every key of the configuration: the page asks once per
// tenant and once per feed.
func keyViews(ts *tenantState, feed string) []adminKeyView {
	out := []adminKeyView{}
	for _, g := range ts.grants {
		if g.feed != feed || (feed == "" && !slices.Contains(g.scopes, ScopeFeedsRead)) {
			continue
		}
		out = append(out, adminKeyView{Name: g.name, LastFetch: timePtr(lastFetch(g.lastFetch))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// tenantView gathers a tenant's status. Feed counts come from rendering each feed of the
// current snapshot through the Store, so they are the very outputs the feed routes serve (and
// usually a cache hit); a tenant without a snapshot is not synced just to be looked at. held is
// heldFeeds(), read once by a caller that views several tenants.
func (d *dropin) tenantView(ctx context.Context, st *state, tenant string, held map[heldFeed]*adminFeedHeldView) (*adminTenantView, bool) {
	t, ok := st.cfg.Tenant(tenant)
	ts, ok2 := st.tenants[tenant]
	if !ok || !ok2 {
		return nil, false
	}
	status := d.s.deps.Admin.TenantStatus(tenant)
	now := d.s.opts.Now()
	v := &adminTenantView{Tenant: tenant, Name: t.Name, status: status,
		History: status.History, Upstream: status.UpstreamCalls,
		Actions: map[string]string{
			"refresh": "/admin/tenants/" + tenant + "/refresh",
			"accept":  "/admin/tenants/" + tenant + "/accept",
		}}
	if v.History == nil {
		v.History = []SyncRecord{}
	}
	if v.Upstream == nil {
		v.Upstream = map[string]int{}
	}
	v.Snapshot = adminSnapshotView{Present: status.HasSnapshot, Vehicles: status.Vehicles, Version: status.Version,
		Stale: status.Stale, Syncing: status.InFlight,
		LastSuccess: timePtr(lastSuccess(status)), NextSync: timePtr(status.NextSync)}
	v.Keys = keyViews(ts, "")
	if status.HasSnapshot {
		f, m := status.FetchedAt.UTC(), status.ModifiedAt.UTC()
		v.Snapshot.FetchedAt, v.Snapshot.ModifiedAt = &f, &m
		v.Snapshot.AgeSeconds = int64(max(0, now.Sub(status.FetchedAt)) / time.Second)
	}
	if !status.LastSync.IsZero() {
		v.LastSync = &adminSyncView{At: status.LastSync.UTC(), OK: status.LastSyncOK, Error: status.LastSyncError,
			DurationMS:    float64(status.LastSyncDuration.Microseconds()) / 1000,
			UpstreamCalls: v.Upstream, ConsecutiveFailures: status.ConsecutiveFailures}
	}
	if status.Held {
		v.HeldBack = &adminHeldView{Vehicles: status.HeldVehicles, Version: status.HeldVersion, Since: status.HeldSince.UTC()}
	}
	names := make([]string, 0, len(ts.feeds))
	for name := range ts.feeds {
		names = append(names, name)
	}
	sort.Strings(names)
	v.Feeds = make([]adminFeedView, 0, len(names))
	for _, name := range names {
		fv := d.feedView(ctx, ts, ts.feeds[name], status.HasSnapshot)
		fv.HeldBack = held[heldFeed{tenant, name}]
		v.Feeds = append(v.Feeds, fv)
	}
	return v, true
}

func (d *dropin) feedView(ctx context.Context, ts *tenantState, fs *feedState, hasSnapshot bool) adminFeedView {
	fv := adminFeedView{Name: fs.name, Format: fs.writer.Name(), Reasons: map[string]int{},
		LastFetch: timePtr(lastFetch(fs.lastFetch)), Keys: keyViews(ts, fs.name),
		Diagnostics: diagnosticsPath(fs.tenant, fs.name)}
	if !hasSnapshot {
		return fv
	}
	diag, err := diagnostics(ctx, fs)
	if err != nil {
		fv.Error = inventory.ErrorMessage(err)
		return fv
	}
	fv.Included, fv.Filtered, fv.Excluded = diag.Included, diag.Filtered, len(diag.Excluded)
	for _, x := range diag.Excluded {
		fv.Reasons[x.Reason]++
	}
	return fv
}

// adminTenant answers GET /admin/tenants/{tenant}.
func (d *dropin) adminTenant(c *gin.Context) {
	v, ok := d.tenantView(c.Request.Context(), d.s.state.Load(), c.Param("tenant"), d.heldFeeds())
	if !ok {
		d.s.fail(c, inventory.Errorf(inventory.ENotFound, "Tenant not found"))
		return
	}
	d.writeJSON(c, http.StatusOK, dataBody{v})
}

// adminRefresh answers POST /admin/tenants/{tenant}/refresh: a sync now, on a context of its own.
// When it finishes within Options.AdminRefreshWait the answer is the status (or the failure with its
// cause); a longer sync is not waited for — 202 with a link to the status, where its outcome
// appears — so an operator's request never hangs for the minutes a large sync may take.
func (d *dropin) adminRefresh(c *gin.Context) {
	d.adminAction(c, "refresh", func(ctx context.Context, tenant string) error {
		done := make(chan error, 1)
		go func() { done <- d.s.deps.Admin.Refresh(context.WithoutCancel(ctx), tenant) }()
		timer := time.NewTimer(d.s.opts.AdminRefreshWait)
		defer timer.Stop()
		select {
		case err := <-done:
			return err
		case <-timer.C:
			return errRefreshRunning
		}
	})
}

// errRefreshRunning is a refresh still running when the admin's request stops waiting for it.
var errRefreshRunning = errors.New("gateway: the refresh is still running")

// adminAccept answers POST /admin/tenants/{tenant}/accept: the held-back snapshot goes into
// service (404 when none is held).
func (d *dropin) adminAccept(c *gin.Context) {
	d.adminAction(c, "accept", d.s.deps.Admin.Accept)
}

func (d *dropin) adminAction(c *gin.Context, action string, do func(context.Context, string) error) {
	st := d.s.state.Load()
	tenant := c.Param("tenant")
	if _, ok := st.tenants[tenant]; !ok {
		d.s.fail(c, inventory.Errorf(inventory.ENotFound, "Tenant not found"))
		return
	}
	err := do(c.Request.Context(), tenant)
	if errors.Is(err, errRefreshRunning) {
		d.m.admin.WithLabelValues(action, "running").Inc()
		d.writeJSON(c, http.StatusAccepted, dataBody{map[string]string{
			"status": "refreshing", "status_url": "/admin/tenants/" + tenant,
			"message": "The sync is still running; its outcome appears in the tenant's status."}})
		return
	}
	if err != nil {
		d.m.admin.WithLabelValues(action, "failed").Inc()
		if action == "refresh" {
			err = d.withCause(tenant, err)
		}
		d.s.fail(c, err)
		return
	}
	d.m.admin.WithLabelValues(action, "ok").Inc()
	d.s.deps.Logger.Info("admin action", "action", action, "tenant", tenant, "key_name", logKeyName(c))
	v, _ := d.tenantView(c.Request.Context(), st, tenant, d.heldFeeds())
	d.writeJSON(c, http.StatusOK, dataBody{v})
}

// withCause adds to a failed admin action's error what the tenant's last sync failed with, so
// that an operator who pressed Refresh reads why ("upstream: list: 503 ...") instead of a bare
// "unavailable". Secrets are masked as in the logs.
func (d *dropin) withCause(tenant string, err error) error {
	var e *inventory.Error
	if !errors.As(err, &e) || e.Code == inventory.ENotFound {
		return err
	}
	status := d.s.deps.Admin.TenantStatus(tenant)
	if status.LastSyncOK || status.LastSyncError == "" {
		return err
	}
	cause := (&redactor{s: d.s}).current().text(status.LastSyncError)
	out := *e
	out.Message = strings.TrimSpace(e.Message) + " The last sync failed: " + cause
	out.Details = make(map[string]any, len(e.Details)+2)
	for k, v := range e.Details {
		out.Details[k] = v
	}
	out.Details["cause"] = cause
	out.Details["consecutive_failures"] = status.ConsecutiveFailures
	return &out
}

// diagnosticsPath is the route of a feed's diagnostics.
func diagnosticsPath(tenant, feed string) string {
	return "/admin/tenants/" + url.PathEscape(tenant) + "/feeds/" + url.PathEscape(feed) + "/diagnostics"
}

// adminDiagnosticsView is GET /admin/tenants/{tenant}/feeds/{feed}/diagnostics's data object:
// what the render of the output the feed serves now did with each vehicle.
type adminDiagnosticsView struct {
	Tenant   string                `json:"tenant"`
	Feed     string                `json:"feed"`
	Format   string                `json:"format"`
	Included int                   `json:"included"`
	Filtered int                   `json:"filtered"`
	Excluded []transform.Exclusion `json:"excluded"`
	Warnings []transform.Warning   `json:"warnings"`
	// HeldBack, when set, says the latest render is held back: these diagnostics are those of
	// the previous good output, which still serves.
	HeldBack *adminFeedHeldView `json:"held_back"`
}

// adminDiagnostics answers GET /admin/tenants/{tenant}/feeds/{feed}/diagnostics: every VIN the
// channel excluded with its reason and detail, and every warning, of the feed's current output
// (synced and rendered as a fetch of the feed would be).
func (d *dropin) adminDiagnostics(c *gin.Context) {
	st := d.s.state.Load()
	fs, _, ok := st.feed(c.Param("tenant"), c.Param("feed"))
	if !ok {
		d.s.fail(c, inventory.Errorf(inventory.ENotFound, "Feed not found"))
		return
	}
	diag, err := diagnostics(c.Request.Context(), fs)
	if err != nil {
		d.s.fail(c, err)
		return
	}
	v := adminDiagnosticsView{Tenant: fs.tenant, Feed: fs.name, Format: fs.writer.Name(),
		Included: diag.Included, Filtered: diag.Filtered, Excluded: diag.Excluded, Warnings: diag.Warnings}
	if v.Excluded == nil {
		v.Excluded = []transform.Exclusion{}
	}
	if v.Warnings == nil {
		v.Warnings = []transform.Warning{}
	}
	v.HeldBack = d.heldFeeds()[heldFeed{fs.tenant, fs.name}]
	d.writeJSON(c, http.StatusOK, dataBody{v})
}

// decodedDiagnostics is a feed output's diagnostics with the JSON they were decoded from.
type decodedDiagnostics struct {
	meta []byte
	diag transform.Diagnostics
}

// diagnostics are the diagnostics of the output fs serves now, as the page's feed rows and the
// diagnostics route both read them. They are decoded once per output, not on every page load
// (the page reads every feed's): comparing the stored JSON costs far less than decoding it.
// The result is shared; nobody may modify it.
func diagnostics(ctx context.Context, fs *feedState) (*transform.Diagnostics, error) {
	out, _, err := fs.source.Output(ctx)
	if err != nil {
		return nil, err
	}
	if m := fs.diagnostics.Load(); m != nil && bytes.Equal(m.meta, out.Meta) {
		return &m.diag, nil
	}
	m := &decodedDiagnostics{meta: out.Meta}
	if err := json.Unmarshal(out.Meta, &m.diag); err != nil {
		return nil, &inventory.Error{Code: inventory.EInternal, Message: "The feed's diagnostics are unreadable.",
			Err: fmt.Errorf("gateway: diagnostics of %s/%s: %w", fs.tenant, fs.name, err)}
	}
	fs.diagnostics.Store(m)
	return &m.diag, nil
}

// heldFeed names a feed among the held ones.
type heldFeed struct{ tenant, feed string }

// heldFeeds are the feeds whose latest render the render owner holds back, by tenant and name:
// the one source the status, the page, the diagnostics and the metric all read. A page load
// asks once for all its tenants.
func (d *dropin) heldFeeds() map[heldFeed]*adminFeedHeldView {
	out := map[heldFeed]*adminFeedHeldView{}
	for _, h := range d.s.deps.Publisher.Held() {
		out[heldFeed{h.Tenant, h.Feed}] = &adminFeedHeldView{Reason: h.Reason, Since: h.Since.UTC()}
	}
	return out
}
