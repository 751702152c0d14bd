package inventory

import "strings"

// Dealer is what a feed needs to know about the dealership itself: who it is, where it is and
// where each vehicle's page lives. It comes from the tenant's configuration, not from upstream.
type Dealer struct {
	Name      string
	Website   string
	VDPURL    string // a URL with {vin} and/or {stock} standing for the vehicle
	Phone     string
	StoreCode string
	Address   Address
	Latitude  *float64
	Longitude *float64
}

// Address is a postal address.
type Address struct {
	Street     string
	City       string
	Region     string
	PostalCode string
	Country    string // ISO 3166-1 alpha-2, e.g. "US"
}

// VehicleURL is the vehicle's detail page: VDPURL with {vin} and {stock} replaced, or "" when
// no template is configured.
func (d Dealer) VehicleURL(vin string) string {
	if d.VDPURL == "" {
		return ""
	}
	u := strings.ReplaceAll(d.VDPURL, "{vin}", vin)
	if strings.Contains(u, "{stock}") {
		u = strings.ReplaceAll(u, "{stock}", StockNumber(vin))
	}
	return u
}

// StockNumber is the dealer stock number feedgate uses: the upstream has none, so, as many
// dealer systems do, it is the VIN's last eight characters (the whole VIN when shorter).
func StockNumber(vin string) string {
	if len(vin) <= 8 {
		return vin
	}
	return vin[len(vin)-8:]
}

// OneLine is the address on one line, parts that are empty left out.
func (a Address) OneLine() string {
	parts := make([]string, 0, 4)
	for _, p := range []string{a.Street, a.City, strings.TrimSpace(a.Region + " " + a.PostalCode), a.Country} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}
