package transform

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// SpreadsheetCSV is the "csv" format: a full export of every vehicle field for people who open
// it in a spreadsheet. Only the feed's filter leaves vehicles out. Every text cell is neutralised
// against formula injection (SpreadsheetSafe); lists (features, images) are joined with "|" in
// one cell; Options.BOM prefixes a UTF-8 byte order mark so that Excel reads the encoding.
type SpreadsheetCSV struct{}

var _ Writer = (*SpreadsheetCSV)(nil)

// spreadsheetCSVVersion is the SpreadsheetCSV output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const spreadsheetCSVVersion = "2"

// NewSpreadsheetCSV returns the "csv" format.
func NewSpreadsheetCSV() *SpreadsheetCSV { return &SpreadsheetCSV{} }

// Name is "csv".
func (*SpreadsheetCSV) Name() string { return "csv" }

// Version is spreadsheetCSVVersion.
func (*SpreadsheetCSV) Version() string { return spreadsheetCSVVersion }

// ContentType is CSV in UTF-8.
func (*SpreadsheetCSV) ContentType() string { return "text/csv; charset=utf-8" }

// Extension is "csv".
func (*SpreadsheetCSV) Extension() string { return "csv" }

// Description is one line for `feedgate formats`.
func (*SpreadsheetCSV) Description() string {
	return "full spreadsheet export: every vehicle field plus the VDP URL, formula cells neutralised"
}

// csvColumns is the header row: the upstream's field names, then the dealer's VDP link.
var csvColumns = []string{
	"vin", "year", "make", "model", "trim", "condition", "price", "msrp", "mileage",
	"exterior_color", "interior_color", "engine", "transmission", "drivetrain", "fuel_type",
	"body_style", "features", "image_url", "images", "ai_description", "description_status",
	"description_generated_at", "has_description", "created_at", "updated_at", "vdp_url",
}

// csvListSeparator joins features and image URLs inside one cell.
const csvListSeparator = "|"

// Write renders the filtered inventory as CSV, one record per vehicle in snapshot order.
func (*SpreadsheetCSV) Write(w io.Writer, in Input) (Diagnostics, error) {
	sel, d := Select(in, Rules{})
	bw := bufio.NewWriter(w)
	cw := newCSVStream(bw, in.Options.BOM, ',')
	cw.record(csvColumns)
	rec := make([]string, len(csvColumns))
	for _, v := range sel {
		csvRecord(rec, v, in.Dealer)
		cw.record(rec)
	}
	if err := cw.close(); err != nil {
		return d, fmt.Errorf("transform: csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return d, fmt.Errorf("transform: csv: %w", err)
	}
	return d, nil
}

// csvRecord fills rec (in csvColumns order) for v. Text goes through Clean then
// SpreadsheetSafe; numbers and times are formatted here and so cannot start a formula.
func csvRecord(rec []string, v *inventory.Vehicle, dealer inventory.Dealer) {
	text := func(s string) string { return SpreadsheetSafe(Clean(s)) }
	list := func(items []string) string {
		parts := make([]string, 0, len(items))
		for _, s := range items {
			if s = strings.TrimSpace(s); s != "" {
				parts = append(parts, s)
			}
		}
		return text(strings.Join(parts, csvListSeparator))
	}
	var descAt string
	if v.DescriptionGeneratedAt != nil {
		descAt = csvTime(*v.DescriptionGeneratedAt)
	}
	copy(rec, []string{
		text(v.VIN), csvInt(v.Year), text(v.Make), text(v.Model), text(v.Trim),
		text(string(v.Condition)), csvNumber(v.Price), csvNumber(v.MSRP), csvIntPtr(v.Mileage),
		text(v.ExteriorColor), text(v.InteriorColor), text(v.Engine), text(v.Transmission),
		text(v.Drivetrain), text(v.FuelType), text(v.BodyStyle), list(v.Features),
		text(v.ImageURL), list(v.Images), text(v.AIDescription), text(v.DescriptionStatus),
		descAt, strconv.FormatBool(v.HasDescription()), csvTime(v.CreatedAt), csvTime(v.UpdatedAt),
		text(dealer.VehicleURL(v.VIN)),
	})
}

func csvInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func csvIntPtr(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func csvNumber(f *float64) string {
	if f == nil {
		return ""
	}
	return inventory.FormatNumber(*f)
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
