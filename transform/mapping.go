package transform

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/feedgate/feedgate/inventory"
)

// This file maps the upstream's free-text vehicle attributes (body style, fuel, drivetrain,
// transmission, condition) onto a small canonical set, which each channel then spells its own
// way. Upstream text is whatever the dealer's DMS exported: "Sport Utility", "4dr SUV",
// "Crew Cab Pickup", "Gas/Electric Hybrid", "All-Wheel Drive", "8-Speed Automatic w/OD". Matching
// is by whole words on a lower-cased copy with punctuation turned into spaces, first rule wins,
// so the rules are ordered from most to least specific ("plug in hybrid" before "hybrid",
// "minivan" before "van", "natural gas" before "gas").

// phraseRule maps any of its phrases (lower case, words separated by one space) to kind.
type phraseRule[K comparable] struct {
	kind    K
	phrases []string
}

// classifyWords returns the kind of the first rule with a phrase found in s as whole words, other
// when s is not blank and nothing matches, and ok=false when s is blank (the channel omits an
// optional attribute rather than claiming "other").
func classifyWords[K comparable](s string, rules []phraseRule[K], other K) (kind K, ok bool) {
	norm := normalizeWords(s)
	if norm == "" {
		return other, false
	}
	for _, r := range rules {
		for _, p := range r.phrases {
			if containsWords(norm, p) {
				return r.kind, true
			}
		}
	}
	return other, true
}

// normalizeWords lower-cases s and reduces every run of characters that are neither letters
// nor digits to one space: "Plug-In  Hybrid/Electric" becomes "plug in hybrid electric".
func normalizeWords(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		space = true
	}
	return b.String()
}

// containsWords reports whether phrase occurs in hay on word boundaries.
func containsWords(hay, phrase string) bool {
	for from := 0; ; {
		i := strings.Index(hay[from:], phrase)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(phrase)
		if (i == 0 || hay[i-1] == ' ') && (end == len(hay) || hay[end] == ' ') {
			return true
		}
		from = i + 1
	}
}

// bodyKind is the canonical body style.
type bodyKind uint8

// The canonical body styles.
const (
	bodyOther bodyKind = iota
	bodyConvertible
	bodyCoupe
	bodyCrossover
	bodyHatchback
	bodyMinivan
	bodyPickup
	bodyRoadster
	bodySedan
	bodySUV
	bodyVan
	bodyWagon
)

var bodyRules = []phraseRule[bodyKind]{
	{bodyMinivan, []string{"minivan", "mini van", "mpv", "people carrier"}},
	{bodyVan, []string{"van", "cargo van", "passenger van", "full size van"}},
	{bodyPickup, []string{"pickup", "pick up", "truck", "crew cab", "extended cab", "regular cab", "quad cab",
		"double cab", "king cab", "access cab", "mega cab", "supercrew", "super crew", "supercab", "super cab", "cab", "ute"}},
	{bodyCrossover, []string{"crossover", "cuv"}},
	{bodySUV, []string{"suv", "sport utility", "sports utility", "sport utility vehicle", "4x4 utility"}},
	{bodyRoadster, []string{"roadster"}},
	{bodyConvertible, []string{"convertible", "cabriolet", "cabrio", "spyder", "spider", "drop top", "droptop"}},
	{bodyCoupe, []string{"coupe", "coupé", "2dr car", "2 door", "2dr"}},
	{bodyHatchback, []string{"hatchback", "hatch", "liftback", "3dr car", "5dr car"}},
	{bodyWagon, []string{"wagon", "station wagon", "estate", "sportwagen", "sport wagon", "avant", "touring wagon"}},
	{bodySedan, []string{"sedan", "saloon", "4dr car", "4 door", "4dr"}},
}

// bodyStyleOf maps upstream body_style text; ok is false when it is blank.
func bodyStyleOf(s string) (bodyKind, bool) { return classifyWords(s, bodyRules, bodyOther) }

// fuelKind is the canonical fuel.
type fuelKind uint8

// The canonical fuels.
const (
	fuelOther fuelKind = iota
	fuelDiesel
	fuelElectric
	fuelFlex
	fuelGasoline
	fuelHybrid
	fuelHydrogen
	fuelLPG
	fuelNaturalGas
	fuelPluginHybrid
)

