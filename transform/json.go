package transform

import (
	"bufio"
	"fmt"
	"io"

	"github.com/feedgate/feedgate/inventory"
)

// UpstreamJSON is the "json" format: the upstream's own JSON feed body
// ({"data":{"count":N,"vehicles":[...]}}), byte for byte, over the vehicles the feed's filter
// keeps. A client written against the upstream feed endpoint reads it unchanged.
type UpstreamJSON struct{}

var _ Writer = (*UpstreamJSON)(nil)

// upstreamJSONVersion is the UpstreamJSON output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const upstreamJSONVersion = "2"

// NewUpstreamJSON returns the "json" format.
func NewUpstreamJSON() *UpstreamJSON { return &UpstreamJSON{} }

// Name is "json".
func (*UpstreamJSON) Name() string { return "json" }

// Version is upstreamJSONVersion.
func (*UpstreamJSON) Version() string { return upstreamJSONVersion }

// ContentType is JSON in UTF-8.
func (*UpstreamJSON) ContentType() string { return "application/json; charset=utf-8" }

// Extension is "json".
func (*UpstreamJSON) Extension() string { return "json" }

// Description is one line for `feedgate formats`.
func (*UpstreamJSON) Description() string {
	return "the upstream Hrizn JSON feed shape, filtered; for clients of the upstream feed endpoint"
}

// Write renders the selected vehicles as the upstream JSON feed.
func (*UpstreamJSON) Write(w io.Writer, in Input) (Diagnostics, error) {
	return writeUpstreamFeed(w, in, "json", inventory.WriteFeedJSON)
}

// writeUpstreamFeed selects by the feed's filter alone (the upstream shapes have no channel
// rules) and writes the result with one of inventory's feed writers.
func writeUpstreamFeed(w io.Writer, in Input, name string, write func(io.Writer, []inventory.Vehicle) error) (Diagnostics, error) {
	sel, d := Select(in, Rules{})
	bw := bufio.NewWriter(w)
	if err := write(bw, upstreamFeedVehicles(sel)); err != nil {
		return d, fmt.Errorf("transform: %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", name, err)
	}
	return d, nil
}

// upstreamFeedVehicles copies the fields the upstream feed carries, text cleaned, into values
// for inventory's feed writers. Copying only those fields keeps the copy small and leaves the
// shared snapshot untouched.
func upstreamFeedVehicles(sel []*inventory.Vehicle) []inventory.Vehicle {
	out := make([]inventory.Vehicle, len(sel))
	for i, v := range sel {
		out[i] = inventory.Vehicle{
			VIN: Clean(v.VIN), Year: v.Year, Make: Clean(v.Make), Model: Clean(v.Model),
			Trim: Clean(v.Trim), Condition: inventory.Condition(Clean(string(v.Condition))),
			Price: v.Price, Mileage: v.Mileage, ExteriorColor: Clean(v.ExteriorColor),
			InteriorColor: Clean(v.InteriorColor), AIDescription: Clean(v.AIDescription),
			ImageURL: Clean(v.ImageURL),
		}
	}
	return out
}
