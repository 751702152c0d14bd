package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// Webhooks: POST /webhooks/{tenant} takes the upstream's events. A sender proves it knows the
// tenant's webhook_secret by signing the body (X-Feedgate-Signature: sha256=<hex HMAC-SHA256>)
// or, when it cannot sign, by sending the secret as a Bearer token. An event is taken once: its
// id is remembered for twice the tolerance window (in Redis when configured, so every replica
// agrees) and an event older than the window is refused, so a captured request cannot be
// replayed later. docs/webhooks.md describes the contract for senders.

// SignatureHeader carries a webhook body's signature: "sha256=" and the hex HMAC-SHA256 of the
// body keyed with the tenant's webhook_secret.
const SignatureHeader = "X-Feedgate-Signature"

// EventDescriptionCompleted is the event that refreshes one vehicle's description.
const EventDescriptionCompleted = "inventory.description.completed"

// WebhookOptions tunes the webhook receiver. Zero values take the defaults.
type WebhookOptions struct {
	// Tolerance is how far an event's created_at may be from now, either way (default 5m).
	Tolerance time.Duration
	// RefreshWait is how long a description.completed delivery waits for the refresh before
	// answering 202 and letting it finish in the background (default 1.5s, under the 2s a
	// typical sender waits).
	RefreshWait time.Duration
	// RefreshTimeout bounds a refresh started by a webhook (default 2m).
	RefreshTimeout time.Duration
	// MaxBody bounds an event's size (default 64 KiB).
	MaxBody int64
}

func (o WebhookOptions) withDefaults() WebhookOptions {
	if o.Tolerance <= 0 {
		o.Tolerance = 5 * time.Minute
	}
	if o.RefreshWait <= 0 {
		o.RefreshWait = 1500 * time.Millisecond
	}
	if o.RefreshTimeout <= 0 {
		o.RefreshTimeout = 2 * time.Minute
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	return o
}

// webhookEvent is an event's body.
type webhookEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		VIN    string `json:"vin"`
		Status string `json:"status"`
	} `json:"data"`
}

// webhookAnswer is the body of a taken (or duplicate) event.
type webhookAnswer struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// Webhook answer statuses.
const (
	webhookRefreshed  = "refreshed"  // the refresh finished before the answer
	webhookRefreshing = "refreshing" // the refresh goes on in the background
	webhookDuplicate  = "duplicate"  // the id was seen before; nothing was done
)

func (d *dropin) registerWebhooks(e *gin.Engine) {
	e.POST("/webhooks/:tenant", d.webhook)
}

// refuse counts and answers a refused delivery.
func (d *dropin) refuse(c *gin.Context, reason string, err error) {
	d.m.webhooks.WithLabelValues("refused", reason).Inc()
	d.s.fail(c, err)
}

// webhook answers POST /webhooks/{tenant}.
func (d *dropin) webhook(c *gin.Context) {
	opts := d.s.opts.Webhook.withDefaults()
	st := d.s.state.Load()
	tenant := c.Param("tenant")
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, opts.MaxBody+1))
	if err != nil || int64(len(body)) > opts.MaxBody {
		d.refuse(c, "too_large", validation("body", "the event body is unreadable or larger than allowed"))
		return
	}
	// An unknown tenant, a tenant without a secret and a wrong signature all get the same 401,
	// so the route tells a stranger nothing about which tenants exist.
	t, ok := st.cfg.Tenant(tenant)
	if !ok || t.WebhookSecret == "" {
		d.refuse(c, "unknown_tenant", errBadSignature())
		return
	}
	if !webhookAuthentic(c.Request, body, t.WebhookSecret.Reveal()) {
		d.refuse(c, "bad_signature", errBadSignature())
		return
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		d.refuse(c, "malformed", validation("body", "the event must be a JSON object with id, type and created_at"))
		return
	}
	switch {
	case strings.TrimSpace(ev.ID) == "" || len(ev.ID) > 200:
		d.refuse(c, "malformed", validation("id", "id is required (at most 200 characters)"))
		return
	case ev.Type == "":
		d.refuse(c, "malformed", validation("type", "type is required"))
		return
	case ev.CreatedAt.IsZero():
		d.refuse(c, "malformed", validation("created_at", "created_at is required"))
		return
	}
	now := d.s.opts.Now()
	if skew := now.Sub(ev.CreatedAt); skew > opts.Tolerance || skew < -opts.Tolerance {
		d.refuse(c, "stale", validation("created_at", "created_at is outside the accepted window of "+opts.Tolerance.String()))
		return
	}
	dup, err := d.replay.Seen(c.Request.Context(), tenant+"/"+ev.ID, 2*opts.Tolerance)
	if err != nil {
		d.s.deps.Logger.Warn("webhook replay guard failed; event taken", "tenant", tenant, "err", err.Error())
	}
	if dup {
		// 200, not an error: a sender that retries after a lost answer must stop retrying.
		d.m.webhooks.WithLabelValues("refused", "replay").Inc()
		d.writeJSON(c, http.StatusOK, dataBody{webhookAnswer{ID: ev.ID, Status: webhookDuplicate}})
		return
	}
	d.take(c, opts, tenant, ev)
}

