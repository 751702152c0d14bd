package transform

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/feedgate/feedgate/inventory"
)

// Meta's limits for the automotive (vehicles) catalog.
const (
	metaMaxVehicleID   = 100
	metaMaxTitle       = 500
	metaMaxDescription = 5000
	metaMaxTrim        = 50
	metaMaxInterior    = 50
	metaMaxImages      = 20
)

// metaBodyStyles spells the canonical body styles in Meta's enum. A blank or unknown upstream
// body style becomes OTHER: the field is required, and NONE reads as "has no body", which is
// wrong for a car.
var metaBodyStyles = map[bodyKind]string{
	bodyConvertible: "CONVERTIBLE",
	bodyCoupe:       "COUPE",
	bodyCrossover:   "CROSSOVER",
	bodyHatchback:   "HATCHBACK",
	bodyMinivan:     "MINIVAN",
	bodyPickup:      "PICKUP",
	bodyRoadster:    "ROADSTER",
	bodySedan:       "SEDAN",
	bodySUV:         "SUV",
	bodyVan:         "VAN",
	bodyWagon:       "WAGON",
	bodyOther:       "OTHER",
}

// metaFuels spells the canonical fuels in Meta's enum (GASOLINE rather than its synonym
// PETROL); fuels Meta has no word for are OTHER.
var metaFuels = map[fuelKind]string{
	fuelDiesel:       "DIESEL",
	fuelElectric:     "ELECTRIC",
	fuelFlex:         "FLEX",
	fuelGasoline:     "GASOLINE",
	fuelHybrid:       "HYBRID",
	fuelPluginHybrid: "PLUGIN_HYBRID",
	fuelHydrogen:     "OTHER",
	fuelLPG:          "OTHER",
	fuelNaturalGas:   "OTHER",
	fuelOther:        "OTHER",
}

var metaDrivetrains = map[driveKind]string{
	driveAWD: "AWD", drive4WD: "FOUR_WD", driveFWD: "FWD", driveRWD: "RWD", drive2WD: "TWO_WD", driveOther: "OTHER",
}

var metaTransmissions = map[gearboxKind]string{
	transAutomatic: "AUTOMATIC", transManual: "MANUAL", transOther: "OTHER",
}

// metaImageTag is the tag of the i-th image. The auto catalog lists image[].tag among the image
// fields (specMetaCatalog, specMetaReference: image[0].tag[0]); the upstream says nothing of
// what a photo shows, so the tag names its role: the main photo, then the others.
func metaImageTag(i int) string {
	if i == 0 {
		return "Main"
	}
	return "Additional"
}

// metaAddressComponents are the address parts Meta requires, in order, with the dealer field
// each comes from.
var metaAddressComponents = []string{"addr1", "city", "region", "postal_code", "country"}

func metaAddress(a inventory.Address) []string {
	return []string{attrText(a.Street), attrText(a.City), attrText(a.Region), attrText(a.PostalCode), attrText(a.Country)}
}

// metaListing is one vehicle's field values as both Meta formats send them.
type metaListing struct {
	vehicleID, title, description, url string
	make, model, year                  string
	mileageValue, mileageUnit          string
	images                             []string
	bodyStyle, price, exteriorColor    string
	state, vin, trim, interiorColor    string
	transmission, drivetrain, fuelType string
	dateFirstOnLot                     string
	labels                             []string // custom_label_0..
}

// metaDealer is the dealer's part of every listing, computed once per render.
type metaDealer struct {
	address             []string
	latitude, longitude string
	name, phone         string
}

func newMetaDealer(d inventory.Dealer) metaDealer {
	md := metaDealer{address: metaAddress(d.Address), name: attrText(d.Name), phone: attrText(d.Phone)}
	if d.Latitude != nil && d.Longitude != nil && !math.IsNaN(*d.Latitude) && !math.IsNaN(*d.Longitude) {
		md.latitude = strconv.FormatFloat(*d.Latitude, 'f', -1, 64)
		md.longitude = strconv.FormatFloat(*d.Longitude, 'f', -1, 64)
	}
	return md
}

// metaPrice is "18000 USD"; a price with cents keeps them ("18999.50 USD") rather than being
// rounded to a figure the landing page does not show.
func metaPrice(p float64, currency string) string {
	if p == math.Trunc(p) {
		return Whole(p) + " " + currency
	}
	return Money(p, currency)
}