// fuelRules also read the fuel names of European dealer systems (German, French, Spanish,
// Italian, Dutch): "Benzin", "Essence", "Gasolina", "Elektro", "Hybride", "Gazole".
var fuelRules = []phraseRule[fuelKind]{
	{fuelPluginHybrid, []string{"plug in", "plugin", "phev", "plug in hybrid", "plug in electric hybrid",
		"hybride rechargeable", "híbrido enchufable", "ibrida plug in"}},
	// A fuel pair with electric in it is a hybrid, whichever word comes first ("Electric/Gas").
	{fuelHybrid, []string{"hybrid", "hev", "mhev", "mild hybrid", "gas electric", "gasoline electric", "petrol electric",
		"electric gas", "electric gasoline", "electric petrol", "diesel electric", "electric diesel",
		"hybride", "híbrido", "hibrido", "ibrida", "ibrido", "hybrid elektro"}},
	{fuelNaturalGas, []string{"cng", "natural gas", "compressed natural gas", "methane", "erdgas", "metano", "gnv", "gas natural"}},
	{fuelLPG, []string{"lpg", "propane", "autogas", "liquefied petroleum gas", "gpl", "glp", "flüssiggas"}},
	{fuelHydrogen, []string{"hydrogen", "fuel cell", "fcev", "wasserstoff", "hydrogène", "hidrógeno", "idrogeno"}},
	{fuelElectric, []string{"electric", "ev", "bev", "battery electric", "electricity",
		"elektro", "elektrisch", "électrique", "electrique", "eléctrico", "electrico", "elettrica", "elettrico"}},
	{fuelFlex, []string{"flex", "flex fuel", "flexible fuel", "ffv", "e85", "ethanol", "bioethanol", "superethanol"}},
	{fuelDiesel, []string{"diesel", "biodiesel", "tdi", "gazole", "gasoil", "gasóleo", "gasoleo"}},
	{fuelGasoline, []string{"gasoline", "gas", "petrol", "unleaded", "premium unleaded", "regular unleaded", "premium", "regular",
		"benzin", "benzine", "essence", "gasolina", "benzina", "super", "super plus"}},
}

// fuelOf maps upstream fuel_type text; ok is false when it is blank.
func fuelOf(s string) (fuelKind, bool) { return classifyWords(s, fuelRules, fuelOther) }

// driveKind is the canonical drivetrain.
type driveKind uint8

// The canonical drivetrains.
const (
	driveOther driveKind = iota
	driveAWD
	drive4WD
	driveFWD
	driveRWD
	drive2WD
)

var driveRules = []phraseRule[driveKind]{
	{driveAWD, []string{"awd", "all wheel drive", "all wheel", "allwheel", "4matic", "quattro", "xdrive", "4motion", "sh awd"}},
	{drive4WD, []string{"4wd", "4x4", "four wheel drive", "4 wheel drive", "four wheel", "4 wheel", "fourwheel"}},
	{driveFWD, []string{"fwd", "front wheel drive", "front wheel", "frontwheel"}},
	{driveRWD, []string{"rwd", "rear wheel drive", "rear wheel", "rearwheel"}},
	{drive2WD, []string{"2wd", "4x2", "two wheel drive", "2 wheel drive", "two wheel"}},
}

// drivetrainOf maps upstream drivetrain text; ok is false when it is blank.
func drivetrainOf(s string) (driveKind, bool) { return classifyWords(s, driveRules, driveOther) }

// gearboxKind is the canonical transmission.
type gearboxKind uint8

// The canonical transmissions.
const (
	transOther gearboxKind = iota
	transAutomatic
	transManual
)

var transRules = []phraseRule[gearboxKind]{
	// An automated manual shifts by itself: to a buyer it is an automatic.
	{transAutomatic, []string{"automated manual", "automatic", "auto", "cvt", "ecvt", "e cvt", "ivt",
		"continuously variable", "dual clutch", "dct", "dsg", "pdk", "single speed", "1 speed",
		"direct drive", "tiptronic", "steptronic", "powershift", "xtronic", "shiftronic", "a t"}},
	{transManual, []string{"manual", "m t", "stick", "stick shift", "standard"}},
}

