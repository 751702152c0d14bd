package transform

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// googleBodyStyles spells the canonical body styles as Google's body_style attribute page
// lists them, with underscores (full_size_van, station_wagon; specAdsBodyStyle). The
// older Content API guidelines (answer/11190480) wrote them with spaces; the attribute page is
// the current spec. A style Google has no word for is left out (the attribute is optional and
// has no "other").
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
	bodyVan:         "full_size_van",
	bodyWagon:       "station_wagon",
}

// googleLabelNames are the custom label elements, custom_label_0 to custom_label_4.
var googleLabelNames = [MaxCustomLabels]string{"g:custom_label_0", "g:custom_label_1", "g:custom_label_2",
	"g:custom_label_3", "g:custom_label_4"}

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
	linkTemplate                           string
	imageLink                              string
	additionalImages                       []string
	price, msrp                            string
	condition, make, model, trim, year     string
	mileage, vin, color, bodyStyle, engine string
	certified                              bool
	dateInStock                            string
	labels                                 []string // custom_label_0.., vehicle ads only
}

// newGoogleItem maps a selected vehicle; limits it must enforce by cutting are recorded as
// warnings in d.
func newGoogleItem(v *inventory.Vehicle, in Input, d *Diagnostics) googleItem {
	vin := inventory.NormalizeVIN(v.VIN)
	km := in.Options.Kilometres()
	cur := in.Options.CurrencyCode()
	it := googleItem{
		id:           vin,
		vin:          vin,
		title:        fitText(d, vin, "title", vehicleTitle(v, in.Options), googleMaxTitle),
		description:  plainDescription(d, v, in.Dealer, km, googleMaxDescription),
		link:         withLinkParams(vehicleLink(in.Dealer, vin), in.Options),
		linkTemplate: withLinkParams(googleLinkTemplate(in.Dealer, in.Options, vin), in.Options),
		labels:       customLabels(v, in),
		make:         attrText(v.Make),
		model:        fitText(d, vin, "model", attrText(v.Model), googleMaxModel),
		trim:         fitText(d, vin, "trim", attrText(v.Trim), googleMaxTrim),
		year:         strconv.Itoa(v.Year),
		dateInStock:  createdDate(v),
		color:        fitText(d, vin, "color", attrText(v.ExteriorColor), googleMaxColor),
	}
	if v.Price != nil {
		it.price = Money(*v.Price, cur)
	}
	if images := webImageURLs(v); len(images) > 0 {
		it.imageLink = images[0]
		it.additionalImages = images[1:]
	}
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
	if b, ok := bodyStyleOf(v.BodyStyle); ok {
		it.bodyStyle = googleBodyStyles[b]
	}
	if f, ok := fuelOf(v.FuelType); ok {
		it.engine = googleEngines[f]
	}
	return it
}

// googleStoreCode is the dealer's store code, which Google matches case-sensitively against the
// Business Profile, so it is never altered; problem says why it cannot be used.
func googleStoreCode(d inventory.Dealer) (code, problem string) {
	code = Clean(d.StoreCode)
	switch {
	case code == "":
		return "", "dealer.store_code: missing; Google requires the dealership's store code (the Business Profile store code for vehicle ads)"
	case utf8.RuneCountInString(code) > googleMaxStoreCode:
		return "", fmt.Sprintf("dealer.store_code: longer than %d characters", googleMaxStoreCode)
	}
	return code, ""
}

// googleStoreParam is the query parameter the default link template adds to the dealer's
// vdp_url; Google replaces {store_code} with the store the ad shows (specAdsLinkTmpl).
const googleStoreParam = "store={store_code}"

// googleLinkTemplate is the vehicle's link_template: the feed's link_template option with {vin}
// and {stock} replaced, else the dealer's vdp_url for the vehicle with store={store_code} added
// to its query. It is "" when neither gives an http(s) URL with {store_code} in it.
func googleLinkTemplate(d inventory.Dealer, o Options, vin string) string {
	var link string
	if t := strings.TrimSpace(o.LinkTemplate); t != "" {
		link = Clean(inventory.Dealer{VDPURL: t}.VehicleURL(vin))
	} else if link = vehicleLink(d, vin); link != "" {
		link = addQueryParam(link, googleStoreParam)
	}
	if !strings.Contains(link, "{store_code}") || !isWebURL(link) {
		return ""
	}
	return link
}

