package transform

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/feedgate/feedgate/inventory"
)

// Google's limits for vehicle ads and vehicle listings (Merchant Center help).
const (
	googleMaxTitle       = 150
	googleMaxDescription = 5000
	googleMaxModel       = 150
	googleMaxTrim        = 150
	googleMaxColor       = 100
	googleMaxExtraImages = 10
	googleMaxStoreCode   = 64
	googleMaxVIN         = 17
	// googleAdsNewMaxMiles: Google disapproves a "new" vehicle with more than 200 miles, and
	// disapprovals count against the account, so the feed leaves such a vehicle out itself.
	googleAdsNewMaxMiles = 200
	// googleListingsNewMaxMiles: vehicle listings exclude new vehicles over 20,000 miles.
	googleListingsNewMaxMiles = 20000
	googleNamespace           = "http://base.google.com/ns/1.0"
)

// googleBodyStyles spells the canonical body styles as Google's list does. Some copies of the
// spec write "full_size_van" and "station_wagon"; the Content API guidelines and the feed
// specification both list them with spaces, so spaces it is. A style Google has no word for is
// left out (the attribute is optional and has no "other").
var googleBodyStyles = map[bodyKind]string{
	bodyConvertible: "convertible",
	bodyCoupe:       "coupe",
	bodyCrossover:   "crossover",
	bodyHatchback:   "hatchback",
	bodyMinivan:     "minivan",
	bodyPickup:      "truck",
	bodyRoadster:    "convertible",
	bodySedan:       "sedan",
	bodySUV:         "suv",
	bodyVan:         "full size van",
	bodyWagon:       "station wagon",
}

// googleEngines spells the canonical fuels as Google's engine attribute does. A flex-fuel
// vehicle burns gasoline (E85 optional), so it is listed as gasoline, where shoppers look.
var googleEngines = map[fuelKind]string{
	fuelDiesel:       "diesel",
	fuelElectric:     "electric",
	fuelFlex:         "gasoline",
	fuelGasoline:     "gasoline",
	fuelHybrid:       "hybrid",
	fuelHydrogen:     "other",
	fuelLPG:          "lpg",
	fuelNaturalGas:   "natural_gas",
	fuelPluginHybrid: "plug-in_hybrid",
	fuelOther:        "other",
}

// googleItem is one vehicle's attribute values as both Google formats send them.
type googleItem struct {
	id, title, description, link           string
	imageLink                              string
	additionalImages                       []string
	price, msrp                            string
	condition, make, model, trim, year     string
	mileage, vin, color, bodyStyle, engine string
	certified                              bool
	dateInStock                            string
}

// newGoogleItem maps a selected vehicle; limits it must enforce by cutting are recorded as
// warnings in d.
func newGoogleItem(v *inventory.Vehicle, in Input, d *Diagnostics) googleItem {
	vin := inventory.NormalizeVIN(v.VIN)
	km := in.Options.Kilometres()
	cur := in.Options.CurrencyCode()
	it := googleItem{
		id:          vin,
		vin:         vin,
		title:       fitText(d, vin, "title", attrText(v.Title()), googleMaxTitle),
		description: plainDescription(d, v, in.Dealer, km, googleMaxDescription),
		link:        vehicleLink(in.Dealer, vin),
		make:        attrText(v.Make),
		model:       fitText(d, vin, "model", attrText(v.Model), googleMaxModel),
		trim:        fitText(d, vin, "trim", attrText(v.Trim), googleMaxTrim),
		year:        strconv.Itoa(v.Year),
		price:       Money(*v.Price, cur),
		dateInStock: createdDate(v),
	}
	images := webImageURLs(v)
	it.imageLink = images[0]
	it.additionalImages = images[1:]
	if len(it.additionalImages) > googleMaxExtraImages {
		d.Warn(vin, "additional_image_link", "%d images dropped: Google takes at most %d additional images",
			len(it.additionalImages)-googleMaxExtraImages, googleMaxExtraImages)
		it.additionalImages = it.additionalImages[:googleMaxExtraImages]
	}
	switch conditionOf(v.Condition) {
	case condNew:
		it.condition = "new"
		if v.MSRP != nil && *v.MSRP > 0 {
			it.msrp = Money(*v.MSRP, cur)
		}
	case condCertified:
		it.condition, it.certified = "used", true
	default:
		it.condition = "used"
	}
	if v.Mileage != nil && *v.Mileage >= 0 {
		it.mileage = mileageText(*v.Mileage, km)
	}
	if err := inventory.CheckVIN17(vin); err != nil {
		d.Warn(vin, "vin", "sent as is: %v, which Google's rule for this vehicle does not require", err)
	}
	if it.color = fitText(d, vin, "color", attrText(v.ExteriorColor), googleMaxColor); it.color == "" {
		d.Warn(vin, "color", "no exterior color: Google commonly disapproves vehicles without one")
	}
	if b, ok := bodyStyleOf(v.BodyStyle); ok {
		it.bodyStyle = googleBodyStyles[b]
	}
	if f, ok := fuelOf(v.FuelType); ok {
		it.engine = googleEngines[f]
	}
	return it
}

