package bridge

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/inventory"
)

// Write-through marks. A full sync re-fetches details only for VINs whose list view changed, and
// asking the upstream to generate a description changes nothing in the list (its status goes to
// "generating" in the details only). So a VIN written through the drop-in API, or named by an
// inventory.description.completed webhook, is marked; the next sync is handed a prev snapshot
// without the marked VINs, which makes it fetch their details again, and clears the marks once it
// succeeds. With Redis the marks live there too, so the replica that syncs sees marks made on
// another.

// marksTTL bounds how long a mark waits for a sync; a tenant nobody reads needs none.
const marksTTL = 24 * time.Hour

// Marks remembers, per tenant, the VINs the next sync must fetch again.
type Marks struct {
	rc     redis.UniversalClient // nil: this process only
	prefix string

	mu  sync.Mutex
	mem map[string]map[string]bool
}

// NewMarks keeps marks in rc under prefix (and in this process), or in this process only when rc
// is nil.
func NewMarks(rc redis.UniversalClient, prefix string) *Marks {
	return &Marks{rc: rc, prefix: prefix, mem: make(map[string]map[string]bool)}
}

// key is the tenant's Redis set; the braces keep it in one Redis Cluster slot.
func (m *Marks) key(tenant string) string { return m.prefix + "marks:{" + tenant + "}" }

// add marks vins of tenant: in Redis when there is one (so that any replica's sync sees them),
// in this process when there is none or it fails.
func (m *Marks) add(ctx context.Context, tenant string, vins []string) error {
	if len(vins) == 0 {
		return nil
	}
	var err error
	if m.rc != nil {
		members := make([]any, len(vins))
		for i, v := range vins {
			members[i] = v
		}
		_, err = m.rc.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.SAdd(ctx, m.key(tenant), members...)
			p.Expire(ctx, m.key(tenant), marksTTL)
			return nil
		})
		if err == nil {
			return nil
		}
		err = fmt.Errorf("feedgate: Marks: %w (kept in this process)", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	set := m.mem[tenant]
	if set == nil {
		set = make(map[string]bool)
		m.mem[tenant] = set
	}
	for _, v := range vins {
		set[v] = true
	}
	return err
}

// Pending lists the tenant's marked VINs, sorted: Redis's and this process's own.
func (m *Marks) Pending(ctx context.Context, tenant string) []string {
	m.mu.Lock()
	out := make([]string, 0, len(m.mem[tenant]))
	for v := range m.mem[tenant] {
		out = append(out, v)
	}
	m.mu.Unlock()
	if m.rc != nil {
		if shared, err := m.rc.SMembers(ctx, m.key(tenant)).Result(); err == nil {
			out = append(out, shared...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// done clears the marks a successful sync honoured; marks made meanwhile stay.
func (m *Marks) done(ctx context.Context, tenant string, vins []string) {
	if len(vins) == 0 {
		return
	}
	m.mu.Lock()
	members := make([]any, len(vins))
	for i, v := range vins {
		delete(m.mem[tenant], v)
		members[i] = v
	}
	m.mu.Unlock()
	if m.rc != nil {
		_ = m.rc.SRem(ctx, m.key(tenant), members...).Err() // a leftover mark costs one details call
	}
}

// MarkingSyncer hands the next syncer a prev snapshot without the marked VINs.
type MarkingSyncer struct {
	Next  cache.Syncer
	Marks *Marks
}

var _ cache.Syncer = MarkingSyncer{}

// Sync runs Next with prev less the marked VINs and clears the marks it honoured on success.
func (s MarkingSyncer) Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error) {
	vins := s.Marks.Pending(ctx, tenant)
	snap, err := s.Next.Sync(ctx, tenant, withoutVINs(prev, vins))
	if err == nil {
		s.Marks.done(ctx, tenant, vins)
	}
	return snap, err
}

// withoutVINs is prev with the vehicles of vins left out, sharing the rest; prev is unchanged.
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

// MarkingAdmin is an AdminStore whose MarkForRefresh also marks the VINs for the next sync.
type MarkingAdmin struct {
	gateway.AdminStore
	Marks *Marks
}

// MarkForRefresh marks the VINs for the next sync and has the wrapped store treat the snapshot
// as stale.
func (a MarkingAdmin) MarkForRefresh(ctx context.Context, tenant string, vins []string) error {
	err := a.Marks.add(ctx, tenant, vins)
	if ierr := a.AdminStore.MarkForRefresh(ctx, tenant, vins); ierr != nil {
		return ierr
	}
	return err
}
