// Package transform turns a tenant's inventory snapshot into the documents each channel
// consumes: marketplace and ad-platform feeds, spreadsheet exports, syndication feeds.
//
// A Writer is one output format. It knows its name, content type and file extension and streams
// a snapshot to an io.Writer; it has no HTTP in it, so it runs the same in the gateway, in
// `feedgate render` and in tests. Writers are safe for concurrent use: all per-render state
// lives on the stack of Write. Formats are collected in an explicit Registry at start-up; an
// unknown name is an error, never a silent fallback.
package transform

import (
	"io"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Writer renders a snapshot in one output format.
type Writer interface {
	// Name is the format's registry name, e.g. "google-vehicle-ads".
	Name() string
	// Version identifies the bytes the format writes: it changes whenever the same input would
	// render differently. Stored outputs are keyed by Name()+"@"+Version(), so a changed writer
	// renders anew on every replica instead of serving what an older build stored.
	Version() string
	// ContentType is the media type of the output, with charset where it applies.
	ContentType() string
	// Extension is the file extension for downloads, without the dot: "xml", "csv".
	Extension() string
	// Description is one line for `feedgate formats`.
	Description() string
	// Write renders in to w and reports which vehicles it included and why it left others out.
	// Output is deterministic: the same input gives the same bytes (times come from the
	// snapshot, never the clock). On error the bytes written so far must be discarded; callers
	// render into a buffer.
	Write(w io.Writer, in Input) (Diagnostics, error)
}

// Input is everything a render needs.
type Input struct {
	Snapshot *inventory.Snapshot
	Dealer   inventory.Dealer
	Options  Options
	// PriceDrops are the tenant's most recent price reductions, newest first, for writers that
	// declare they read them (ChangeReader); the render owner fills them from the change log.
	PriceDrops []PriceDrop
}

// PriceDrop is one price reduction a sync found.
type PriceDrop struct {
	VIN      string
	Old, New float64
	At       time.Time
}

// ChangeReader is a Writer that renders the tenant's recent changes rather than (only) the
// snapshot; PriceDropsWanted is how many price drops it wants in Input.PriceDrops.
type ChangeReader interface {
	PriceDropsWanted() int
}

// Options are a feed's settings from configuration.
type Options struct {
	// Filter narrows the feed; vehicles it drops are counted as Filtered, not Excluded.
	Filter inventory.FeedFilter
	// Currency is the ISO 4217 code for prices; "" means USD.
	Currency string
	// MileageUnit is "miles" or "km"; "" means miles.
	MileageUnit string
	// BOM makes CSV outputs start with a UTF-8 byte order mark (for Excel).
	BOM bool
	// FeedURL is where the feed is served, for self links in syndication formats.
	FeedURL string
	// Title overrides the feed title of syndication formats.
	Title string
	// LinkTemplate is google-vehicle-ads' link_template: a URL with {store_code} (which Google
	// fills in) and {vin} or {stock}; "" means the dealer's vdp_url plus store={store_code}.
	LinkTemplate string
	// LinkParams is an encoded URL query ("utm_source=google&utm_medium=cpc") added to every
	// vehicle link of the Google and Meta formats, so the dealer's analytics can tell each
	// channel's visitors apart.
	LinkParams string
	// CustomLabels are the expressions of custom_label_0..4 in the Google vehicle ads and Meta
	// formats, each one of CustomLabelExpressions or "" for none; at most MaxCustomLabels.
	CustomLabels []string
	// TitlePattern overrides the Google and Meta item title: text with TitlePlaceholders
	// ("{year} {make} {model} {trim} - {condition}"); "" means year, make, model and trim.
	TitlePattern string
	// ExcludeVINs are VINs the feed leaves out, counted as Filtered.
	ExcludeVINs []string
	// PriceMin and PriceMax bound the feed by price, 0 meaning open; with a bound set a vehicle
	// outside it or without a price is Filtered.
	PriceMin, PriceMax float64
}

// CurrencyCode is the configured currency or USD.
func (o Options) CurrencyCode() string {
	if o.Currency == "" {
		return "USD"
	}
	return o.Currency
}

// Kilometres reports whether mileage is given in kilometres.
func (o Options) Kilometres() bool { return o.MileageUnit == "km" }

// Diagnostics is what one render did with the inventory.
type Diagnostics struct {
	// Included is the number of vehicles written.
	Included int `json:"included"`
	// Filtered is the number the feed's own filter left out on purpose.
	Filtered int `json:"filtered"`
	// Excluded lists the vehicles the channel cannot accept, with the reason.
	Excluded []Exclusion `json:"excluded,omitempty"`
	// Warnings lists values that were changed to fit the channel (truncations, dropped images).
	Warnings []Warning `json:"warnings,omitempty"`
}

// Exclusion is one vehicle left out of a feed.
type Exclusion struct {
	VIN    string `json:"vin"`
	Reason string `json:"reason"` // one of inventory's Reason* constants, or ReasonOutOfRange
	Detail string `json:"detail,omitempty"`
}

// Warning is one value changed to fit a channel.
type Warning struct {
	VIN     string `json:"vin"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ExcludedByReason counts the exclusions per reason.
func (d *Diagnostics) ExcludedByReason() map[string]int {
	m := make(map[string]int, len(d.Excluded))
	for _, e := range d.Excluded {
		m[e.Reason]++
	}
	return m
}

// Warn records a warning.
func (d *Diagnostics) Warn(vin, field, format string, args ...any) {
	d.Warnings = append(d.Warnings, Warning{VIN: vin, Field: field, Message: sprintf(format, args...)})
}
