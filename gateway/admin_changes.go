package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// ChangeEntry is one sync's changes to a tenant's inventory, as the change log keeps them.
type ChangeEntry struct {
	At           time.Time               `json:"at"`
	Version      string                  `json:"version"`
	Vehicles     int                     `json:"vehicles"`
	Added        []string                `json:"added"`
	Removed      []string                `json:"removed"`
	PriceChanges []inventory.PriceChange `json:"price_changes"`
	OtherChanged int                     `json:"other_changed"`
}

// ChangeLog reads a tenant's change log (package changelog, adapted by internal/bridge).
type ChangeLog interface {
	// Changes returns up to limit entries older than cursor ("" for the newest), newest first,
	// and the cursor of the next page ("" at the end). A cursor it did not issue is an
	// *inventory.Error with code validation_error.
	Changes(ctx context.Context, tenant, cursor string, limit int) ([]ChangeEntry, string, error)
}

// Change-log page sizes.
const (
	defaultChangesLimit = 50
	maxChangesLimit     = 1000
)

// changesPage is the answer of GET /admin/tenants/{tenant}/changes.
type changesPage struct {
	Data       []ChangeEntry `json:"data"`
	NextCursor *string       `json:"next_cursor"`
}

// adminChanges answers GET /admin/tenants/{tenant}/changes?limit=&cursor=: the tenant's change
// log, newest first.
func (d *dropin) adminChanges(c *gin.Context) {
	tenant := c.Param("tenant")
	if _, ok := d.s.state.Load().tenants[tenant]; !ok {
		d.s.fail(c, inventory.Errorf(inventory.ENotFound, "Tenant not found"))
		return
	}
	if d.s.deps.Changes == nil {
		d.s.fail(c, inventory.Errorf(inventory.ENotFound,
			"This gateway keeps no change log: it needs Redis or a local store (cache.dir)."))
		return
	}
	limit := defaultChangesLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxChangesLimit {
			d.s.fail(c, validation("limit", "limit must be a whole number from 1 to 1000"))
			return
		}
		limit = n
	}
	entries, next, err := d.s.deps.Changes.Changes(c.Request.Context(), tenant, c.Query("cursor"), limit)
	if err != nil {
		d.s.fail(c, err)
		return
	}
	page := changesPage{Data: entries}
	if page.Data == nil {
		page.Data = []ChangeEntry{}
	}
	if next != "" {
		page.NextCursor = &next
	}
	d.writeJSON(c, http.StatusOK, page)
}
