package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// Formats finds a format's writer by name; *transform.Registry is one.
type Formats interface {
	Lookup(name string) (transform.Writer, error)
}

// state is everything the gateway derives from one configuration. It is built whole, off to the
// side, and swapped in atomically, so a request sees either the old configuration or the new one,
// never a mix, and a configuration that cannot be built never replaces a working one.
type state struct {
	cfg      *config.Config
	keys     keyring
	tenants  map[string]*tenantState
	freshFor time.Duration
}

type tenantState struct {
	id        string
	perMinute int
	feeds     map[string]*feedState
}

// feedState is one feed, ready to render.
type feedState struct {
	tenant, name string
	writer       transform.Writer
	dealer       inventory.Dealer
	options      transform.Options
	// fingerprint is a hash of everything besides the snapshot that shapes the output (format,
	// options, filter, dealer). It is part of the output key, so a configuration change makes
	// outputs rendered under the old one unreachable.
	fingerprint string
	// prepared holds the response headers of the output last served (feed_headers.go).
	prepared atomic.Pointer[preparedOutput]
}

func buildState(cfg *config.Config, formats Formats) (*state, error) {
	if cfg == nil {
		return nil, errors.New("gateway: no configuration")
	}
	st := &state{cfg: cfg, keys: keyring{}, tenants: make(map[string]*tenantState, len(cfg.Tenants)),
		freshFor: cfg.Cache.FreshFor}
	var problems []error
	addKey := func(where, hash string, g *grant) {
		if !st.keys.add(hash, g) {
			problems = append(problems, fmt.Errorf("%s: the hash is malformed or used by another key", where))
		}
	}
	for i, k := range cfg.AdminKeys {
		addKey(fmt.Sprintf("admin_keys[%d]", i), k.Hash, &grant{name: k.Name, admin: true})
	}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		ts := &tenantState{id: t.ID, perMinute: t.RateLimit.PerMinute, feeds: make(map[string]*feedState, len(t.Feeds))}
		if _, dup := st.tenants[t.ID]; dup {
			problems = append(problems, fmt.Errorf("tenants[%d].id: %q is used twice", i, t.ID))
		}
		st.tenants[t.ID] = ts
		for j, k := range t.Keys {
			addKey(fmt.Sprintf("tenants[%d].keys[%d]", i, j), k.Hash,
				&grant{name: k.Name, tenant: t.ID, scopes: append([]string(nil), k.Scopes...)})
		}
		dealer := t.Dealer()
		for j := range t.Feeds {
			f := &t.Feeds[j]
			w, err := formats.Lookup(f.Format)
			if err != nil {
				problems = append(problems, fmt.Errorf("tenants[%d].feeds[%d].format: %w", i, j, err))
				continue
			}
			fs := &feedState{tenant: t.ID, name: f.Name, writer: w, dealer: dealer, options: transform.Options{
				Filter: f.FeedFilter(), Currency: f.Options.Currency, MileageUnit: f.Options.MileageUnit,
				BOM: f.Options.BOM, FeedURL: cfg.FeedURL(t.ID, f.Name), Title: f.Options.Title,
				LinkTemplate: f.Options.LinkTemplate, LinkParams: f.Options.UTM.Query(), CustomLabels: f.Options.CustomLabels,
				TitlePattern: f.Options.TitlePattern, ExcludeVINs: f.Filter.ExcludeVINs, PriceMin: f.Filter.PriceMin, PriceMax: f.Filter.PriceMax,
			}}
			fp, err := fingerprint(fs)
			if err != nil {
				problems = append(problems, fmt.Errorf("tenants[%d].feeds[%d]: %w", i, j, err))
				continue
			}
			fs.fingerprint = fp
			ts.feeds[f.Name] = fs
			for k, key := range f.Keys {
				addKey(fmt.Sprintf("tenants[%d].feeds[%d].keys[%d]", i, j, k), key.Hash,
					&grant{name: key.Name, tenant: t.ID, feed: f.Name})
			}
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("gateway: configuration refused: %w", err)
	}
	return st, nil
}

func fingerprint(fs *feedState) (string, error) {
	b, err := json.Marshal(struct {
		Format  string
		Type    string
		Dealer  inventory.Dealer
		Options transform.Options
	}{fs.writer.Name(), fs.writer.ContentType(), fs.dealer, fs.options})
	if err != nil {
		return "", fmt.Errorf("gateway: fingerprint: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
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
