package transform

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// DefaultSyndicationLimit is how many entries the rss, atom and jsonfeed formats carry unless
// configured otherwise. A syndication feed is for people following new arrivals in a reader: the
// newest few hundred vehicles serve that, a feed of 50,000 entries is slow to fetch and parse
// and helps nobody. The full inventory is what the csv, json and xml formats are for.
const DefaultSyndicationLimit = 500

// SyndicationOptions configures the rss, atom and jsonfeed formats.
type SyndicationOptions struct {
	// Limit is the most entries a feed carries, newest first; 0 or less means
	// DefaultSyndicationLimit. The older vehicles are counted as Filtered, with one warning.
	Limit int
}

// syndDescription is the `feedgate formats` line of a syndication format.
func syndDescription(kind string, o SyndicationOptions) string {
	return kind + " of the newest vehicles (at most " + strconv.Itoa(o.limit()) + "), for feed readers"
}

func (o SyndicationOptions) limit() int {
	if o.Limit <= 0 {
		return DefaultSyndicationLimit
	}
	return o.Limit
}

// syndFeed is the neutral model the three syndication formats render (one model, one thin
// adapter per format): text already cleaned, times in UTC.
type syndFeed struct {
	ID          string // the feed URL, else the website, else a urn:feedgate: URI
	Title       string
	Description string
	Home        string // the dealer's website; may be ""
	Self        string // Options.FeedURL; may be ""
	Author      string
	Updated     time.Time
	Entries     []syndEntry
}

// syndEntry is one vehicle of a syndication feed.
type syndEntry struct {
	ID        string // urn:vin:<VIN>
	Title     string
	Link      string // the VDP, else the dealer's website
	Summary   string // one line with condition, price, mileage and colour
	Content   string // the AI description; may be ""
	Image     string // may be ""
	Updated   time.Time
	Published time.Time // the vehicle's CreatedAt; zero when unknown
}

// syndicate selects, orders and limits the vehicles of a syndication feed. Duplicate VINs are
// left out (every copy, as an entry id must be unique and a reader would merge them); a vehicle
// without a VIN or without any link is left out. Order is newest first by UpdatedAt (a vehicle
// without one counts as the snapshot's ModifiedAt), ties by VIN.
func syndicate(in Input, o SyndicationOptions) (syndFeed, Diagnostics) {
	sel, d := Select(in, Rules{UniqueVIN: true, Check: syndCheck})
	var modified time.Time
	if in.Snapshot != nil {
		modified = in.Snapshot.ModifiedAt.UTC()
	}
	// Sort keys are computed once per vehicle rather than in every comparison.
	type keyed struct {
		updated time.Time
		vin     string
		v       *inventory.Vehicle
	}
	ks := make([]keyed, len(sel))
	for i, v := range sel {
		ks[i] = keyed{updated: v.UpdatedAt.UTC(), vin: inventory.NormalizeVIN(v.VIN), v: v}
		if v.UpdatedAt.IsZero() {
			ks[i].updated = modified
		}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := b.updated.Compare(a.updated); c != 0 {
			return c
		}
		return strings.Compare(a.vin, b.vin)
	})
	if limit := o.limit(); len(ks) > limit {
		d.Filtered += len(ks) - limit
		d.Included = limit
		d.Warn("", "entries", "kept the newest %d of %d vehicles; the %d older ones are left out of this syndication feed",
			limit, len(ks), len(ks)-limit)
		ks = ks[:limit]
	}

	f := syndFeed{
		Title:   OneLine(Clean(in.Options.Title)),
		Home:    Clean(strings.TrimSpace(in.Dealer.Website)),
		Self:    Clean(strings.TrimSpace(in.Options.FeedURL)),
		Author:  OneLine(Clean(in.Dealer.Name)),
		Updated: modified,
		Entries: make([]syndEntry, len(ks)),
	}
	if f.Title == "" {
		f.Title = strings.TrimSpace(f.Author + " inventory")
		if f.Author == "" {
			f.Title = "Inventory"
		}
	}
	if f.Author == "" {
		f.Author = f.Title
	}
	f.Description = "The newest vehicles of " + f.Author + ", newest first (at most " + strconv.Itoa(o.limit()) + ")."
	switch {
	case f.Self != "":
		f.ID = f.Self
	case f.Home != "":
		f.ID = f.Home
	default:
		var tenant string
		if in.Snapshot != nil {
			tenant = in.Snapshot.Tenant
		}
		f.ID = "urn:feedgate:" + url.PathEscape(Clean(tenant))
	}
	for i, k := range ks {
		f.Entries[i] = syndEntryOf(k.v, in, k.updated)
	}
	return f, d
}

