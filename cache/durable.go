package cache

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Durable keeps small per-tenant records on local disk (package localstore is one): for the
// embedded default, each tenant's last good snapshot, its shrink-guard state and its refresh
// marks, so that a restart serves the last good feeds at once, with no upstream call, even while
// the upstream is down. With Redis it is kept too, as the baseline of a replica that restarts
// while Redis is down.
type Durable interface {
	// Get returns the record, false when there is none. An error says the record exists but
	// cannot be trusted (corrupt, truncated, another format version): the caller logs it and
	// treats it as missing.
	Get(tenant, name string) ([]byte, bool, error)
	// Put replaces the record atomically: a crash mid-write never leaves a record that is read.
	Put(tenant, name string, data []byte) error
	// Delete removes the record; a missing one is no error.
	Delete(tenant, name string) error
}

// The records a tenant has in the Durable store.
const (
	recSnapshot  = "snapshot"
	recHeld      = "held"
	recHeldSince = "heldsince"
	recMarks     = "marks"
)

// loadDurable puts the tenant's stored snapshot in service (and its held-back snapshot and marks
// in place) when this process has none yet. It runs once per tenant, on first use (state, which
// calls it only with a durable store).
func (c *Cache) loadDurable(st *tenantState) {
	if b, ok := c.durableGet(st.tenant, recSnapshot); ok {
		snap, err := c.codec.decodeSnapshot(b)
		switch {
		case err != nil:
			c.log.Warn("cache: ignoring a stored snapshot that does not decode", "tenant", st.tenant, "err", err)
		case snap.Tenant != "" && snap.Tenant != st.tenant:
			c.log.Warn("cache: ignoring a stored snapshot of another tenant", "tenant", st.tenant, "stored", snap.Tenant)
		default:
			c.setCurrent(st, snap, 0)
			c.log.Info("cache: serving the stored snapshot until the next sync", "tenant", st.tenant,
				"vehicles", snap.Len(), "fetched_at", snap.FetchedAt)
		}
	}
	if b, ok := c.durableGet(st.tenant, recHeld); ok {
		if held, err := c.codec.decodeSnapshot(b); err == nil {
			since := time.Time{}
			if s, ok := c.durableGet(st.tenant, recHeldSince); ok {
				if n, err := strconv.ParseInt(string(s), 10, 64); err == nil {
					since = time.Unix(0, n).UTC()
				}
			}
			st.mu.Lock()
			st.held, st.heldSince = held, since
			st.mu.Unlock()
		}
	}
	if b, ok := c.durableGet(st.tenant, recMarks); ok && len(b) > 0 {
		st.log.mu.Lock()
		if st.log.marks == nil {
			st.log.marks = make(map[string]bool)
		}
		for _, v := range strings.Split(string(b), "\n") {
			if v != "" {
				st.log.marks[v] = true
			}
		}
		st.log.mu.Unlock()
	}
}

// durableGet reads a record, logging (with its path, which the store's error names) and
// quarantining one that cannot be trusted.
func (c *Cache) durableGet(tenant, name string) ([]byte, bool) {
	b, ok, err := c.opts.Durable.Get(tenant, name)
	if err != nil {
		c.log.Warn("cache: ignoring a stored record that cannot be trusted", "tenant", tenant, "record", name, "err", err)
		if q, isQ := c.opts.Durable.(interface{ QuarantineErr(error) }); isQ {
			q.QuarantineErr(err)
		}
		return nil, false
	}
	return b, ok
}

// durablePut writes a record, logging a failure: the disk is a fallback, never a reason to fail
// a sync.
func (c *Cache) durablePut(tenant, name string, data []byte) {
	if c.opts.Durable == nil {
		return
	}
	if err := c.opts.Durable.Put(tenant, name, data); err != nil {
		c.log.Warn("cache: could not store a record on disk", "tenant", tenant, "record", name, "err", err)
	}
}

func (c *Cache) durableDelete(tenant string, names ...string) {
	if c.opts.Durable == nil {
		return
	}
	for _, n := range names {
		if err := c.opts.Durable.Delete(tenant, n); err != nil && !errors.Is(err, errNotStored) {
			c.log.Warn("cache: could not delete a record on disk", "tenant", tenant, "record", n, "err", err)
		}
	}
}

var errNotStored = errors.New("cache: record not stored")

// storeDurable records the snapshot in service (and whether one is held) on disk.
func (c *Cache) storeDurableSnapshot(st *tenantState, snap *inventory.Snapshot, dropHeld bool) {
	if c.opts.Durable == nil {
		return
	}
	data, err := c.codec.encodeSnapshot(snap)
	if err != nil {
		c.log.Error("cache: encode snapshot", "tenant", st.tenant, "err", err)
		return
	}
	c.durablePut(st.tenant, recSnapshot, data)
	if dropHeld {
		c.durableDelete(st.tenant, recHeld, recHeldSince)
	}
}

func (c *Cache) storeDurableHeld(st *tenantState, held *inventory.Snapshot, since time.Time) {
	if c.opts.Durable == nil {
		return
	}
	data, err := c.codec.encodeSnapshot(held)
	if err != nil {
		return
	}
	c.durablePut(st.tenant, recHeld, data)
	c.durablePut(st.tenant, recHeldSince, []byte(strconv.FormatInt(since.UnixNano(), 10)))
}

// storeDurableMarks records this process's marks of the tenant.
func (c *Cache) storeDurableMarks(st *tenantState) {
	if c.opts.Durable == nil {
		return
	}
	st.log.mu.Lock()
	vins := make([]string, 0, len(st.log.marks))
	for v := range st.log.marks {
		vins = append(vins, v)
	}
	st.log.mu.Unlock()
	if len(vins) == 0 {
		c.durableDelete(st.tenant, recMarks)
		return
	}
	c.durablePut(st.tenant, recMarks, []byte(strings.Join(vins, "\n")))
}