// transmissionOf maps upstream transmission text; ok is false when it is blank.
func transmissionOf(s string) (gearboxKind, bool) { return classifyWords(s, transRules, transOther) }

// vehicleCondition is the canonical condition; the upstream documents only "new" and "used", the
// rest is tolerance for hand-made data.
type vehicleCondition uint8

// The canonical conditions.
const (
	condUnknown vehicleCondition = iota
	condNew
	condUsed
	condCertified
)

var conditionRules = []phraseRule[vehicleCondition]{
	// A negated certification is a plain used car ("Not Certified" must not read as CPO).
	{condUsed, []string{"not certified", "non certified", "uncertified", "not cpo", "non cpo"}},
	{condCertified, []string{"certified", "cpo", "certified pre owned"}},
	// Demonstrators and loaners have been driven and registered by the dealer: Google and
	// Meta know only new and used (and CPO), and they are sold as used, so they are listed as
	// used rather than left out.
	{condUsed, []string{"used", "pre owned", "preowned", "second hand", "secondhand",
		"demo", "demonstrator", "ex demo", "loaner", "service loaner", "courtesy", "courtesy car"}},
	{condNew, []string{"new", "brand new"}},
}

// conditionOf maps upstream condition text; unknown text and blank give condUnknown.
func conditionOf(c inventory.Condition) vehicleCondition {
	k, _ := classifyWords(string(c), conditionRules, condUnknown)
	return k
}

