package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/feedgate/feedgate/inventory"
)

// Sync strategy names, as in the configuration's upstream.sync.
const (
	// StrategyFull walks the list and fetches details only for new or changed vehicles.
	StrategyFull = "full"
	// StrategyFeed makes one feed call, then fetches details for the vehicles that are new or
	// whose feed view changed (the feed lacks the details-only fields channels need).
	StrategyFeed = "feed"
)

// DefaultSyncConcurrency is how many details calls a full sync runs at once by default.
const DefaultSyncConcurrency = 8

// ClientSource hands out the Client holding a tenant's upstream key.
type ClientSource interface {
	Client(tenant string) (*Client, error)
}

// ClientMap is a fixed ClientSource keyed by tenant ID.
type ClientMap map[string]*Client

// Client returns the tenant's client or an error naming the unknown tenant.
func (m ClientMap) Client(tenant string) (*Client, error) {
	if c, ok := m[tenant]; ok && c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("upstream: no client for tenant %q", tenant)
}

// ClientFunc adapts a function to ClientSource.
type ClientFunc func(tenant string) (*Client, error)

// Client calls f.
func (f ClientFunc) Client(tenant string) (*Client, error) { return f(tenant) }

// SyncerOptions configures a Syncer. Zero values take defaults.
type SyncerOptions struct {
	// Clients gives each tenant's Client; required.
	Clients ClientSource
	// Strategy is StrategyFull (the default) or StrategyFeed.
	Strategy string
	// Concurrency bounds a full sync's parallel details calls (default 8).
	Concurrency int
	// PageSize is a full sync's list page size (default and maximum 100).
	PageSize int
	// Clock gives the time a snapshot is stamped with (default time.Now).
	Clock func() time.Time
	// Logger receives one line per sync; nil discards.
	Logger *slog.Logger
}

// SyncReport describes one sync: what it cost upstream and what it found.
type SyncReport struct {
	Tenant   string
	Strategy string
	// Started is when the sync began (by the Syncer's clock); Duration how long it took.
	Started  time.Time
	Duration time.Duration
	// Calls counts HTTP attempts per endpoint name (retries included).
	Calls map[string]int
	// Vehicles is the new snapshot's size (0 on failure).
	Vehicles int
	// Added, Updated and Removed compare the result with prev; Changed is their sum.
	Added, Updated, Removed, Changed int
	// Quarantined lists, sorted by VIN, the vehicles the upstream described badly (a field of the
	// wrong type, a details call answering 404 or for another VIN): each is out of the snapshot
	// or kept as prev had it. It is filled on failure too (ErrTooManyBadVehicles says why).
	Quarantined []Quarantined
	// Err is the failure's text, "" on success.
	Err string
}

// TotalCalls is the number of HTTP attempts the sync made.
func (r SyncReport) TotalCalls() int {
	n := 0
	for _, c := range r.Calls {
		n += c
	}
	return n
}

// Syncer builds a tenant's snapshot from the upstream with one strategy. It satisfies the cache
// package's Syncer interface. It is safe for concurrent use.
type Syncer struct {
	clients     ClientSource
	strategy    string
	concurrency int
	pageSize    int
	clock       func() time.Time
	log         *slog.Logger
}