// googleStoreCode checks the dealer's store code, which Google matches case-sensitively
// against the Business Profile; it is never altered, so a bad one excludes every vehicle.
func googleStoreCode(d inventory.Dealer) (code, problem string) {
	code = Clean(d.StoreCode)
	switch {
	case code == "":
		return "", "the dealer has no store_code; Google vehicle ads require one (set dealer.store_code to the Business Profile store code)"
	case utf8.RuneCountInString(code) > googleMaxStoreCode:
		return "", fmt.Sprintf("the dealer's store_code is longer than %d characters", googleMaxStoreCode)
	}
	return code, ""
}

// GoogleVehicleAds renders the Merchant Center vehicle ads primary feed: RSS 2.0 with g:
// attributes, one item per vehicle.
type GoogleVehicleAds struct{}

var _ Writer = (*GoogleVehicleAds)(nil)

// googleVehicleAdsVersion is the GoogleVehicleAds output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const googleVehicleAdsVersion = "1"

// NewGoogleVehicleAds returns the google-vehicle-ads format.
func NewGoogleVehicleAds() *GoogleVehicleAds { return &GoogleVehicleAds{} }

// Name is "google-vehicle-ads".
func (*GoogleVehicleAds) Name() string { return "google-vehicle-ads" }

// Version is googleVehicleAdsVersion.
func (*GoogleVehicleAds) Version() string { return googleVehicleAdsVersion }

// ContentType is application/xml: Merchant Center reads the format from the content, and
// browsers show application/xml inline where application/rss+xml often becomes a download.
func (*GoogleVehicleAds) ContentType() string { return "application/xml; charset=utf-8" }

// Extension is "xml".
func (*GoogleVehicleAds) Extension() string { return "xml" }

// Description is one line for `feedgate formats`.
func (*GoogleVehicleAds) Description() string {
	return "Google Merchant Center vehicle ads feed (RSS 2.0 with g: attributes)"
}

// googleAdsRules are the vehicle ads requirements; see docs/channels.md.
//
// The VIN: Google's only minimum requirement is that it is unique for each vehicle, with a
// character limit of 17 (https://support.google.com/merchants/answer/14154510); it states no
// check-digit rule and makes the VIN optional in FR, DE, IT, ES, NL and the UK, where position 9
// is no check digit at all. So a VIN that fails the ISO 3779 check is sent with a warning, never
// left out: leaving it out would delist a car Google accepts.
func googleAdsRules() Rules {
	return Rules{RequirePrice: true, RequireImage: true, UniqueVIN: true,
		Check: func(v *inventory.Vehicle, in Input) (string, string) {
			if _, problem := googleStoreCode(in.Dealer); problem != "" {
				return inventory.ReasonMissingField, problem
			}
			if n := utf8.RuneCountInString(inventory.NormalizeVIN(v.VIN)); n > googleMaxVIN {
				return inventory.ReasonInvalidVIN, fmt.Sprintf("the VIN has %d characters; Google takes at most %d", n, googleMaxVIN)
			}
			if reason, detail := vehicleBasics(v, in); reason != "" {
				return reason, detail
			}
			if p := mileageProblem(v); p != "" {
				return inventory.ReasonMissingMileage, p + ": Google requires mileage"
			}
			if conditionOf(v.Condition) == condNew {
				// Google requires vehicle_msrp for new vehicles. Sending the item without it
				// gets it disapproved in Merchant Center, where the dealer sees it late and
				// disapprovals weigh on the account; leaving it out here is the safer reading
				// and shows in our diagnostics at once.
				if v.MSRP == nil || *v.MSRP <= 0 {
					return inventory.ReasonMissingField, "new vehicle without msrp: Google requires vehicle_msrp for new vehicles"
				}
				if *v.Mileage > googleAdsNewMaxMiles {
					return inventory.ReasonNewVehicleHighMiles,
						fmt.Sprintf("new vehicle with %d miles: Google disapproves new vehicles over %d", *v.Mileage, googleAdsNewMaxMiles)
				}
			}
			return "", ""
		}}
}

