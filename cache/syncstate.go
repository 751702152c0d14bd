package cache

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/feedgate/feedgate/inventory"
)

// A tenant's sync state is owned here: the VINs the next sync must fetch again (marks) and the
// record of recent syncs (history). Nothing outside the cache keeps either.
//
// Marks: a full sync re-fetches details only for VINs whose list view changed, and asking the
// upstream to generate a description changes nothing in the list (its status goes to
// "generating" in the details only). So a VIN written through the drop-in API, or named by an
// inventory.description.completed webhook, is marked by Invalidate; the next sync is handed a prev
// snapshot without the marked VINs, which makes it fetch their details again, and clears the
// marks it honoured once it succeeds. With Redis the marks live there too, so the replica that
// syncs sees marks made on another.

// marksTTL bounds how long a mark waits for a sync; a tenant nobody reads needs none.
const marksTTL = 24 * time.Hour

// DefaultHistory is how many syncs per tenant the history keeps.
const DefaultHistory = 120

// SyncReport is what a sync tells besides the snapshot, for status and the admin page.
type SyncReport struct {
	// Calls counts the upstream HTTP attempts by endpoint (retries included).
	Calls map[string]int
	// Quarantined names the vehicles the upstream described badly, each with why; the sync kept
	// them out of the snapshot or at their last good state.
	Quarantined []Quarantined
}

// Quarantined is one vehicle a sync could not take as the upstream described it.
type Quarantined struct {
	VIN, Field, Reason string
	// Kept says what the snapshot holds instead: "none", "previous" or "feed".
	Kept string
}

// ReportingSyncer is a Syncer that also reports on each sync; the cache records the reports in
// the tenant's history. A plain Syncer's syncs are recorded without upstream call counts.
type ReportingSyncer interface {
	SyncReport(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, SyncReport, error)
}

// SyncRecord is one finished sync of a tenant.
type SyncRecord struct {
	At       time.Time
	Duration time.Duration
	Vehicles int
	OK       bool
	// Calls is the number of upstream HTTP attempts the sync made.
	Calls int
	// CallsByEndpoint splits Calls by endpoint.
	CallsByEndpoint map[string]int
	// Error is the failure, "" on success.
	Error string
	// Quarantined are the vehicles the sync could not take as described.
	Quarantined []Quarantined
}

// syncLog is a tenant's marks kept in this process and its sync history ring.
type syncLog struct {
	mu    sync.Mutex
	marks map[string]bool
	ring  []SyncRecord
	next  int
	full  bool
}

func (l *syncLog) record(r SyncRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ring == nil {
		l.ring = make([]SyncRecord, DefaultHistory)
	}
	l.ring[l.next] = r
	l.next = (l.next + 1) % len(l.ring)
	if l.next == 0 {
		l.full = true
	}
}

// History returns the tenant's recent syncs in this process, oldest first, as a copy.
func (c *Cache) History(tenant string) []SyncRecord {
	l := &c.state(tenant).log
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.full {
		return slices.Clone(l.ring[:l.next])
	}
	return append(slices.Clone(l.ring[l.next:]), l.ring[:l.next]...)
}

// lastRecord is the tenant's most recent sync, false when it has none.
func (l *syncLog) lastRecord() (SyncRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next == 0 && !l.full {
		return SyncRecord{}, false
	}
	return l.ring[(l.next+len(l.ring)-1)%len(l.ring)], true
}

// addMarks marks vins of the tenant: in Redis when it answers (so that any replica's sync sees
// them), in this process when there is none or it fails.
func (c *Cache) addMarks(ctx context.Context, st *tenantState, vins []string) {
	if len(vins) == 0 {
		return
	}
	norm := make([]string, len(vins))
	for i, v := range vins {
		norm[i] = inventory.NormalizeVIN(v)
	}
	if c.redisUp() {
		members := make([]any, len(norm))
		for i, v := range norm {
			members[i] = v
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.RedisTimeout)
		defer cancel()
		_, err := c.l2.client.TxPipelined(rctx, func(p redis.Pipeliner) error {
			p.SAdd(rctx, st.k.marks, members...)
			p.Expire(rctx, st.k.marks, marksTTL)
			return nil
		})
		if err == nil {
			return
		}
		c.redisFailed("marks", err)
	}
	st.log.mu.Lock()
	if st.log.marks == nil {
		st.log.marks = make(map[string]bool, len(norm))
	}
	for _, v := range norm {
		st.log.marks[v] = true
	}
	st.log.mu.Unlock()
	c.storeDurableMarks(st)
}

// PendingMarks lists the VINs the tenant's next sync will fetch again, sorted.
func (c *Cache) PendingMarks(tenant string) []string { return c.pendingMarks(c.state(tenant)) }

// pendingMarks lists the tenant's marked VINs, sorted: this process's and Redis's.
func (c *Cache) pendingMarks(st *tenantState) []string {
	st.log.mu.Lock()
	out := make([]string, 0, len(st.log.marks))
	for v := range st.log.marks {
		out = append(out, v)
	}
	st.log.mu.Unlock()
	if c.redisUp() {
		ctx, cancel := c.redisCtx()
		shared, err := c.l2.client.SMembers(ctx, st.k.marks).Result()
		cancel()
		if err != nil {
			c.redisFailed("marks", err)
		}
		out = append(out, shared...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// clearMarks forgets the marks a successful sync honoured; marks made meanwhile stay.
func (c *Cache) clearMarks(st *tenantState, vins []string) {
	if len(vins) == 0 {
		return
	}
	st.log.mu.Lock()
	members := make([]any, len(vins))
	local := len(st.log.marks) > 0
	for i, v := range vins {
		delete(st.log.marks, v)
		members[i] = v
	}
	st.log.mu.Unlock()
	if local {
		c.storeDurableMarks(st)
	}
	if c.redisUp() {
		ctx, cancel := c.redisCtx()
		defer cancel()
		if err := c.l2.client.SRem(ctx, st.k.marks, members...).Err(); err != nil {
			c.redisFailed("marks", err) // a leftover mark costs one details call
		}
	}
}

// withoutVINs is prev with the vehicles of vins (sorted) left out, sharing the rest; prev is
// unchanged.
func withoutVINs(prev *inventory.Snapshot, vins []string) *inventory.Snapshot {
	if prev == nil || len(vins) == 0 {
		return prev
	}
	p := *prev
	p.Vehicles = make([]inventory.Vehicle, 0, len(prev.Vehicles))
	for i := range prev.Vehicles {
		if _, found := slices.BinarySearch(vins, inventory.NormalizeVIN(prev.Vehicles[i].VIN)); !found {
			p.Vehicles = append(p.Vehicles, prev.Vehicles[i])
		}
	}
	return &p
}

// runSync calls the syncer, with a report when it gives one.
func (c *Cache) runSync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, SyncReport, error) {
	if rs, ok := c.syncer.(ReportingSyncer); ok {
		return rs.SyncReport(ctx, tenant, prev)
	}
	snap, err := c.syncer.Sync(ctx, tenant, prev)
	return snap, SyncReport{}, err
}

func totalCalls(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