// newMetaListing maps a selected vehicle, recording cuts and doubts as warnings in d.
func newMetaListing(v *inventory.Vehicle, in Input, d *Diagnostics) metaListing {
	vin := inventory.NormalizeVIN(v.VIN)
	km := in.Options.Kilometres()
	l := metaListing{
		vehicleID:      vin,
		vin:            vin,
		title:          fitText(d, vin, "title", vehicleTitle(v, in.Options), metaMaxTitle),
		description:    plainDescription(d, v, in.Dealer, km, metaMaxDescription),
		url:            withLinkParams(vehicleLink(in.Dealer, vin), in.Options),
		labels:         customLabels(v, in),
		make:           attrText(v.Make),
		model:          attrText(v.Model),
		year:           strconv.Itoa(v.Year),
		mileageValue:   strconv.Itoa(*v.Mileage), // metaTable requires it
		mileageUnit:    "MI",
		price:          metaPrice(*v.Price, in.Options.CurrencyCode()),
		exteriorColor:  attrText(v.ExteriorColor),
		trim:           fitText(d, vin, "trim", attrText(v.Trim), metaMaxTrim),
		interiorColor:  fitText(d, vin, "interior_color", attrText(v.InteriorColor), metaMaxInterior),
		dateFirstOnLot: createdDate(v),
	}
	if km {
		l.mileageUnit = "KM"
	}
	if utf8.RuneCountInString(vin) != 17 {
		l.vin = "" // see metaTable's vin row
	}
	l.images = webImageURLs(v)
	if len(l.images) > metaMaxImages {
		d.Warn(vin, "image", "%d images dropped: Meta takes at most %d", len(l.images)-metaMaxImages, metaMaxImages)
		l.images = l.images[:metaMaxImages]
	}
	b, _ := bodyStyleOf(v.BodyStyle)
	l.bodyStyle = metaBodyStyles[b]
	switch conditionOf(v.Condition) {
	case condNew:
		l.state = "NEW"
	case condCertified:
		l.state = "CPO"
	default:
		l.state = "USED"
	}
	if t, ok := transmissionOf(v.Transmission); ok {
		l.transmission = metaTransmissions[t]
	}
	if dt, ok := drivetrainOf(v.Drivetrain); ok {
		l.drivetrain = metaDrivetrains[dt]
	}
	if f, ok := fuelOf(v.FuelType); ok {
		l.fuelType = metaFuels[f]
	}
	return l
}

// metaDealerProblems is what the dealer's configuration lacks for Meta: the address (addr1,
// city, region, postal_code, country) and the vehicle page (url) are required on every listing
// (specMetaReference).
func metaDealerProblems(d inventory.Dealer) []string {
	var out []string
	keys := []string{"street", "city", "region", "postal_code", "country"}
	for i, part := range metaAddress(d.Address) {
		if part == "" {
			out = append(out, "dealer.address."+keys[i]+": missing; Meta requires the full address ("+metaAddressComponents[i]+")")
		}
	}
	if vehicleLink(d, "1HGBH41JXMN109186") == "" {
		out = append(out, "dealer.vdp_url: missing or not an http(s) URL; Meta requires each vehicle's url")
	}
	return out
}

func (*MetaAutomotive) dealerProblems(d inventory.Dealer, _ Options) []string {
	return metaDealerProblems(d)
}

func (*MetaAutomotiveCSV) dealerProblems(d inventory.Dealer, _ Options) []string {
	return metaDealerProblems(d)
}

// metaTable is the automotive catalog rule table (specMetaReference). Sources disagree on
// whether vin must have 17 characters: the vehicle is kept with any VIN (it is also the
// vehicle_id), and a VIN that is not 17 characters is left out of the vin field with a warning,
// which loses nothing whichever source is right.
func metaTable(in Input) []rule {
	table := []rule{
		dealerRow("address", specMetaReference, metaDealerProblems(in.Dealer)),
		{field: "vehicle_id", action: ruleExclude, reason: inventory.ReasonInvalidVIN, spec: specMetaReference,
			test: func(v *inventory.Vehicle, _ Input) string {
				vin := inventory.NormalizeVIN(v.VIN)
				if vin == "" || utf8.RuneCountInString(vin) > metaMaxVehicleID || attrText(vin) != vin {
					return fmt.Sprintf("vehicle_id (the VIN) must have 1 to %d characters without spaces", metaMaxVehicleID)
				}
				return ""
			}},
	}
	// price, make, model, year, state_of_vehicle, url, image, mileage and exterior_color are
	// required.
	table = append(table, priceRows(specMetaReference)...)
	table = append(table, identityRows(specMetaReference)...)
	return append(table,
		imageRow(ruleExclude, specMetaReference, "image"),
		vdpRow(ruleExclude, specMetaReference, "url"),
		rule{field: "mileage", action: ruleExclude, reason: inventory.ReasonMissingMileage, spec: specMetaReference,
			test: func(v *inventory.Vehicle, _ Input) string {
				if v.Mileage == nil {
					return "no mileage: Meta requires mileage"
				}
				return ""
			}},
		mileageRangeRow(specMetaReference),
		rule{field: "exterior_color", action: ruleExclude, reason: inventory.ReasonMissingField, spec: specMetaReference,
			test: func(v *inventory.Vehicle, _ Input) string {
				return blankDetail(v.ExteriorColor, "no exterior color: Meta requires exterior_color")
			}},
		rule{field: "vin", action: ruleWarn, spec: specMetaReference,
			test: func(v *inventory.Vehicle, _ Input) string {
				if n := utf8.RuneCountInString(inventory.NormalizeVIN(v.VIN)); n != 17 {
					return fmt.Sprintf("VIN of %d characters left out of the vin field (sources disagree on whether Meta takes one that is not 17 characters); vehicle_id keeps it", n)
				}
				return ""
			}},
	)
}

