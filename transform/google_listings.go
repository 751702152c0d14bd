package transform

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// googleListingsHeader is the column order of the vehicle listings file, with the spec's
// attribute names (specListings: exterior_color, not color).
var googleListingsHeader = []string{
	"id", "title", "description", "link", "image_link", "additional_image_link",
	"price", "vehicle_msrp", "condition", "certified_pre_owned", "make", "model", "trim", "year",
	"mileage", "vin", "exterior_color", "body_style", "engine",
	"dealership_name", "dealership_address", "store_code", "date_in_stock",
}

// GoogleVehicleListings renders Google's vehicle listings (free listings) file: RFC 4180 CSV
// with a header row. It is read by a machine, so values keep their first character (no
// spreadsheet neutralising) and rely on strict quoting.
type GoogleVehicleListings struct{}

var _ Writer = (*GoogleVehicleListings)(nil)

// googleVehicleListingsVersion is the GoogleVehicleListings output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const googleVehicleListingsVersion = "2"

// NewGoogleVehicleListings returns the google-vehicle-listings format.
func NewGoogleVehicleListings() *GoogleVehicleListings { return &GoogleVehicleListings{} }

// Name is "google-vehicle-listings".
func (*GoogleVehicleListings) Name() string { return "google-vehicle-listings" }

// Version is googleVehicleListingsVersion.
func (*GoogleVehicleListings) Version() string { return googleVehicleListingsVersion }

// ContentType is CSV in UTF-8.
func (*GoogleVehicleListings) ContentType() string { return "text/csv; charset=utf-8" }

// Extension is "csv".
func (*GoogleVehicleListings) Extension() string { return "csv" }

// Description is one line for `feedgate formats`.
func (*GoogleVehicleListings) Description() string {
	return "Google vehicle listings (free listings) file, CSV"
}

// dealerProblems is what the dealer's configuration lacks for vehicle listings: store_code,
// dealership_name and dealership_address ("which includes the city, postal code, and
// country"; the street is sent when known but not demanded) are required on every row
// (specListings). Unlike vehicle ads, the store code need
// not match the Business Profile.
func (*GoogleVehicleListings) dealerProblems(d inventory.Dealer, _ Options) []string {
	var out []string
	if _, p := googleStoreCode(d); p != "" {
		out = append(out, p)
	}
	if attrText(d.Name) == "" {
		out = append(out, "dealer.name: missing; vehicle listings require dealership_name")
	}
	a := d.Address
	for _, part := range []struct{ key, value string }{
		{"city", a.City}, {"postal_code", a.PostalCode}, {"country", a.Country},
	} {
		if attrText(part.value) == "" {
			out = append(out, "dealer.address."+part.key+": missing; vehicle listings require the full dealership_address")
		}
	}
	return out
}

// googleListingsTable is the vehicle listings rule table (specListings).
func googleListingsTable(g *GoogleVehicleListings, in Input) []rule {
	table := []rule{
		dealerRow("store_code", specListings, g.dealerProblems(in.Dealer, in.Options)),
		// "must be valid according to the NHTSA standard", with the classic and import
		// exemptions (listingsVINProblem).
		{field: "vin", action: ruleExclude, reason: inventory.ReasonInvalidVIN, spec: specListings,
			test: func(v *inventory.Vehicle, in Input) string {
				if err := listingsVINProblem(v, in); err != nil {
					return err.Error()
				}
				return ""
			}},
	}
	// price, condition, make, model and year are required.
	table = append(table, priceRows(specListings)...)
	table = append(table, identityRows(specListings)...)
	return append(table,
		// mileage is "Required for used vehicles".
		usedMileageRow(specListings),
		mileageRangeRow(specListings),
		rule{field: "mileage", action: ruleExclude, reason: inventory.ReasonNewVehicleHighMiles, spec: specListings,
			test: func(v *inventory.Vehicle, _ Input) string {
				if conditionOf(v.Condition) == condNew && v.Mileage != nil && *v.Mileage > googleListingsNewMaxMiles {
					return fmt.Sprintf("new vehicle with %d miles: vehicle listings exclude new vehicles over %d", *v.Mileage, googleListingsNewMaxMiles)
				}
				return ""
			}},
		// image_link and link are only "Recommended".
		imageRow(ruleWarn, specListings, "image_link"),
		vdpRow(ruleWarn, specListings, "link"),
	)
}

// Write renders the file.
func (g *GoogleVehicleListings) Write(w io.Writer, in Input) (Diagnostics, error) {
	vs, d := Select(in, Rules{UniqueVIN: true, table: googleListingsTable(g, in)})
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := newCSVStream(bw, in.Options.BOM, ',')
	cw.record(googleListingsHeader)
	dealerName := attrText(in.Dealer.Name)
	dealerAddress := attrText(in.Dealer.Address.OneLine())
	store, _ := googleStoreCode(in.Dealer)
	rec := make([]string, len(googleListingsHeader))
	for _, v := range vs {
		it := newGoogleItem(v, in, &d)
		certified := ""
		if it.certified {
			certified = "yes"
		}
		rec = append(rec[:0],
			it.id, it.title, it.description, it.link, it.imageLink, joinImageLinks(it.additionalImages),
			it.price, it.msrp, it.condition, certified, it.make, it.model, it.trim, it.year,
			it.mileage, it.vin, it.color, it.bodyStyle, it.engine,
			dealerName, dealerAddress, store, it.dateInStock)
		cw.record(rec)
	}
	if err := cw.close(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", g.Name(), err)
	}
	if err := bw.Flush(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", g.Name(), err)
	}
	return d, nil
}

// joinImageLinks puts the additional images in one cell, comma-separated as vehicle listings
// want; a comma inside a URL is percent-encoded so it cannot split the list.
func joinImageLinks(urls []string) string {
	if len(urls) == 0 {
		return ""
	}
	var b strings.Builder
	for i, u := range urls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.ReplaceAll(u, ",", "%2C"))
	}
	return b.String()
}

// listingsVINProblem applies the vehicle listings VIN rule: "must be valid by the NHTSA standard,
// except classic vehicles older than 1981 and imports older than 25 years"
// (https://developers.google.com/vehicle-listings/reference/feed-specification). Whether a car is
// an import is not in the data, so every vehicle over 25 model years old gets the exemption: the
// spec does not reject those, and leaving one out would delist it. The age counts from the
// snapshot's time, never the clock, so a render stays deterministic.
func listingsVINProblem(v *inventory.Vehicle, in Input) error {
	if v.Year > 0 && v.Year < 1981 {
		return nil
	}
	if in.Snapshot != nil && !in.Snapshot.FetchedAt.IsZero() && v.Year > 0 && in.Snapshot.FetchedAt.Year()-v.Year > 25 {
		return nil
	}
	return inventory.CheckVIN17(inventory.NormalizeVIN(v.VIN))
}