// addQueryParam appends param (already escaped) to the query of u, before any fragment.
func addQueryParam(u, param string) string {
	base, frag, hasFrag := strings.Cut(u, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?" + param
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
		base += param
	default:
		base += "&" + param
	}
	if hasFrag {
		return base + "#" + frag
	}
	return base
}

// googleLinkProblems says why googleLinkTemplate gives nothing for a dealer, naming the key.
func googleLinkProblems(d inventory.Dealer, o Options) []string {
	if t := strings.TrimSpace(o.LinkTemplate); t != "" {
		switch {
		case !strings.Contains(t, "{store_code}"):
			return []string{"options.link_template: must contain {store_code}; Google disapproves a vehicle ad whose link template lacks it"}
		case googleLinkTemplate(d, o, "1HGBH41JXMN109186") == "":
			return []string{"options.link_template: not an http(s) URL"}
		}
		return nil
	}
	if vehicleLink(d, "1HGBH41JXMN109186") == "" {
		return []string{"dealer.vdp_url: missing or not an http(s) URL; Google vehicle ads need the vehicle page for link_template (or set the feed's options.link_template)"}
	}
	return nil
}

// GoogleVehicleAds renders the Merchant Center vehicle ads primary feed: RSS 2.0 with g:
// attributes, one item per vehicle.
type GoogleVehicleAds struct{}

var _ Writer = (*GoogleVehicleAds)(nil)

// googleVehicleAdsVersion is the GoogleVehicleAds output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const googleVehicleAdsVersion = "2"

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

// dealerProblems is what the dealer's configuration lacks for vehicle ads: a store code and a
// link template with {store_code}, both required for every item (specAdsAPI, specAdsLinkTmpl).
func (*GoogleVehicleAds) dealerProblems(d inventory.Dealer, o Options) []string {
	var out []string
	if _, p := googleStoreCode(d); p != "" {
		out = append(out, p)
	}
	return append(out, googleLinkProblems(d, o)...)
}

