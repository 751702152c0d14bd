package hriznsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// BaseTime is the fixed moment generated inventories are dated from: every created_at and
// updated_at of a generated vehicle lies before it, so that the same seed gives the same bytes
// on every run, whatever the wall clock says.
func BaseTime() time.Time { return time.Date(2026, time.February, 1, 10, 0, 0, 0, time.UTC) }

// The deterministic subsets of a generated inventory, by index: every 75th vehicle from
// classicAt is a pre-1981 classic with a short VIN, and so on. A multiple of 150 inventory
// therefore holds two of each.
const (
	classicAt  = 37 // i%75: an 11-character pre-1981 VIN
	noPriceAt  = 11 // i%75: no price (feeds must leave it out)
	noImagesAt = 52 // i%75: no images (feeds must leave it out)
	hostileAt  = 3  // i%10: hostile text in trim, colour and description
)

// vinAlphabet is the characters a VIN may hold: digits and A-Z without I, O and Q.
const vinAlphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

// yearCodes is VIN position 10: the model year, repeating every 30 years from 1980 ("A").
const yearCodes = "ABCDEFGHJKLMNPRSTVWXY123456789"

// Generate returns n vehicles, deterministic for the seed: real makes, models and trims, new and
// used, unique VINs with correct check digits (plus a few 11-character pre-1981 VINs), 3 to 12
// images each, timestamps before BaseTime, about 10% without a description, a few without a
// price or images, and hostile text in a fixed subset. The result is sorted by VIN.
func Generate(seed int64, n int) []inventory.Vehicle {
	return generate(seed, n, false)
}

// generate is Generate, with ProfileRealistic's oddities when realistic is set.
func generate(seed int64, n int, realistic bool) []inventory.Vehicle {
	if n <= 0 {
		return []inventory.Vehicle{}
	}
	g := generator{
		rng:       rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		seen:      make(map[string]bool, n),
		base:      BaseTime(),
		realistic: realistic,
	}
	vs := make([]inventory.Vehicle, n)
	order := make([]int, n)
	for i := range vs {
		g.vehicle(i, &vs[i])
		order[i] = i
	}
	// Sort positions rather than the vehicles themselves: a Vehicle is hundreds of bytes, and
	// swapping them dominated generating a large inventory.
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(vs[a].VIN, vs[b].VIN) })
	out := make([]inventory.Vehicle, n)
	for i, j := range order {
		out[i] = vs[j]
	}
	return out
}

type generator struct {
	rng       *rand.Rand
	seen      map[string]bool
	base      time.Time
	realistic bool // ProfileRealistic
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) vehicle(i int, v *inventory.Vehicle) {
	if i%75 == classicAt {
		g.classic(i, v)
	} else {
		g.modern(v)
	}
	if g.realistic {
		g.realisticVehicle(i, v)
	}
	g.dates(v)
	g.images(v, i%75 != noImagesAt)
	if i%75 == noPriceAt {
		v.Price = nil
	}
	hostile := i%10 == hostileAt
	if hostile {
		k := i / 10
		v.Trim = hostileTrims[k%len(hostileTrims)]
		v.ExteriorColor = hostileColors[k%len(hostileColors)]
	}
	// About one in ten has no description yet; hostile ones always have one, so that the
	// hostile description text reaches every consumer.
	if !hostile && g.rng.IntN(10) == 0 {
		v.DescriptionStatus = inventory.DescriptionNotGenerated
		return
	}
	v.AIDescription = Describe(v)
	if g.realistic && slices.Contains(realEuropeanAt, i%75) {
		v.AIDescription = strings.Replace(v.AIDescription, " miles", " km", 1)
	}
	if hostile {
		v.AIDescription = hostileDescriptions[(i/10)%len(hostileDescriptions)] + " " + v.AIDescription
	}
	v.DescriptionStatus = inventory.DescriptionCompleted
	gen := v.CreatedAt.Add(v.UpdatedAt.Sub(v.CreatedAt) / 2)
	v.DescriptionGeneratedAt = &gen
}