// Write renders the feed.
func (g *GoogleVehicleAds) Write(w io.Writer, in Input) (Diagnostics, error) {
	vs, d := Select(in, googleAdsRules())
	store, _ := googleStoreCode(in.Dealer)
	bw := bufio.NewWriterSize(w, 64<<10)
	x := newXMLStream(bw)
	x.prolog()
	x.start("rss", xml.Attr{Name: xml.Name{Local: "version"}, Value: "2.0"},
		xml.Attr{Name: xml.Name{Local: "xmlns:g"}, Value: googleNamespace})
	x.start("channel")
	x.leaf("title", vehicleFeedTitle(in))
	x.leaf("link", vehicleFeedLink(in))
	x.leaf("description", vehicleFeedTitle(in)+" for Google vehicle ads")
	if t := feedModifiedAt(in); !t.IsZero() {
		x.leaf("lastBuildDate", t.Format(time.RFC1123Z))
	}
	for _, v := range vs {
		it := newGoogleItem(v, in, &d)
		x.start("item")
		x.leaf("g:id", it.id)
		x.leaf("g:title", it.title)
		x.leaf("g:description", it.description)
		x.leaf("g:link", it.link)
		x.leaf("g:image_link", it.imageLink)
		for _, u := range it.additionalImages {
			x.leaf("g:additional_image_link", u)
		}
		x.leaf("g:price", it.price)
		x.leaf("g:vehicle_msrp", it.msrp)
		x.leaf("g:condition", it.condition)
		x.leaf("g:brand", it.make)
		x.leaf("g:model", it.model)
		x.leaf("g:trim", it.trim)
		x.leaf("g:year", it.year)
		x.leaf("g:mileage", it.mileage)
		x.leaf("g:vin", it.vin)
		x.leaf("g:color", it.color)
		x.leaf("g:body_style", it.bodyStyle)
		x.leaf("g:engine", it.engine)
		x.leaf("g:store_code", store)
		x.start("g:vehicle_fulfillment")
		x.leaf("g:option", "in_store")
		x.leaf("g:store_code", store)
		x.end("g:vehicle_fulfillment")
		// certified_pre-owned is left out: the upstream has no field that says so.
		x.end("item")
	}
	x.end("channel")
	x.end("rss")
	if err := x.close(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", g.Name(), err)
	}
	if err := bw.Flush(); err != nil {
		return d, fmt.Errorf("transform: %s: %w", g.Name(), err)
	}
	return d, nil
}

// vehicleFeedTitle is the feed's title: the configured one, else the dealer's name.
func vehicleFeedTitle(in Input) string {
	if t := attrText(in.Options.Title); t != "" {
		return t
	}
	if n := attrText(in.Dealer.Name); n != "" {
		return n + " inventory"
	}
	return "Vehicle inventory"
}

// vehicleFeedLink is the dealer's website, else the feed's own URL.
func vehicleFeedLink(in Input) string {
	if u := Clean(in.Dealer.Website); isWebURL(u) {
		return u
	}
	return Clean(in.Options.FeedURL)
}

func feedModifiedAt(in Input) time.Time {
	if in.Snapshot == nil {
		return time.Time{}
	}
	return in.Snapshot.ModifiedAt.UTC()
}
