package transform

// Builtins returns a new instance of every built-in format. Template-defined formats are
// loaded separately (LoadTemplates) and registered beside these.
func Builtins() []Writer {
	return []Writer{
		// Each built-in adds its constructor here, one per line.
		NewUpstreamJSON(),
		NewUpstreamXML(),
		NewSpreadsheetCSV(),
		NewRSS(SyndicationOptions{}),
		NewAtom(SyndicationOptions{}),
		NewJSONFeed(SyndicationOptions{}),
		NewGoogleVehicleAds(),
		NewGoogleVehicleListings(),
		NewMetaAutomotive(),
		NewMetaAutomotiveCSV(),
		NewPriceDrops(),
	}
}