// isWebURL reports whether s is an absolute http or https URL with a host.
func isWebURL(s string) bool {
	if plainWebURL(s) {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// plainWebURL recognises, without url.Parse and its allocations, the common shape of a web
// URL that url.Parse always accepts as http(s) with a host: a lower-case http:// or https://,
// a host name of letters, digits, dots and hyphens (no user, port or IP literal), then nothing
// url.Parse checks: no percent escape and no control character. Anything else is left to
// url.Parse, so isWebURL answers as url.Parse does (FuzzIsWebURL compares them).
func plainWebURL(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return false
		}
	}
	host := 0
	for host < len(rest) && isHostNameByte(rest[host]) {
		host++
	}
	if host == 0 || host < len(rest) && !strings.ContainsRune("/?#", rune(rest[host])) {
		return false
	}
	for i := host; i < len(rest); i++ {
		if c := rest[i]; c == '%' || c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

func isHostNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// webImageURLs is the vehicle's images, main first, keeping only http(s) URLs: a channel fetches
// each one and rejects the item for a bad one.
func webImageURLs(v *inventory.Vehicle) []string {
	all := v.AllImages()
	out := all[:0]
	for _, u := range all {
		if u = Clean(u); isWebURL(u) {
			out = append(out, u)
		}
	}
	return out
}

// hasWebImage reports whether webImageURLs(v) would be non-empty, without building the list.
func hasWebImage(v *inventory.Vehicle) bool {
	if isWebURL(Clean(strings.TrimSpace(v.ImageURL))) {
		return true
	}
	for _, u := range v.Images {
		if isWebURL(Clean(strings.TrimSpace(u))) {
			return true
		}
	}
	return false
}

// vehicleLink is the vehicle's page on the dealer's site, cleaned, or "" when the dealer has no
// http(s) VDP template.
func vehicleLink(d inventory.Dealer, vin string) string {
	link := Clean(strings.TrimSpace(d.VehicleURL(vin)))
	if !isWebURL(link) {
		return ""
	}
	return link
}

// mileageText is "12 miles" or "12 km", the spelling Google wants ("MI" is not accepted).
func mileageText(miles int, km bool) string {
	if km {
		return strconv.Itoa(miles) + " km"
	}
	return strconv.Itoa(miles) + " miles"
}

// text is one attribute value as every channel wants it: clean, on one line, trimmed.
func attrText(s string) string { return OneLine(Clean(s)) }

// fitText applies a channel's length limit to a value, recording a warning when it cuts.
func fitText(d *Diagnostics, vin, field, s string, max int) string {
	cut, truncated := Truncate(s, max)
	if truncated {
		d.Warn(vin, field, "shortened to %d characters", max)
	}
	return cut
}

var (
	linkPattern = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"]+`)
	// tagPattern matches an HTML tag: a known element name, then either nothing but an optional
	// "/" or attributes with "=" in them. Text a dealer put in angle brackets ("<one owner>",
	// "<a lot of extras>") is not a tag and stays.
	tagPattern = regexp.MustCompile(`(?i)</?(?:a|abbr|b|big|blockquote|br|center|code|div|em|font|h[1-6]|hr|i|img|li|ol|p|pre|s|section|small|span|strike|strong|sub|sup|table|tbody|td|tfoot|th|thead|tr|u|ul)(?:\s*/?|\s+[^<>]*=[^<>]*)>`)
)

// mayHoldLink is a cheap pre-check for linkPattern: "://" or "www." in any letter case.
func mayHoldLink(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	for i := strings.IndexByte(s, '.'); i >= 0; {
		if i >= 3 && strings.EqualFold(s[i-3:i], "www") {
			return true
		}
		j := strings.IndexByte(s[i+1:], '.')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

// plainDescription prepares a description for Google and Meta, which both ask for plain text
// without links: HTML tags and URLs are removed (with a warning), spaces within a line are
// folded and blank lines dropped, line breaks kept (Meta uses them for layout). An empty result
// is replaced by a sentence generated from the vehicle's facts, then the whole is cut at a word
// boundary to max characters.
func plainDescription(d *Diagnostics, v *inventory.Vehicle, dealer inventory.Dealer, km bool, max int) string {
	s := Clean(v.AIDescription)
	// The patterns run only on text that could match: most descriptions have neither.
	if strings.Contains(s, "<") {
		if stripped := tagPattern.ReplaceAllString(s, ""); stripped != s {
			s = stripped
			d.Warn(v.VIN, "description", "HTML tags removed")
		}
	}
	if mayHoldLink(s) {
		if stripped := linkPattern.ReplaceAllString(s, ""); stripped != s {
			s = stripped
			d.Warn(v.VIN, "description", "links removed: the channel does not allow them")
		}
	}
	if s = foldLines(s); s == "" {
		s = generatedDescription(v, dealer, km)
	}
	cut, truncated := Truncate(s, max)
	if truncated {
		d.Warn(v.VIN, "description", "shortened at a word boundary to %d characters", max)
	}
	return cut
}

// foldLines puts every line of s on one line (OneLine), drops blank lines and joins the rest
// with "\n".
func foldLines(s string) string {
	if linesFolded(s) {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	kept := lines[:0]
	for _, l := range lines {
		if l = OneLine(l); l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// linesFolded reports whether foldLines would return s unchanged, which most descriptions are.
func linesFolded(s string) bool {
	if strings.ContainsRune(s, '\r') {
		return false
	}
	for l := range strings.SplitSeq(s, "\n") {
		if l == "" || !isOneLine(l) {
			return false
		}
	}
	return true
}

// generatedDescription is the sentence a channel gets when the vehicle has no description yet:
// "Used 2019 Toyota Camry LE, 45210 miles, Red. Available at Sunset Honda."
func generatedDescription(v *inventory.Vehicle, dealer inventory.Dealer, km bool) string {
	var b strings.Builder
	switch conditionOf(v.Condition) {
	case condNew:
		b.WriteString("New ")
	case condUsed:
		b.WriteString("Used ")
	case condCertified:
		b.WriteString("Certified pre-owned ")
	}
	b.WriteString(attrText(v.Title()))
	if v.Mileage != nil && *v.Mileage >= 0 {
		b.WriteString(", " + mileageText(*v.Mileage, km))
	}
	if c := attrText(v.ExteriorColor); c != "" {
		b.WriteString(", " + c)
	}
	b.WriteString(".")
	if n := attrText(dealer.Name); n != "" {
		b.WriteString(" Available at " + n + ".")
	}
	return strings.TrimSpace(b.String())
}

// createdDate is an ISO 8601 calendar date of t in UTC, or "" for the zero time.
func createdDate(v *inventory.Vehicle) string {
	if v.CreatedAt.IsZero() {
		return ""
	}
	return v.CreatedAt.UTC().Format("2006-01-02")
}