func (g *generator) modern(v *inventory.Vehicle) {
	b := &catalog[g.rng.IntN(len(catalog))]
	m := &b.models[g.rng.IntN(len(b.models))]
	trim := g.rng.IntN(len(m.trims))
	eng := g.rng.IntN(len(m.engines))
	msrp := roundTo(m.msrp*(1+0.09*float64(trim))+1800*float64(eng), 5)

	v.Make, v.Model, v.Trim, v.BodyStyle = b.name, m.name, m.trims[trim], m.body
	v.Engine, v.FuelType = m.engines[eng].desc, m.engines[eng].fuel
	v.Transmission = g.pick(m.transmissions)
	v.Drivetrain = g.pick(m.drivetrains)
	v.ExteriorColor = g.pick(b.colors)
	v.InteriorColor = g.pick(interiors)
	v.Features = g.features()

	if g.rng.IntN(100) < 55 {
		v.Condition = inventory.New
		v.Year = 2025 + g.rng.IntN(3) // model years 2025-2027 are on sale in early 2026
		discount := roundTo(msrp*g.rng.Float64()*0.06, 100) + 100
		v.MSRP = inventory.Ptr(msrp)
		v.Price = inventory.Ptr(msrp - discount)
		v.Mileage = inventory.Ptr(g.rng.IntN(41))
	} else {
		v.Condition = inventory.Used
		v.Year = 2014 + g.rng.IntN(12)
		age := 2026 - v.Year
		value := msrp * math.Pow(0.86, float64(age)) * (0.92 + 0.16*g.rng.Float64())
		v.Price = inventory.Ptr(roundTo(value, 100) - 1) // dealers price used cars at ...99
		v.Mileage = inventory.Ptr(age*(7000+g.rng.IntN(8000)) + 300 + g.rng.IntN(5000))
		if g.rng.IntN(3) == 0 {
			v.MSRP = inventory.Ptr(msrp) // the original sticker, where the dealer kept it
		}
	}
	v.VIN = g.vin17(b.wmis, v.Year)
}

func (g *generator) classic(i int, v *inventory.Vehicle) {
	c := classics[(i/75)%len(classics)]
	v.Make, v.Model, v.Trim, v.BodyStyle = c.make, c.model, c.trim, c.body
	v.Engine, v.Transmission, v.Drivetrain, v.FuelType = c.engine, c.transmission, "RWD", "Gasoline"
	if c.body == "SUV" {
		v.Drivetrain = "4WD"
	}
	v.Year, v.Condition = c.year, inventory.Used
	v.ExteriorColor = g.pick([]string{"Candy Apple Red", "Wimbledon White", "Highland Green", "Tuxedo Black", "Marina Blue"})
	v.InteriorColor = g.pick(interiors)
	v.Features = []string{"Restored", "Matching Numbers", "Original Owner's Manual"}
	v.Price = inventory.Ptr(float64(24900 + 1000*g.rng.IntN(60)))
	v.Mileage = inventory.Ptr(40000 + g.rng.IntN(90000))
	// 11 characters: the maker's prefix and a six-digit serial, as pre-1981 VINs were.
	v.VIN = g.uniqueVIN(func() string { return c.prefix + fmt.Sprintf("%06d", g.rng.IntN(1000000)) })
}

// uniqueVIN calls next until it returns a VIN the generator has not handed out yet, and
// records that one.
func (g *generator) uniqueVIN(next func() string) string {
	for {
		if vin := next(); !g.seen[vin] {
			g.seen[vin] = true
			return vin
		}
	}
}