// NewSyncer checks opts and returns a Syncer.
func NewSyncer(opts SyncerOptions) (*Syncer, error) {
	if opts.Clients == nil {
		return nil, errors.New("upstream: a syncer needs a ClientSource")
	}
	switch opts.Strategy {
	case "":
		opts.Strategy = StrategyFull
	case StrategyFull, StrategyFeed:
	default:
		return nil, fmt.Errorf("upstream: unknown sync strategy %q (want %q or %q)", opts.Strategy, StrategyFull, StrategyFeed)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultSyncConcurrency
	}
	if opts.PageSize <= 0 {
		opts.PageSize = MaxListLimit
	}
	if opts.PageSize > MaxListLimit {
		return nil, fmt.Errorf("upstream: page size %d is over %d", opts.PageSize, MaxListLimit)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Syncer{
		clients: opts.Clients, strategy: opts.Strategy, concurrency: opts.Concurrency,
		pageSize: opts.PageSize, clock: opts.Clock, log: opts.Logger,
	}, nil
}

// Sync fetches tenant's inventory and returns a new snapshot; prev (nil for none) is the last
// good snapshot, which a full sync reuses for unchanged vehicles and never modifies. A failed
// sync returns an error and no snapshot, never a partial one.
func (s *Syncer) Sync(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, error) {
	snap, _, err := s.SyncWithReport(ctx, tenant, prev)
	return snap, err
}

// SyncWithReport is Sync that also returns the sync's report. The Syncer keeps no reports: the
// cache records each in the tenant's history, the one place sync history lives.
func (s *Syncer) SyncWithReport(ctx context.Context, tenant string, prev *inventory.Snapshot) (*inventory.Snapshot, SyncReport, error) {
	rep := SyncReport{Tenant: tenant, Strategy: s.strategy, Started: s.clock()}
	ctx, calls := withCallCounter(ctx)
	snap, err := s.run(ctx, tenant, prev, &rep)
	rep.Calls = calls.snapshot()
	rep.Duration = s.clock().Sub(rep.Started)
	if err != nil {
		snap = nil
		rep.Vehicles, rep.Added, rep.Updated, rep.Removed, rep.Changed = 0, 0, 0, 0, 0
		rep.Err = err.Error()
	} else {
		rep.Vehicles = snap.Len()
		rep.Changed = rep.Added + rep.Updated + rep.Removed
	}
	attrs := []slog.Attr{slog.String("tenant", tenant), slog.String("strategy", rep.Strategy),
		slog.Int("calls", rep.TotalCalls()), slog.Int("vehicles", rep.Vehicles), slog.Int("changed", rep.Changed),
		slog.Float64("duration_ms", float64(rep.Duration.Microseconds())/1000)}
	if len(rep.Quarantined) > 0 {
		attrs = append(attrs, slog.Int("quarantined", len(rep.Quarantined)))
	}
	if rep.Err != "" {
		attrs = append(attrs, slog.String("err", rep.Err))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "upstream sync", attrs...)
	return snap, rep, err
}

func (s *Syncer) run(ctx context.Context, tenant string, prev *inventory.Snapshot, rep *SyncReport) (*inventory.Snapshot, error) {
	c, err := s.clients.Client(tenant)
	if err != nil {
		return nil, err
	}
	q := &quarantine{}
	var vehicles []inventory.Vehicle
	switch s.strategy {
	case StrategyFeed:
		vehicles, err = s.feed(ctx, c, prev, q)
	default:
		vehicles, err = s.full(ctx, c, prev, q)
	}
	rep.Quarantined = q.result()
	for _, b := range rep.Quarantined {
		s.log.LogAttrs(ctx, slog.LevelWarn, "upstream vehicle quarantined", slog.String("tenant", tenant),
			slog.String("vin", b.VIN), slog.String("endpoint", b.Endpoint), slog.String("field", b.Field),
			slog.String("reason", b.Reason), slog.String("kept", b.Kept))
	}
	if err != nil {
		return nil, fmt.Errorf("upstream: %s sync of %s: %w", s.strategy, tenant, err)
	}
	diff(indexByVIN(prev), vehicles, rep)
	snap := inventory.NewSnapshot(tenant, vehicles, s.clock(), s.strategy)
	if prev != nil && prev.Version == snap.Version && !prev.ModifiedAt.IsZero() {
		// Same content: keep Last-Modified (and so conditional requests) where it was.
		snap.ModifiedAt = prev.ModifiedAt
	}
	return snap, nil
}

// feed is the feed strategy: one feed call, then details for the vehicles the feed cannot
// describe (it lacks MSRP, body style, fuel type, extra images, ...): every VIN that is new or
// whose feed view differs from prev's, Concurrency at a time. prev's vehicles with details and
// an unchanged feed view are reused. A vehicle the feed describes badly is quarantined; one
// whose details call fails that way is kept as prev had it, else as the feed shows it.
func (s *Syncer) feed(ctx context.Context, c *Client, prev *inventory.Snapshot, q *quarantine) ([]inventory.Vehicle, error) {
	vs, bad, err := c.feed(ctx, "json")
	if err != nil {
		return nil, err
	}
	seen := make([]detailsJob, len(vs))
	for i := range vs {
		seen[i] = detailsJob{vin: vs[i].VIN, fallback: &vs[i]}
	}
	return s.reconcile(ctx, c, prev, q, bad, seen, func(i int, pv *inventory.Vehicle) bool {
		return hasDetails(pv) && sameFeedView(pv, &vs[i])
	})
}

// hasDetails reports whether v came from a details answer (which always carries updated_at),
// not from a feed or list view alone.
func hasDetails(v *inventory.Vehicle) bool { return !v.UpdatedAt.IsZero() }

// full is the full strategy: walk the list, fetch details for new and changed vehicles, reuse
// prev's for the rest. A vehicle described badly (in the list or its details) is quarantined.
func (s *Syncer) full(ctx context.Context, c *Client, prev *inventory.Snapshot, q *quarantine) ([]inventory.Vehicle, error) {
	items, bad, err := s.walkAll(ctx, c)
	if err != nil {
		return nil, err
	}
	seen := make([]detailsJob, len(items))
	for i, it := range items {
		seen[i] = detailsJob{vin: it.VIN}
	}
	return s.reconcile(ctx, c, prev, q, bad, seen, func(i int, pv *inventory.Vehicle) bool {
		return sameListView(pv, items[i])
	})
}

// reconcile is what the feed and full strategies share once the upstream has listed its
// vehicles: it keeps the badly described ones (bad) as q decides, reuses prev's copy of each
// listed vehicle (seen[i]) for which unchanged(i, prev's copy) holds, fetches details for the
// rest, and fails when q holds too many of all the vehicles listed.
func (s *Syncer) reconcile(ctx context.Context, c *Client, prev *inventory.Snapshot, q *quarantine,
	bad []*BadVehicleError, seen []detailsJob, unchanged func(i int, pv *inventory.Vehicle) bool) ([]inventory.Vehicle, error) {
	old := indexByVIN(prev)
	out := make([]inventory.Vehicle, 0, len(seen)+len(bad))
	for _, b := range bad {
		if v := q.keep(b, old, nil); v != nil {
			out = append(out, *v)
		}
	}
	var jobs []detailsJob
	for i, job := range seen {
		if pv, ok := old[job.vin]; ok && unchanged(i, pv) {
			out = append(out, pv.Clone())
			continue
		}
		jobs = append(jobs, job)
	}
	fetched, err := s.fetchDetails(ctx, c, jobs, old, q)
	if err != nil {
		return nil, err
	}
	out = append(out, fetched...)
	if err := q.check(len(seen) + len(bad)); err != nil {
		return nil, err
	}
	return out, nil
}

// detailsJob is one details call a sync needs: the VIN, and the vehicle to keep should the
// details describe it badly and prev not know it (nil: keep none).
type detailsJob struct {
	vin      string
	fallback *inventory.Vehicle
}

// fetchDetails runs the jobs' details calls, Concurrency at a time, and returns the vehicles
// they give. A vehicle described badly, answering 404 or answering for another VIN is
// quarantined; any other failure fails the whole call.
func (s *Syncer) fetchDetails(ctx context.Context, c *Client, jobs []detailsJob, old map[string]*inventory.Vehicle, q *quarantine) ([]inventory.Vehicle, error) {
	got := make([]*inventory.Vehicle, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency)
	for i, job := range jobs {
		g.Go(func() error {
			v, err := c.Details(gctx, job.vin)
			if err == nil && inventory.NormalizeVIN(v.VIN) != inventory.NormalizeVIN(job.vin) {
				err = c.redact(&BadVehicleError{Endpoint: EndpointDetails, VIN: job.vin, Field: "vin",
					Reason: fmt.Sprintf("the details call answered for VIN %.40q", v.VIN)})
			}
			if err == nil {
				got[i] = &v
				return nil
			}
			bad, ok := asBadVehicle(err, job.vin)
			if !ok {
				return err
			}
			got[i] = q.keep(bad, old, job.fallback)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]inventory.Vehicle, 0, len(got))
	for _, v := range got {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

// WalkAttempts is how many times a sync walks the list when a walk comes out inconsistent (its
// count disagrees with total_count, it runs past the pages total_count allows, it repeats a
// cursor or has_more comes without one) before the sync fails: one walk and one repeat.
const WalkAttempts = 2

// walkAll walks the whole list, repeating an inconsistent walk up to WalkAttempts walks in
// all, and returns every good item once and the vehicles described badly.
func (s *Syncer) walkAll(ctx context.Context, c *Client) ([]inventory.ListItem, []*BadVehicleError, error) {
	for attempt := 0; ; attempt++ {
		items, bad, err := s.walkOnce(ctx, c)
		if err == nil || attempt+1 >= WalkAttempts || !walkRetryable(err) {
			return items, bad, err
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "upstream list walk inconsistent, walking again",
			slog.Int("attempt", attempt+1), slog.String("err", err.Error()))
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return nil, nil, fmt.Errorf("upstream: list: gave up (%w)", err)
		}
	}
}

// walkOnce is one walk of the list. A VIN the walk meets twice is an inconsistency like a count
// that disagrees with total_count: keyset pagination never repeats a VIN.
func (s *Syncer) walkOnce(ctx context.Context, c *Client) ([]inventory.ListItem, []*BadVehicleError, error) {
	var (
		items []inventory.ListItem
		bad   []*BadVehicleError
	)
	seen := make(map[string]bool)
	dup := 0
	res, err := c.walk(ctx, inventory.Query{}, s.pageSize, func(page []inventory.ListItem, pageBad []*BadVehicleError) error {
		for _, it := range page {
			if seen[it.VIN] {
				dup++
				continue
			}
			seen[it.VIN] = true
			items = append(items, it)
		}
		for _, b := range pageBad {
			if b.VIN != "" && seen[b.VIN] {
				dup++
				continue
			}
			seen[b.VIN] = b.VIN != ""
			bad = append(bad, b)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if dup > 0 {
		return nil, nil, unavailable(EndpointList, fmt.Errorf("%w: %d items but %d VINs repeat",
			ErrCountMismatch, res.items, dup))
	}
	return items, bad, nil
}

// sameListView reports whether the list shows v exactly as before: same updated_at and same
// list fields (a price change or a finished description shows even if updated_at lagged). A
// vehicle without updated_at (e.g. from a feed sync) is never taken as unchanged.
func sameListView(v *inventory.Vehicle, it inventory.ListItem) bool {
	if v.UpdatedAt.IsZero() || it.UpdatedAt.IsZero() {
		return false
	}
	have := v.ToListItem()
	return have.UpdatedAt.Equal(it.UpdatedAt) &&
		have.VIN == it.VIN && have.Year == it.Year && have.Make == it.Make && have.Model == it.Model &&
		have.Trim == it.Trim && have.Condition == it.Condition &&
		equalPtr(have.Price, it.Price) && equalPtr(have.Mileage, it.Mileage) &&
		have.ExteriorColor == it.ExteriorColor && have.InteriorColor == it.InteriorColor &&
		have.HasDescription == it.HasDescription && have.ImageURL == it.ImageURL
}

func equalPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func indexByVIN(s *inventory.Snapshot) map[string]*inventory.Vehicle {
	if s == nil {
		return nil
	}
	m := make(map[string]*inventory.Vehicle, len(s.Vehicles))
	for i := range s.Vehicles {
		m[s.Vehicles[i].VIN] = &s.Vehicles[i]
	}
	return m
}

// sameVehicle reports whether a and b hold the same content, field by field (an empty list and
// no list are the same, as in the content version). It runs for every vehicle of every sync, so
// it avoids reflection; TestSameVehicleSeesEveryField keeps it complete.
func sameVehicle(a, b *inventory.Vehicle) bool {
	return a.VIN == b.VIN && a.Year == b.Year && a.Make == b.Make && a.Model == b.Model &&
		a.Trim == b.Trim && a.Condition == b.Condition &&
		equalPtr(a.Price, b.Price) && equalPtr(a.MSRP, b.MSRP) && equalPtr(a.Mileage, b.Mileage) &&
		a.ExteriorColor == b.ExteriorColor && a.InteriorColor == b.InteriorColor &&
		a.Engine == b.Engine && a.Transmission == b.Transmission && a.Drivetrain == b.Drivetrain &&
		a.FuelType == b.FuelType && a.BodyStyle == b.BodyStyle && slices.Equal(a.Features, b.Features) &&
		a.ImageURL == b.ImageURL && slices.Equal(a.Images, b.Images) &&
		a.AIDescription == b.AIDescription && a.DescriptionStatus == b.DescriptionStatus &&
		equalTime(a.DescriptionGeneratedAt, b.DescriptionGeneratedAt) &&
		a.HasDescriptionFlag == b.HasDescriptionFlag &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// sameFeedView reports whether the feed shows v exactly as it shows fv.
func sameFeedView(v, fv *inventory.Vehicle) bool {
	a, b := v.ToFeedItem(), fv.ToFeedItem()
	return a.VIN == b.VIN && a.Year == b.Year && a.Make == b.Make && a.Model == b.Model &&
		a.Trim == b.Trim && a.Condition == b.Condition &&
		equalPtr(a.Price, b.Price) && equalPtr(a.Mileage, b.Mileage) &&
		a.ExteriorColor == b.ExteriorColor && a.InteriorColor == b.InteriorColor &&
		equalPtr(a.AIDescription, b.AIDescription) && a.ImageURL == b.ImageURL
}

func equalTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

// diff counts what vehicles adds to, changes in and removes from old into rep.
func diff(old map[string]*inventory.Vehicle, vehicles []inventory.Vehicle, rep *SyncReport) {
	seen := make(map[string]bool, len(vehicles))
	for i := range vehicles {
		seen[vehicles[i].VIN] = true
		switch pv, ok := old[vehicles[i].VIN]; {
		case !ok:
			rep.Added++
		case !sameVehicle(pv, &vehicles[i]):
			rep.Updated++
		}
	}
	for vin := range old {
		if !seen[vin] {
			rep.Removed++
		}
	}
}
