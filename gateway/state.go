package gateway

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/internal/stripe"
	"github.com/feedgate/feedgate/transform"
)

// state is everything the gateway derives from one configuration. It is built whole, off to the
// side, and swapped in atomically, so a request sees either the old configuration or the new one,
// never a mix, and a configuration that cannot be built never replaces a working one.
type state struct {
	cfg     *config.Config
	keys    keyring
	tenants map[string]*tenantState
}

type tenantState struct {
	id        string
	perMinute int
	// corsOrigins are the origins whose pages may read the tenant's drop-in answers.
	corsOrigins []string
	feeds       map[string]*feedState
	// grants are the tenant's keys, tenant-wide and per feed, for the admin views.
	grants []*grant
}

// feedState is one feed as the gateway serves it: its writer (for the extension and content type
// a request is checked against), the render owner's feed that serves its output, and the
// response headers of the output last served.
type feedState struct {
	tenant, name string
	writer       transform.Writer // source.Writer(), which never changes for a built feed
	// source is the render owner's feed, which serves its output.
	source Feed
	// lastFetch is when the feed was last fetched (kept across reloads).
	lastFetch *fetchClock
	// prepared holds the response headers of the output last served (feed_headers.go).
	prepared atomic.Pointer[preparedOutput]
	// diagnostics holds the diagnostics of the output last looked at by the admin routes.
	diagnostics atomic.Pointer[decodedDiagnostics]
	// responses memoizes the feed's feedgate_feed_responses_total counters (Metrics' feedStats
	// holds them): by Outcome, and notModified for a 304. A reload builds new feedStates, which
	// find the same counters there.
	responses [notModified + 1]atomic.Pointer[stripe.Counter]
}

// notModified indexes feedState.responses for a 304, after the Outcomes.
const notModified = Stale + 1

// countResponse counts one response of the feed, in the given metrics shard (see observeHTTP):
// o is an Outcome, or notModified.
func (fs *feedState) countResponse(m *Metrics, o Outcome, shard int) {
	if o < 0 || o > notModified {
		o = Miss // unreachable: Outcomes are the three above
	}
	p := fs.responses[o].Load()
	if p == nil {
		label := "not_modified"
		if o != notModified {
			label = o.String()
		}
		p = m.feeds.series(feedLabels{fs.tenant, fs.name, label})
		fs.responses[o].Store(p)
	}
	p.IncAt(shard)
}

// buildState derives the gateway's state from cfg, which config.Parse has validated: key hashes
// are well formed and distinct, tenant ids and feed names unique. The gateway trusts that and
// re-checks none of it; only what the render owner refuses (an unknown format) refuses cfg here.
//
// prev, the state in service (nil at start), lends the new one its fetch clocks, so that "last
// fetched" survives a reload for every feed and key that stays.
func buildState(cfg *config.Config, pub Publisher, prev *state) (*state, error) {
	if cfg == nil {
		return nil, errors.New("gateway: no configuration")
	}
	feeds, err := pub.Prepare(cfg)
	if err != nil {
		return nil, fmt.Errorf("gateway: configuration refused: %w", err)
	}
	st := &state{cfg: cfg, keys: keyring{}, tenants: make(map[string]*tenantState, len(cfg.Tenants))}
	clock := func(d [32]byte) *fetchClock {
		if prev != nil {
			if g, ok := prev.keys[d]; ok && g.lastFetch != nil {
				return g.lastFetch
			}
		}
		return new(fetchClock)
	}
	for _, k := range cfg.AdminKeys {
		st.keys.add(k.Digest(), &grant{name: k.Name, admin: true})
	}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		ts := &tenantState{id: t.ID, perMinute: t.RateLimit.PerMinute, corsOrigins: t.CORSOrigins,
			feeds: make(map[string]*feedState, len(t.Feeds))}
		st.tenants[t.ID] = ts
		for _, k := range t.Keys {
			g := &grant{name: k.Name, tenant: t.ID, scopes: append([]string(nil), k.Scopes...), lastFetch: clock(k.Digest())}
			st.keys.add(k.Digest(), g)
			ts.grants = append(ts.grants, g)
		}
		for j := range t.Feeds {
			f := &t.Feeds[j]
			src, ok := feeds.Feed(t.ID, f.Name)
			if !ok {
				return nil, fmt.Errorf("gateway: configuration refused: tenants[%d].feeds[%d]: the render owner has no feed %q", i, j, f.Name)
			}
			fs := &feedState{tenant: t.ID, name: f.Name, writer: src.Writer(), source: src, lastFetch: new(fetchClock)}
			if prev != nil {
				if old, _, ok := prev.feed(t.ID, f.Name); ok {
					fs.lastFetch = old.lastFetch
				}
			}
			ts.feeds[f.Name] = fs
			for _, key := range f.Keys {
				g := &grant{name: key.Name, tenant: t.ID, feed: f.Name, lastFetch: clock(key.Digest())}
				st.keys.add(key.Digest(), g)
				ts.grants = append(ts.grants, g)
			}
		}
	}
	return st, nil
}

// feed finds a configured feed.
func (st *state) feed(tenant, name string) (*feedState, *tenantState, bool) {
	t, ok := st.tenants[tenant]
	if !ok {
		return nil, nil, false
	}
	f, ok := t.feeds[name]
	return f, t, ok
}
