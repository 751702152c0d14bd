// Package publish is the one owner of "a tenant's feeds": it turns the configuration into each
// feed's writer and options, renders a feed over a snapshot into the bytes that are stored and
// served, and serves those through the cache. The gateway's miss path, `feedgate render` and the
// background refresher all come here, so a feed option is mapped in exactly one place and every
// stored output is keyed by what shaped its bytes: the writer's name and version, the feed's
// settings and the snapshot's version.
package publish

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// Formats finds a format's writer by name; *transform.Registry is one.
type Formats interface {
	Lookup(name string) (transform.Writer, error)
}

// Feed is one configured feed, ready to render. It is immutable once built.
type Feed struct {
	Tenant string
	Name   string
	Writer transform.Writer
	// Dealer and Options are what the writer is given besides the snapshot.
	Dealer  inventory.Dealer
	Options transform.Options
	// Fingerprint is a hash of everything besides the snapshot and the writer's code that shapes
	// the output (format, content type, dealer, options), so a changed configuration renders anew.
	Fingerprint string

	// key and id are built once, so that serving a stored output builds no string; hit is key
	// prepared for the cache's one-call hit (nil for a Feed built by hand).
	key cache.OutputKey
	id  string
	hit *cache.HitKey
}

// Options is the one mapping from a feed's configuration to its writer's options.
func Options(cfg *config.Config, t *config.Tenant, f *config.Feed) transform.Options {
	return transform.Options{
		Filter: f.FeedFilter(), Currency: f.Options.Currency, MileageUnit: f.Options.MileageUnit,
		BOM: f.Options.BOM, FeedURL: cfg.FeedURL(t.ID, f.Name), Title: f.Options.Title,
		LinkTemplate: f.Options.LinkTemplate, LinkParams: f.Options.UTM.Query(), CustomLabels: f.Options.CustomLabels,
		TitlePattern: f.Options.TitlePattern, ExcludeVINs: f.Filter.ExcludeVINs, PriceMin: f.Filter.PriceMin, PriceMax: f.Filter.PriceMax,
	}
}

// NewFeed prepares feed f of tenant t; the error names the unknown format.
func NewFeed(cfg *config.Config, t *config.Tenant, f *config.Feed, formats Formats) (*Feed, error) {
	w, err := formats.Lookup(f.Format)
	if err != nil {
		return nil, err
	}
	fd := &Feed{Tenant: t.ID, Name: f.Name, Writer: w, Dealer: t.Dealer(), Options: Options(cfg, t, f)}
	if fd.Fingerprint, err = fingerprint(fd); err != nil {
		return nil, err
	}
	fd.key = cache.OutputKey{Tenant: fd.Tenant, Feed: fd.Name, Format: FormatKey(fd.Writer), Variant: fd.Fingerprint}
	fd.id = fd.Tenant + "/" + fd.Name
	fd.hit = cache.NewHitKey(fd.key)
	return fd, nil
}

func fingerprint(f *Feed) (string, error) {
	b, err := json.Marshal(struct {
		Format  string
		Type    string
		Dealer  inventory.Dealer
		Options transform.Options
	}{f.Writer.Name(), f.Writer.ContentType(), f.Dealer, f.Options})
	if err != nil {
		return "", fmt.Errorf("publish: fingerprint of %s/%s: %w", f.Tenant, f.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// FormatKey names a writer and the version of its code, e.g. "google-vehicle-ads@3": the part
// of an output key that makes an upgraded writer render anew instead of serving what an older
// build stored in Redis.
func FormatKey(w transform.Writer) string {
	return w.Name() + "@" + w.Version()
}

// OutputKey is where the feed's output is stored (the snapshot's version completes it).
func (f *Feed) OutputKey() cache.OutputKey {
	if f.key.Format == "" { // a Feed built by hand rather than by NewFeed
		return cache.OutputKey{Tenant: f.Tenant, Feed: f.Name, Format: FormatKey(f.Writer), Variant: f.Fingerprint}
	}
	return f.key
}

// Input is what the writer renders for snap.
func (f *Feed) Input(snap *inventory.Snapshot) transform.Input {
	return transform.Input{Snapshot: snap, Dealer: f.Dealer, Options: f.Options}
}

// Render renders f over snap into a buffer: a failing or panicking writer becomes a clean error,
// never a truncated output. The result carries the body, content type, the snapshot's
// modification time and the diagnostics as JSON (Meta); the cache adds gzip and the ETag when
// it stores it.
func Render(f *Feed, snap *inventory.Snapshot) (cache.Rendered, transform.Diagnostics, error) {
	return renderInput(f, f.Input(snap))
}

// renderInput is Render for a prepared input (one that carries the change log's price drops).
func renderInput(f *Feed, in transform.Input) (out cache.Rendered, d transform.Diagnostics, err error) {
	snap := in.Snapshot
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("publish: render %s/%s (%s): panic: %v", f.Tenant, f.Name, f.Writer.Name(), p)
		}
	}()
	var buf bytes.Buffer
	d, err = f.Writer.Write(&buf, in)
	if err != nil {
		return cache.Rendered{}, d, fmt.Errorf("publish: render %s/%s (%s): %w", f.Tenant, f.Name, f.Writer.Name(), err)
	}
	meta, err := json.Marshal(d)
	if err != nil {
		return cache.Rendered{}, d, fmt.Errorf("publish: render %s/%s: diagnostics: %w", f.Tenant, f.Name, err)
	}
	return cache.Rendered{Body: buf.Bytes(), ContentType: f.Writer.ContentType(), ModifiedAt: snap.ModifiedAt, Meta: meta}, d, nil
}

// Set is every feed of one configuration, by tenant and name.
type Set struct {
	tenants map[string]map[string]*Feed
}

// Build prepares every feed of cfg, refusing the whole configuration when one cannot be built.
func Build(cfg *config.Config, formats Formats) (*Set, error) {
	if cfg == nil {
		return nil, errors.New("publish: no configuration")
	}
	s := &Set{tenants: make(map[string]map[string]*Feed, len(cfg.Tenants))}
	var problems []error
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		feeds := make(map[string]*Feed, len(t.Feeds))
		for j := range t.Feeds {
			f, err := NewFeed(cfg, t, &t.Feeds[j], formats)
			if err != nil {
				problems = append(problems, fmt.Errorf("tenants[%d].feeds[%d].format: %w", i, j, err))
				continue
			}
			feeds[f.Name] = f
		}
		s.tenants[t.ID] = feeds
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return s, nil
}

// Feed finds a feed of a tenant.
func (s *Set) Feed(tenant, name string) (*Feed, bool) {
	f, ok := s.tenants[tenant][name]
	return f, ok
}

// Tenant lists a tenant's feeds, sorted by name.
func (s *Set) Tenant(tenant string) []*Feed {
	out := make([]*Feed, 0, len(s.tenants[tenant]))
	for _, f := range s.tenants[tenant] {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