// syndDealerProblems is what the dealer's configuration lacks for a syndication feed: an entry
// needs a link, to the vehicle's page or at least to the website (see syndCheck).
func syndDealerProblems(d inventory.Dealer) []string {
	if strings.TrimSpace(d.VDPURL) == "" && strings.TrimSpace(d.Website) == "" {
		return []string{"dealer.vdp_url: missing, and so is dealer.website; every entry of a syndication feed needs a link"}
	}
	return nil
}

func (*RSS) dealerProblems(d inventory.Dealer, _ Options) []string      { return syndDealerProblems(d) }
func (*Atom) dealerProblems(d inventory.Dealer, _ Options) []string     { return syndDealerProblems(d) }
func (*JSONFeed) dealerProblems(d inventory.Dealer, _ Options) []string { return syndDealerProblems(d) }

// syndCheck leaves out what cannot become an entry: no VIN for its id, no link to follow.
func syndCheck(v *inventory.Vehicle, in Input) (string, string) {
	if inventory.NormalizeVIN(Clean(v.VIN)) == "" {
		return inventory.ReasonMissingField, "no VIN for the entry id"
	}
	if strings.TrimSpace(in.Dealer.VDPURL) == "" && strings.TrimSpace(in.Dealer.Website) == "" {
		return inventory.ReasonMissingField, "no link: neither dealer.vdp_url nor dealer.website is configured"
	}
	return "", ""
}

// syndLink is the vehicle's detail page, or the dealer's website when no VDP template is set.
func syndLink(v *inventory.Vehicle, d inventory.Dealer) string {
	if strings.TrimSpace(d.VDPURL) != "" {
		return Clean(strings.TrimSpace(d.VehicleURL(url.PathEscape(inventory.NormalizeVIN(Clean(v.VIN))))))
	}
	return Clean(strings.TrimSpace(d.Website))
}

func syndEntryOf(v *inventory.Vehicle, in Input, updated time.Time) syndEntry {
	vin := inventory.NormalizeVIN(Clean(v.VIN))
	e := syndEntry{
		ID:      "urn:vin:" + url.PathEscape(vin),
		Title:   OneLine(Clean(v.Title())),
		Link:    syndLink(v, in.Dealer),
		Summary: syndSummary(v, in.Options),
		Content: strings.TrimSpace(Clean(v.AIDescription)),
		Updated: updated,
	}
	if e.Title == "" {
		e.Title = vin
	}
	if imgs := v.AllImages(); len(imgs) > 0 {
		e.Image = Clean(imgs[0])
	}
	if !v.CreatedAt.IsZero() {
		e.Published = v.CreatedAt.UTC()
	}
	return e
}

// syndSummary is the one line a reader shows under the title: condition, price (or "price on
// request"), mileage and exterior colour, the parts that are known.
func syndSummary(v *inventory.Vehicle, o Options) string {
	parts := make([]string, 0, 4)
	switch c := strings.ToLower(strings.TrimSpace(Clean(string(v.Condition)))); c {
	case string(inventory.New):
		parts = append(parts, "New")
	case string(inventory.Used):
		parts = append(parts, "Used")
	case "":
	default:
		parts = append(parts, OneLine(c))
	}
	if v.Price != nil && *v.Price > 0 {
		parts = append(parts, Money(*v.Price, OneLine(Clean(o.CurrencyCode()))))
	} else {
		parts = append(parts, "price on request")
	}
	if v.Mileage != nil {
		unit := "miles"
		if o.Kilometres() {
			unit = "km"
		}
		parts = append(parts, strconv.Itoa(*v.Mileage)+" "+unit)
	}
	if c := OneLine(Clean(v.ExteriorColor)); c != "" {
		parts = append(parts, c)
	}
	return strings.Join(parts, " · ")
}
