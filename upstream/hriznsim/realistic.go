package hriznsim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// Inventory profiles, for Options.Profile and the command's --profile flag.
const (
	// ProfileDefault is the generated inventory the goldens and most tests are built on: US
	// vehicles with check-digit-valid VINs, new or used.
	ProfileDefault = "default"
	// ProfileRealistic adds what real dealer data holds and the default lacks: VINs whose check
	// digit fails, European VINs (no check digit) with kilometre mileage and non-English fuel
	// names, pre-1981 and import chassis numbers of 12 and 13 characters, certified pre-owned,
	// "Not Certified", demo and loaner cars, and records missing optional fields.
	ProfileRealistic = "realistic"
)

// Profiles lists the profile names New and the command accept ("" is ProfileDefault).
func Profiles() []string { return []string{ProfileDefault, ProfileRealistic} }

// GenerateProfile is Generate for a profile: ProfileDefault (or "") gives exactly Generate's
// inventory; ProfileRealistic the same kind of inventory with the real-world oddities of
// ProfileRealistic mixed in, at fixed positions so that every 150 vehicles hold them all. An
// unknown profile is an error.
func GenerateProfile(profile string, seed int64, n int) ([]inventory.Vehicle, error) {
	switch profile {
	case "", ProfileDefault:
		return Generate(seed, n), nil
	case ProfileRealistic:
		return generate(seed, n, true), nil
	}
	return nil, fmt.Errorf("hriznsim: unknown profile %q (want %s)", profile, strings.Join(Profiles(), " or "))
}

// The realistic subsets, by generation index modulo 75 (so 150 vehicles hold two of each), all
// clear of the default profile's classic, no-price, no-images and hostile-text positions, so
// that those keep their meaning. Every fifth modern vehicle (i%5 == 1) gets a VIN whose check
// digit fails.
const (
	realShortAt      = 62 // a 13-character GM VIN (1972-80) or a 13-character import chassis number
	realDemoAt       = 44 // condition "demo"
	realLoanerAt     = 59 // condition "loaner"
	realNotCertAt    = 16 // condition "Not Certified" (a used car, whatever the words suggest)
	realNoTrimAt     = 14 // no trim, interior colour or features
	realNoDrivetrain = 29 // no engine, transmission, drivetrain, fuel type or body style
	realNoMileageAt  = 71 // no mileage
	realNoColorAt    = 56 // no exterior colour
	realNoMSRPAt     = 41 // a new car without an MSRP
)

// realEuropeanAt are the positions of European vehicles; realCPOAt of certified pre-owned ones,
// each spelling the condition its own way.
var (
	realEuropeanAt = []int{5, 20, 35, 50, 65}
	realCPOAt      = []int{8, 26, 47}
	cpoSpellings   = []string{"certified", "Certified Pre-Owned", "CPO"}
)

// europeanCars are vehicles as European dealers list them: WMIs of European plants, no check
// digit (position 9 is a filler), kilometres, and fuel names in the local language.
var europeanCars = []struct {
	make, model, trim, body, engine, fuel, transmission, drivetrain, wmi string
}{
	{"Volkswagen", "Golf", "1.5 eTSI Life", "Hatchback", "1.5L Turbo 4-Cylinder Mild Hybrid", "Benzin", "7-Speed DSG", "FWD", "WVW"},
	{"Skoda", "Octavia", "Combi 2.0 TDI Style", "Wagon", "2.0L Turbo Diesel 4-Cylinder", "Diesel", "7-Speed DSG", "FWD", "TMB"},
	{"Renault", "Clio", "TCe 90 Evolution", "Hatchback", "1.0L Turbo 3-Cylinder", "Essence", "6-Speed Manual", "FWD", "VF1"},
	{"Peugeot", "3008", "Hybrid 136 Allure", "SUV", "1.2L Turbo 3-Cylinder Hybrid", "Hybride", "6-Speed Dual-Clutch", "FWD", "VF3"},
	{"BMW", "320d", "Touring M Sport", "Wagon", "2.0L Turbo Diesel 4-Cylinder", "Diesel", "8-Speed Automatic", "RWD", "WBA"},
	{"Mercedes-Benz", "C 220 d", "Avantgarde", "Sedan", "2.0L Turbo Diesel 4-Cylinder", "Diesel", "9-Speed Automatic", "RWD", "WDD"},
	{"Volvo", "XC60", "B4 Core", "SUV", "2.0L Turbo 4-Cylinder Mild Hybrid", "Bensin", "8-Speed Automatic", "AWD", "YV1"},
	{"Fiat", "500", "1.0 Hybrid Dolcevita", "Hatchback", "1.0L 3-Cylinder Mild Hybrid", "Benzina", "6-Speed Manual", "FWD", "ZFA"},
}