// MetaAutomotive renders Meta's automotive catalog feed as XML:
// <listings><listing>…</listing></listings>.
type MetaAutomotive struct{}

var _ Writer = (*MetaAutomotive)(nil)

// metaAutomotiveVersion is the MetaAutomotive output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const metaAutomotiveVersion = "2"

// NewMetaAutomotive returns the meta-automotive format.
func NewMetaAutomotive() *MetaAutomotive { return &MetaAutomotive{} }

// Name is "meta-automotive".
func (*MetaAutomotive) Name() string { return "meta-automotive" }

// Version is metaAutomotiveVersion.
func (*MetaAutomotive) Version() string { return metaAutomotiveVersion }

// ContentType is XML in UTF-8.
func (*MetaAutomotive) ContentType() string { return "application/xml; charset=utf-8" }

// Extension is "xml".
func (*MetaAutomotive) Extension() string { return "xml" }

// Description is one line for `feedgate formats`.
func (*MetaAutomotive) Description() string {
	return "Meta (Facebook, Instagram) automotive catalog feed, XML"
}

// Write renders the feed.
func (m *MetaAutomotive) Write(w io.Writer, in Input) (Diagnostics, error) {
	vs, d := Select(in, Rules{UniqueVIN: true, table: metaTable(in)})
	dealer := newMetaDealer(in.Dealer)
	bw := bufio.NewWriterSize(w, 64<<10)
	x := newXMLStream(bw)
	x.prolog()
	x.start("listings")
	x.leaf("title", vehicleFeedTitle(in))
	for _, v := range vs {
		l := newMetaListing(v, in, &d)
		x.start("listing")
		x.leaf("vehicle_id", l.vehicleID)
		x.leaf("title", l.title)
		x.leaf("description", l.description)
		x.leaf("url", l.url)
		x.leaf("make", l.make)
		x.leaf("model", l.model)
		x.leaf("year", l.year)
		x.start("mileage")
		x.leaf("value", l.mileageValue)
		x.leaf("unit", l.mileageUnit)
		x.end("mileage")
		for i, u := range l.images {
			x.start("image")
			x.leaf("url", u)
			x.leaf("tag", metaImageTag(i))
			x.end("image")
		}
		x.leaf("body_style", l.bodyStyle)
		x.leaf("price", l.price)
		x.leaf("exterior_color", l.exteriorColor)
		x.leaf("state_of_vehicle", l.state)
		x.leaf("vin", l.vin)
		x.leaf("trim", l.trim)
		x.leaf("interior_color", l.interiorColor)
		x.leaf("transmission", l.transmission)
		x.leaf("drivetrain", l.drivetrain)
		x.leaf("fuel_type", l.fuelType)
		x.start("address", xml.Attr{Name: xml.Name{Local: "format"}, Value: "simple"})
		for i, name := range metaAddressComponents {
			x.leaf("component", dealer.address[i], xml.Attr{Name: xml.Name{Local: "name"}, Value: name})
		}
		x.end("address")
		x.leaf("latitude", dealer.latitude)
		x.leaf("longitude", dealer.longitude)
		x.leaf("dealer_name", dealer.name)
		x.leaf("dealer_phone", dealer.phone)
		x.leaf("availability", "AVAILABLE")
		x.leaf("date_first_on_lot", l.dateFirstOnLot)
		for i, lab := range l.labels {
			x.leaf(metaLabelNames[i], lab)
		}
		x.end("listing")
	}
	x.end("listings")
	if err := x.close(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", m.Name(), err)
	}
	if err := bw.Flush(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", m.Name(), err)
	}
	return d, nil
}