// take acts on an authentic, new event: a finished description refreshes that vehicle, anything
// else refreshes the tenant. The refresh runs on a context of its own (a sender hanging up must
// not cancel it); the answer waits for it up to RefreshWait.
func (d *dropin) take(c *gin.Context, opts WebhookOptions, tenant string, ev webhookEvent) {
	admin := d.s.deps.Admin
	if admin == nil {
		d.refuse(c, "not_configured", inventory.Errorf(inventory.EUnavailable, "Webhooks are not configured on this gateway"))
		return
	}
	reason := "sync"
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), opts.RefreshTimeout)
	if ev.Type == EventDescriptionCompleted && inventory.ValidUpstreamVIN(strings.TrimSpace(ev.Data.VIN)) {
		reason = "description_completed"
		if err := admin.MarkForRefresh(ctx, tenant, []string{inventory.NormalizeVIN(ev.Data.VIN)}); err != nil {
			d.s.deps.Logger.Warn("webhook: marking the VIN failed; refreshing the tenant", "tenant", tenant, "err", err.Error())
		}
	}
	d.m.webhooks.WithLabelValues("accepted", reason).Inc()
	if admin.Schedule(tenant) {
		// The scheduled refresh syncs soon; a burst of events makes one sync, not one each.
		cancel()
		d.writeJSON(c, http.StatusAccepted, dataBody{webhookAnswer{ID: ev.ID, Status: webhookRefreshing}})
		return
	}
	done := make(chan error, 1)
	go func() {
		defer cancel()
		done <- admin.Refresh(ctx, tenant)
	}()
	timer := time.NewTimer(opts.RefreshWait)
	defer timer.Stop()
	status, code := webhookRefreshing, http.StatusAccepted
	select {
	case err := <-done:
		if err == nil {
			status, code = webhookRefreshed, http.StatusOK
		} else {
			d.s.deps.Logger.Warn("webhook refresh failed; the next read retries", "tenant", tenant, "event", ev.ID, "err", err.Error())
		}
	case <-timer.C:
	}
	d.writeJSON(c, code, dataBody{webhookAnswer{ID: ev.ID, Status: status}})
}

// errBadSignature answers a delivery that proves no webhook secret. It names the signature, not
// an API key (a sender's operator would look in the wrong place), in the same words whatever
// was wrong.
func errBadSignature() error {
	return inventory.Errorf(inventory.EUnauthorized, "Missing or invalid webhook signature")
}

// webhookAuthentic checks the body's signature, or the secret as a Bearer token, in constant
// time.
func webhookAuthentic(r *http.Request, body []byte, secret string) bool {
	if sig := strings.TrimSpace(r.Header.Get(SignatureHeader)); sig != "" {
		hexSum, ok := strings.CutPrefix(sig, "sha256=")
		got, err := hex.DecodeString(hexSum)
		if !ok || err != nil {
			return false
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		return hmac.Equal(got, m.Sum(nil))
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(token))), sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