// vin17 makes a unique 17-character VIN: a real WMI, a random descriptor section, the check
// digit, the model year code, a plant code and a serial number.
func (g *generator) vin17(wmis []string, year int) string {
	var b [17]byte
	return g.uniqueVIN(func() string {
		copy(b[:3], g.pick(wmis))
		for j := 3; j < 8; j++ {
			b[j] = vinAlphabet[g.rng.IntN(len(vinAlphabet))]
		}
		b[9] = yearCodes[(year-1980)%30]
		b[10] = vinAlphabet[10+g.rng.IntN(len(vinAlphabet)-10)]
		for j := 11; j < 17; j++ {
			b[j] = byte('0' + g.rng.IntN(10))
		}
		b[8] = '0'
		b[8] = inventory.VINCheckDigit(string(b[:]))
		return string(b[:])
	})
}

func (g *generator) features() []string {
	k := 3 + g.rng.IntN(6)
	idx := g.rng.Perm(len(featurePool))[:k]
	out := make([]string, k)
	for j, x := range idx {
		out[j] = featurePool[x]
	}
	return out
}

func (g *generator) images(v *inventory.Vehicle, any bool) {
	if !any {
		return
	}
	k := 3 + g.rng.IntN(10)
	prefix := "https://cdn.example.com/vehicles/" + v.VIN + "/"
	// All URLs live in one string, each image a slice of it: one allocation instead of k.
	var b strings.Builder
	b.Grow(k * (len(prefix) + 16))
	ends := make([]int, k)
	for j := range k {
		b.WriteString(prefix)
		b.WriteString(imageAngles[j])
		b.WriteString(".jpg")
		ends[j] = b.Len()
	}
	all := b.String()
	v.Images = make([]string, k)
	start := 0
	for j, end := range ends {
		v.Images[j] = all[start:end]
		start = end
	}
	v.ImageURL = v.Images[0]
}

func (g *generator) dates(v *inventory.Vehicle) {
	created := g.base.Add(-time.Duration(1+g.rng.IntN(180*24*60)) * time.Minute)
	span := g.base.Sub(created)
	v.CreatedAt = created
	v.UpdatedAt = created.Add(time.Duration(g.rng.Int64N(int64(span/time.Minute))) * time.Minute)
}

func roundTo(x, step float64) float64 { return math.Round(x/step) * step }

// Describe is the deterministic AI description the simulator gives a vehicle, built from its
// own fields.
func Describe(v *inventory.Vehicle) string {
	var b strings.Builder
	b.Grow(256)
	b.WriteString("The ")
	b.WriteString(v.Title())
	if v.ExteriorColor != "" {
		b.WriteString(" in ")
		b.WriteString(v.ExteriorColor)
	}
	b.WriteString(" offers a perfect blend of style, technology, and value.")
	if v.Engine != "" {
		fmt.Fprintf(&b, " Its %s", v.Engine)
		switch {
		case v.Transmission != "" && v.Drivetrain != "":
			fmt.Fprintf(&b, ", paired with the %s and %s,", v.Transmission, v.Drivetrain)
		case v.Transmission != "":
			fmt.Fprintf(&b, ", paired with the %s,", v.Transmission)
		}
		b.WriteString(" delivers a confident drive.")
	}
	if len(v.Features) > 0 {
		n := min(3, len(v.Features))
		fmt.Fprintf(&b, " Highlights include %s.", strings.Join(v.Features[:n], ", "))
	}
	switch {
	case v.Mileage == nil:
		b.WriteString(" It")
	case v.Condition == inventory.New:
		fmt.Fprintf(&b, " Brand new with %d miles, it", *v.Mileage)
	default:
		fmt.Fprintf(&b, " This pre-owned %s has %s miles and", strings.ToLower(orDefault(v.BodyStyle, "vehicle")), thousands(*v.Mileage))
	}
	if v.Price != nil {
		fmt.Fprintf(&b, " is priced at $%s.", thousands(int(*v.Price)))
	} else {
		b.WriteString(" is available now; contact us for pricing.")
	}
	return b.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// thousands formats n with comma separators: 45210 → "45,210".
func thousands(n int) string {
	s := strconv.Itoa(n)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for j := pre; j < len(s); j += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[j : j+3])
	}
	return b.String()
}
