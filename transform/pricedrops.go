package transform

import (
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// PriceDrops is the "price-drops" format: an RSS 2.0 feed of the tenant's most recent price
// reductions, newest first, so that a person (or a deal site) can subscribe to them. Each item is
// one reduction of a vehicle still in the inventory: its title, VDP link, the old and new price,
// and when the sync saw the change. It reads Input.PriceDrops, which the render owner fills from
// the change log; a render without a change log has no items.
type PriceDrops struct{}

var _ Writer = (*PriceDrops)(nil)
var _ ChangeReader = (*PriceDrops)(nil)

// priceDropsVersion is the output's version. Bump it whenever its bytes change.
const priceDropsVersion = "1"

// priceDropsMax bounds the items: a reader wants the recent ones.
const priceDropsMax = 200

// NewPriceDrops returns the "price-drops" format.
func NewPriceDrops() *PriceDrops { return &PriceDrops{} }

// Name is "price-drops".
func (*PriceDrops) Name() string { return "price-drops" }

// Version is priceDropsVersion.
func (*PriceDrops) Version() string { return priceDropsVersion }

// ContentType is the RSS media type in UTF-8.
func (*PriceDrops) ContentType() string { return "application/rss+xml; charset=utf-8" }

// Extension is "xml".
func (*PriceDrops) Extension() string { return "xml" }

// Description is one line for `feedgate formats`.
func (*PriceDrops) Description() string {
	return "RSS 2.0 feed of recent price reductions, newest first (from the change log)"
}

// PriceDropsWanted asks for the most recent reductions.
func (*PriceDrops) PriceDropsWanted() int { return priceDropsMax }

func (*PriceDrops) dealerProblems(d inventory.Dealer, _ Options) []string {
	return syndDealerProblems(d)
}

// Write renders the reductions of vehicles still in the snapshot (a reduction of a vehicle sold
// since is skipped). Diagnostics count the vehicles with a listed reduction as included and the
// rest of the snapshot as filtered.
func (*PriceDrops) Write(w io.Writer, in Input) (Diagnostics, error) {
	var d Diagnostics
	byVIN := make(map[string]*inventory.Vehicle)
	if in.Snapshot != nil {
		for i := range in.Snapshot.Vehicles {
			v := &in.Snapshot.Vehicles[i]
			byVIN[inventory.NormalizeVIN(v.VIN)] = v
		}
	}
	f := syndFeed{
		Author: OneLine(Clean(in.Dealer.Name)),
		Home:   Clean(strings.TrimSpace(in.Dealer.Website)),
		Self:   Clean(strings.TrimSpace(in.Options.FeedURL)),
		Title:  OneLine(Clean(in.Options.Title)),
	}
	if f.Title == "" {
		f.Title = strings.TrimSpace(f.Author + " price drops")
	}
	f.Description = "Recent price reductions of " + strings.TrimSpace(f.Author+" inventory") + ", newest first."
	cur := in.Options.CurrencyCode()
	listed := make(map[string]bool)
	for _, p := range in.PriceDrops {
		if len(f.Entries) == priceDropsMax {
			break
		}
		vin := inventory.NormalizeVIN(p.VIN)
		v, ok := byVIN[vin]
		if !ok {
			continue
		}
		e := syndEntryOf(v, in, p.At.UTC())
		e.ID = "urn:vin:" + url.PathEscape(vin) + ":price:" + strconv.FormatInt(p.At.Unix(), 10)
		e.Title = e.Title + ": " + Money(p.New, cur) + " (was " + Money(p.Old, cur) + ")"
		e.Summary = "Price down from " + Money(p.Old, cur) + " to " + Money(p.New, cur) + ". " + e.Summary
		if f.Updated.IsZero() || p.At.After(f.Updated) {
			f.Updated = p.At.UTC()
		}
		f.Entries = append(f.Entries, e)
		listed[vin] = true
	}
	d.Included = len(listed)
	if in.Snapshot != nil {
		d.Filtered = in.Snapshot.Len() - len(listed)
	}
	return d, writeRSS(w, f)
}