// realisticVehicle turns the freshly made vehicle number i into one of the profile's oddities, if its
// position calls for one. It runs before dates and images are drawn (a VIN may change).
func (g *generator) realisticVehicle(i int, v *inventory.Vehicle) {
	k := i % 75
	switch {
	case k == classicAt:
		return // the default's 11-character classic stays
	case k == realShortAt:
		g.shortVIN(i, v)
		return
	case slices.Contains(realEuropeanAt, k):
		g.european(i, v)
		return
	}
	if i%5 == 1 {
		g.breakCheckDigit(v)
	}
	switch {
	case slices.Contains(realCPOAt, k):
		g.makeUsed(v)
		v.Condition = inventory.Condition(cpoSpellings[(i/75+k)%len(cpoSpellings)])
	case k == realNotCertAt:
		g.makeUsed(v)
		v.Condition = "Not Certified"
	case k == realDemoAt || k == realLoanerAt:
		if v.Condition != inventory.New {
			v.Year = 2026
			v.MSRP = inventory.Ptr(roundTo(*v.Price*1.3, 5))
			v.Price = inventory.Ptr(roundTo(*v.MSRP*0.93, 100))
		}
		v.Condition, v.Mileage = "demo", inventory.Ptr(1500+g.rng.IntN(4500))
		if k == realLoanerAt {
			v.Condition, v.Mileage = "loaner", inventory.Ptr(3000+g.rng.IntN(6000))
		}
	case k == realNoTrimAt:
		v.Trim, v.InteriorColor, v.Features = "", "", nil
	case k == realNoDrivetrain:
		v.Engine, v.Transmission, v.Drivetrain, v.FuelType, v.BodyStyle = "", "", "", "", ""
	case k == realNoMileageAt:
		g.makeUsed(v)
		v.Mileage = nil
	case k == realNoColorAt:
		v.ExteriorColor = ""
	case k == realNoMSRPAt:
		if v.Condition == inventory.New {
			v.MSRP = nil
		} else {
			v.Trim = "" // a used car without an MSRP is the default; leave out its trim instead
		}
	}
}

// european makes v a used European car with a European VIN (no check digit) and kilometres.
func (g *generator) european(i int, v *inventory.Vehicle) {
	c := europeanCars[(i/15)%len(europeanCars)]
	v.Make, v.Model, v.Trim, v.BodyStyle = c.make, c.model, c.trim, c.body
	v.Engine, v.FuelType, v.Transmission, v.Drivetrain = c.engine, c.fuel, c.transmission, c.drivetrain
	v.Condition, v.MSRP = inventory.Used, nil
	v.Year = 2016 + g.rng.IntN(8)
	v.Mileage = inventory.Ptr((2026-v.Year)*(9000+g.rng.IntN(14000)) + g.rng.IntN(8000))
	v.Price = inventory.Ptr(float64(8900 + 100*g.rng.IntN(250)))
	// WMI, "ZZZ" and a filler "Z" in position 9 (European VINs carry no check digit), the
	// model code, a plant letter and a serial.
	v.VIN = g.uniqueVIN(func() string {
		var b strings.Builder
		b.WriteString(c.wmi)
		b.WriteString("ZZZ")
		b.WriteByte(vinAlphabet[g.rng.IntN(len(vinAlphabet))])
		b.WriteByte(vinAlphabet[10+g.rng.IntN(len(vinAlphabet)-10)])
		b.WriteByte('Z')
		b.WriteByte(yearCodes[(v.Year-1980)%30])
		b.WriteByte(vinAlphabet[10+g.rng.IntN(len(vinAlphabet)-10)])
		fmt.Fprintf(&b, "%06d", g.rng.IntN(1000000))
		return b.String()
	})
}

// shortVIN makes v a car with a 13-character identifier: a 1970s GM VIN, or the chassis number
// of a Japanese import over 25 years old.
func (g *generator) shortVIN(i int, v *inventory.Vehicle) {
	v.Condition, v.MSRP = inventory.Used, nil
	v.Features = []string{"Original Owner's Manual"}
	prefix := "1Z37L9S"
	v.Make, v.Model, v.Trim, v.BodyStyle, v.Year = "Chevrolet", "Corvette", "L82", "Coupe", 1979
	v.Engine, v.Transmission, v.Drivetrain, v.FuelType = "5.7L V8", "4-Speed Manual", "RWD", "Gasoline"
	if (i/75)%2 == 1 {
		prefix = "BCNR33-"
		v.Make, v.Model, v.Trim, v.BodyStyle, v.Year = "Nissan", "Skyline", "GT-R V-Spec", "Coupe", 1996
		v.Engine, v.Transmission, v.Drivetrain = "2.6L Twin-Turbo Inline-6", "5-Speed Manual", "AWD"
	}
	v.Price = inventory.Ptr(float64(32900 + 1000*g.rng.IntN(60)))
	v.Mileage = inventory.Ptr(30000 + g.rng.IntN(90000))
	v.VIN = g.uniqueVIN(func() string { return prefix + fmt.Sprintf("%06d", g.rng.IntN(1000000)) })
}

// breakCheckDigit gives a 17-character VIN a check digit that does not match.
func (g *generator) breakCheckDigit(v *inventory.Vehicle) {
	if len(v.VIN) != 17 {
		return
	}
	const digits = "0123456789X"
	b := []byte(v.VIN)
	for {
		b[8] = digits[g.rng.IntN(len(digits))]
		if vin := string(b); vin != v.VIN && !g.seen[vin] {
			delete(g.seen, v.VIN)
			g.seen[vin] = true
			v.VIN = vin
			return
		}
	}
}

// makeUsed turns a new vehicle into a two-to-three-year-old used one; a used one stays as it is.
func (g *generator) makeUsed(v *inventory.Vehicle) {
	if v.Condition != inventory.New {
		return
	}
	v.Condition = inventory.Used
	v.Year = 2023 + g.rng.IntN(2)
	v.Mileage = inventory.Ptr(9000 + g.rng.IntN(30000))
	if v.Price != nil {
		v.Price = inventory.Ptr(roundTo(*v.Price*0.8, 100) - 1)
	}
}