// googleAdsTable is the vehicle ads rule table. Excluded is only what Google's published spec
// says it disapproves; what it recommends, or what a common disapproval list mentions without a
// rule, is a warning.
func googleAdsTable(g *GoogleVehicleAds, in Input) []rule {
	table := []rule{
		// store_code and link_template are required on every item (specAdsAPI,
		// specAdsLinkTmpl: "Include the store code {store_code} ValueTrack parameter").
		dealerRow("store_code", specAdsAPI, g.dealerProblems(in.Dealer, in.Options)),
		// VIN: "Character limit 17"; the only minimum requirement is uniqueness, which Select's
		// UniqueVIN enforces (specAdsVIN).
		{field: "vin", action: ruleExclude, reason: inventory.ReasonInvalidVIN, spec: specAdsVIN,
			test: func(v *inventory.Vehicle, _ Input) string {
				switch n := utf8.RuneCountInString(inventory.NormalizeVIN(v.VIN)); {
				case n == 0:
					return "no VIN: Google's id and vin are the VIN"
				case n > googleMaxVIN:
					return fmt.Sprintf("the VIN has %d characters; Google takes at most %d", n, googleMaxVIN)
				}
				return ""
			}},
	}
	// price, condition, year, make, model and image_link are required (specAdsFeed).
	table = append(table, priceRows(specAdsFeed)...)
	table = append(table, identityRows(specAdsFeed)...)
	table = append(table,
		imageRow(ruleExclude, specAdsFeed, "image_link"),
		// mileage is required; a new car may give 0 (specAdsMileage), so only a used one
		// without mileage is left out.
		usedMileageRow(specAdsMileage),
		mileageRangeRow(specAdsMileage),
		// vehicle_msrp is "Required for new cars" (specAdsAPI).
		rule{field: "vehicle_msrp", action: ruleExclude, reason: inventory.ReasonMissingField, spec: specAdsAPI,
			test: func(v *inventory.Vehicle, _ Input) string {
				if conditionOf(v.Condition) == condNew && (v.MSRP == nil || !(*v.MSRP > 0)) {
					return "new vehicle without msrp: Google requires vehicle_msrp for new vehicles"
				}
				return ""
			}},
		// Warnings from here on.
		rule{field: "mileage", action: ruleWarn, spec: specAdsMileage,
			test: func(v *inventory.Vehicle, _ Input) string {
				if v.Mileage == nil {
					return "no mileage: sent as 0, which Google accepts for new vehicles"
				}
				return ""
			}},
		// No published rule: "new with more than 200 miles" is a common disapproval reason,
		// not a spec rule, so the car is sent and the dealer told.
		rule{field: "mileage", action: ruleWarn, spec: specAdsFeed,
			test: func(v *inventory.Vehicle, _ Input) string {
				if conditionOf(v.Condition) == condNew && v.Mileage != nil && *v.Mileage > googleAdsNewMaxMiles {
					return fmt.Sprintf("new vehicle with %d miles: Google commonly disapproves new vehicles over %d", *v.Mileage, googleAdsNewMaxMiles)
				}
				return ""
			}},
		rule{field: "vin", action: ruleWarn, spec: specAdsVIN,
			test: func(v *inventory.Vehicle, _ Input) string {
				if err := inventory.CheckVIN17(inventory.NormalizeVIN(v.VIN)); err != nil {
					return "sent as is: " + err.Error() + ", which Google's rule for this vehicle does not require"
				}
				return ""
			}},
		rule{field: "color", action: ruleWarn, spec: specAdsFeed,
			test: func(v *inventory.Vehicle, _ Input) string {
				return blankDetail(v.ExteriorColor, "no exterior color: Google commonly disapproves vehicles without one")
			}},
		// link is sent beside link_template; without a vdp_url only the template is.
		vdpRow(ruleWarn, specAdsFeed, "link"),
		// Canada: vehicle_all_in_price is required for new cars (specAdsAllInPrice); Australia:
		// vehicle_price_type for new and used (specAdsPriceType). Whether the upstream price is
		// an all-in or drive-away price is not in the data, so the dealer is told.
		rule{field: "vehicle_all_in_price", action: ruleWarn, spec: specAdsAllInPrice,
			test: func(v *inventory.Vehicle, in Input) string {
				if dealerCountry(in.Dealer) == "CA" && conditionOf(v.Condition) == condNew {
					return "Google requires vehicle_all_in_price for new cars in Canada; feedgate has no all-in price to send"
				}
				return ""
			}},
		rule{field: "vehicle_price_type", action: ruleWarn, spec: specAdsPriceType,
			test: func(_ *inventory.Vehicle, in Input) string {
				if dealerCountry(in.Dealer) == "AU" {
					return "Google requires vehicle_price_type in Australia; feedgate does not know whether the price is drive-away"
				}
				return ""
			}},
	)
	return table
}

// dealerCountry is the dealer's ISO 3166-1 country code, upper case.
func dealerCountry(d inventory.Dealer) string {
	return strings.ToUpper(strings.TrimSpace(d.Address.Country))
}

// Write renders the feed.
func (g *GoogleVehicleAds) Write(w io.Writer, in Input) (Diagnostics, error) {
	vs, d := Select(in, Rules{UniqueVIN: true, table: googleAdsTable(g, in)})
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
		if it.mileage == "" {
			// Only a new vehicle gets here without mileage: "For new cars, you can set this
			// value to 0" (specAdsMileage); the table's warning row reports it.
			it.mileage = mileageText(0, in.Options.Kilometres())
		}
		x.start("item")
		x.leaf("g:id", it.id)
		x.leaf("g:title", it.title)
		x.leaf("g:description", it.description)
		x.leaf("g:link", it.link)
		x.leaf("g:link_template", it.linkTemplate)
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
		if it.certified {
			// Optional, yes/no, hyphenated in vehicle ads (specAdsCPO).
			x.leaf("g:certified_pre-owned", "yes")
		}
		for i, l := range it.labels {
			x.leaf(googleLabelNames[i], l)
		}
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