// MetaAutomotiveCSV renders the same catalog as CSV with Meta's flattened column names
// (mileage.value, image[0].url, address.city). It is read by a machine: values are not
// spreadsheet-neutralised.
type MetaAutomotiveCSV struct{}

var _ Writer = (*MetaAutomotiveCSV)(nil)

// metaAutomotiveCSVVersion is the MetaAutomotiveCSV output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const metaAutomotiveCSVVersion = "2"

// NewMetaAutomotiveCSV returns the meta-automotive-csv format.
func NewMetaAutomotiveCSV() *MetaAutomotiveCSV { return &MetaAutomotiveCSV{} }

// Name is "meta-automotive-csv".
func (*MetaAutomotiveCSV) Name() string { return "meta-automotive-csv" }

// Version is metaAutomotiveCSVVersion.
func (*MetaAutomotiveCSV) Version() string { return metaAutomotiveCSVVersion }

// ContentType is CSV in UTF-8.
func (*MetaAutomotiveCSV) ContentType() string { return "text/csv; charset=utf-8" }

// Extension is "csv".
func (*MetaAutomotiveCSV) Extension() string { return "csv" }

// Description is one line for `feedgate formats`.
func (*MetaAutomotiveCSV) Description() string {
	return "Meta (Facebook, Instagram) automotive catalog feed, CSV"
}

// metaCSVHeader is the header with n image columns and the feed's custom label columns.
func metaCSVHeader(n, labels int) []string {
	h := []string{"vehicle_id", "title", "description", "url", "make", "model", "year",
		"mileage.value", "mileage.unit"}
	for i := range n {
		h = append(h, "image["+strconv.Itoa(i)+"].url", "image["+strconv.Itoa(i)+"].tag[0]")
	}
	h = append(h, "body_style", "price", "exterior_color", "state_of_vehicle", "vin", "trim",
		"interior_color", "transmission", "drivetrain", "fuel_type")
	for _, c := range metaAddressComponents {
		h = append(h, "address."+c)
	}
	h = append(h, "latitude", "longitude", "dealer_name", "dealer_phone", "availability", "date_first_on_lot")
	return append(h, metaLabelNames[:labels]...)
}

// metaLabelNames are the custom label fields, custom_label_0 to custom_label_4.
var metaLabelNames = [MaxCustomLabels]string{"custom_label_0", "custom_label_1", "custom_label_2",
	"custom_label_3", "custom_label_4"}

// Write renders the file. The number of image columns is the most images any listed vehicle
// has (at least 1, at most 20), so every record has the same field count.
func (m *MetaAutomotiveCSV) Write(w io.Writer, in Input) (Diagnostics, error) {
	vs, d := Select(in, Rules{UniqueVIN: true, table: metaTable(in)})
	dealer := newMetaDealer(in.Dealer)
	ls := make([]metaListing, len(vs))
	cols := 1
	for i, v := range vs {
		ls[i] = newMetaListing(v, in, &d)
		cols = max(cols, len(ls[i].images))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := newCSVStream(bw, in.Options.BOM, ',')
	labels := min(len(in.Options.CustomLabels), MaxCustomLabels)
	header := metaCSVHeader(cols, labels)
	cw.record(header)
	rec := make([]string, 0, len(header))
	for i := range ls {
		l := &ls[i]
		rec = append(rec[:0], l.vehicleID, l.title, l.description, l.url, l.make, l.model, l.year,
			l.mileageValue, l.mileageUnit)
		for j := range cols {
			u, tag := "", ""
			if j < len(l.images) {
				u, tag = l.images[j], metaImageTag(j)
			}
			rec = append(rec, u, tag)
		}
		rec = append(rec, l.bodyStyle, l.price, l.exteriorColor, l.state, l.vin, l.trim,
			l.interiorColor, l.transmission, l.drivetrain, l.fuelType)
		rec = append(rec, dealer.address...)
		rec = append(rec, dealer.latitude, dealer.longitude, dealer.name, dealer.phone, "AVAILABLE", l.dateFirstOnLot)
		rec = append(rec, l.labels...)
		cw.record(rec)
	}
	if err := cw.close(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", m.Name(), err)
	}
	if err := bw.Flush(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", m.Name(), err)
	}
	return d, nil
}
