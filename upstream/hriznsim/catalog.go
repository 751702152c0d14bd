package hriznsim

// The catalog below is what Generate draws from: real makes with their real models, trims,
// engines and paint names, so that generated feeds look like a dealer's and exercise the same
// mappings (body style, fuel type) that real data does. Prices are ballpark US MSRPs.

type engine struct {
	desc string
	fuel string
}

type model struct {
	name          string
	body          string
	msrp          float64 // base trim
	trims         []string
	engines       []engine
	transmissions []string
	drivetrains   []string
}

type brand struct {
	name   string
	wmis   []string // real world manufacturer identifiers, VIN positions 1-3
	colors []string
	models []model
}

var (
	gasI4      = engine{"2.0L 4-Cylinder", "Gasoline"}
	gasI4T     = engine{"1.5L Turbo 4-Cylinder", "Gasoline"}
	gas25      = engine{"2.5L 4-Cylinder", "Gasoline"}
	gasV6      = engine{"3.5L V6", "Gasoline"}
	gasV8      = engine{"5.0L V8", "Gasoline"}
	gas20T     = engine{"2.0L Turbo 4-Cylinder", "Gasoline"}
	gas30T     = engine{"3.0L Turbo Inline-6", "Gasoline"}
	hybrid     = engine{"2.0L 4-Cylinder Hybrid", "Hybrid"}
	hybrid25   = engine{"2.5L 4-Cylinder Hybrid", "Hybrid"}
	phev       = engine{"2.5L 4-Cylinder Plug-In Hybrid", "Plug-In Hybrid"}
	electric   = engine{"Electric Motor", "Electric"}
	dualMotor  = engine{"Dual Electric Motors", "Electric"}
	diesel     = engine{"6.7L Turbo Diesel V8", "Diesel"}
	ecoboost   = engine{"2.7L EcoBoost V6", "Gasoline"}
	boxer      = engine{"2.5L Boxer 4-Cylinder", "Gasoline"}
	boxerT     = engine{"2.4L Turbo Boxer 4-Cylinder", "Gasoline"}
	hemi       = engine{"5.7L HEMI V8", "Gasoline"}
	pentastar  = engine{"3.6L Pentastar V6", "Gasoline"}
	chevyV8    = engine{"5.3L V8", "Gasoline"}
	vwTSI      = engine{"1.5L Turbo 4-Cylinder TSI", "Gasoline"}
	skyactiv   = engine{"2.5L Skyactiv-G 4-Cylinder", "Gasoline"}
	skyactivT  = engine{"2.5L Turbo Skyactiv-G 4-Cylinder", "Gasoline"}
	nissanVC   = engine{"1.5L VC-Turbo 3-Cylinder", "Gasoline"}
	nissanI4   = engine{"2.0L 4-Cylinder", "Gasoline"}
	hyundaiI4  = engine{"2.5L 4-Cylinder", "Gasoline"}
	hyundaiT   = engine{"1.6L Turbo 4-Cylinder", "Gasoline"}
	cvt        = []string{"CVT"}
	auto8      = []string{"8-Speed Automatic"}
	auto10     = []string{"10-Speed Automatic"}
	auto6      = []string{"6-Speed Automatic"}
	auto9      = []string{"9-Speed Automatic"}
	single     = []string{"Single-Speed Automatic"}
	manualAuto = []string{"6-Speed Manual", "CVT"}
	fwd        = []string{"FWD"}
	fwdAWD     = []string{"FWD", "AWD"}
	rwdAWD     = []string{"RWD", "AWD"}
	awd        = []string{"AWD"}
	fourWD     = []string{"4WD", "RWD"}
)

var catalog = []brand{
	{name: "Honda", wmis: []string{"1HG", "2HG", "5FN", "7FA"},
		colors: []string{"Crystal Black Pearl", "Lunar Silver Metallic", "Platinum White Pearl", "Sonic Gray Pearl", "Radiant Red Metallic", "Meteorite Gray Metallic"},
		models: []model{
			{"Civic", "Sedan", 24650, []string{"LX", "Sport", "EX", "Sport Touring"}, []engine{gasI4, gasI4T}, cvt, fwd},
			{"Accord", "Sedan", 28295, []string{"LX", "SE", "Sport", "Touring"}, []engine{gasI4T, hybrid}, cvt, fwd},
			{"CR-V", "SUV", 30850, []string{"LX", "EX", "EX-L", "Sport Touring"}, []engine{gasI4T, hybrid}, cvt, fwdAWD},
			{"Pilot", "SUV", 40350, []string{"Sport", "EX-L", "TrailSport", "Elite"}, []engine{gasV6}, []string{"10-Speed Automatic"}, fwdAWD},
			{"Odyssey", "Minivan", 39190, []string{"EX", "EX-L", "Sport", "Elite"}, []engine{gasV6}, auto10, fwd},
		}},
	{name: "Toyota", wmis: []string{"4T1", "JTD", "5TD", "2T3", "5TF"},
		colors: []string{"Midnight Black Metallic", "Wind Chill Pearl", "Celestial Silver Metallic", "Supersonic Red", "Magnetic Gray Metallic", "Blueprint"},
		models: []model{
			{"Camry", "Sedan", 28400, []string{"LE", "SE", "XLE", "XSE"}, []engine{hybrid25}, cvt, fwdAWD},
			{"Corolla", "Sedan", 22325, []string{"LE", "SE", "XSE"}, []engine{gasI4, hybrid}, cvt, fwd},
			{"RAV4", "SUV", 29800, []string{"LE", "XLE", "XLE Premium", "Limited", "TRD Off-Road"}, []engine{gas25, hybrid25, phev}, auto8, fwdAWD},
			{"Tacoma", "Truck", 31590, []string{"SR", "SR5", "TRD Sport", "TRD Off-Road", "Limited"}, []engine{{"2.4L Turbo 4-Cylinder", "Gasoline"}}, auto8, fourWD},
			{"Highlander", "SUV", 39520, []string{"LE", "XLE", "Limited", "Platinum"}, []engine{{"2.4L Turbo 4-Cylinder", "Gasoline"}, hybrid25}, auto8, fwdAWD},
		}},
	{name: "Ford", wmis: []string{"1FA", "1FT", "1FM", "3FM"},
		colors: []string{"Agate Black", "Oxford White", "Iconic Silver", "Rapid Red Metallic", "Carbonized Gray", "Atlas Blue"},
		models: []model{
			{"F-150", "Truck", 38810, []string{"XL", "XLT", "Lariat", "King Ranch", "Platinum"}, []engine{ecoboost, gasV8, {"3.5L PowerBoost Hybrid V6", "Hybrid"}}, auto10, fourWD},
			{"Mustang", "Coupe", 32515, []string{"EcoBoost", "EcoBoost Premium", "GT", "Dark Horse"}, []engine{{"2.3L EcoBoost 4-Cylinder", "Gasoline"}, gasV8}, []string{"10-Speed Automatic", "6-Speed Manual"}, []string{"RWD"}},
			{"Explorer", "SUV", 40525, []string{"Active", "ST-Line", "Platinum", "ST"}, []engine{{"2.3L EcoBoost 4-Cylinder", "Gasoline"}, {"3.0L EcoBoost V6", "Gasoline"}}, auto10, rwdAWD},
			{"Escape", "SUV", 29495, []string{"Active", "ST-Line", "Platinum"}, []engine{{"1.5L EcoBoost 3-Cylinder", "Gasoline"}, hybrid25, phev}, auto8, fwdAWD},
			{"Mustang Mach-E", "SUV", 39995, []string{"Select", "Premium", "GT"}, []engine{electric, dualMotor}, single, rwdAWD},
			{"F-250 Super Duty", "Truck", 46465, []string{"XL", "XLT", "Lariat"}, []engine{{"6.8L V8", "Gasoline"}, diesel}, auto10, fourWD},
		}},
	{name: "Chevrolet", wmis: []string{"1G1", "1GC", "3GN", "1GN", "KL7"},
		colors: []string{"Summit White", "Mosaic Black Metallic", "Radiant Red Tintcoat", "Sterling Gray Metallic", "Silver Ice Metallic", "Glacier Blue Metallic"},
		models: []model{
			{"Silverado 1500", "Truck", 37645, []string{"WT", "Custom", "LT", "RST", "LTZ", "High Country"}, []engine{{"2.7L TurboMax 4-Cylinder", "Gasoline"}, chevyV8, {"3.0L Duramax Turbo-Diesel I6", "Diesel"}}, auto10, fourWD},
			{"Equinox", "SUV", 28600, []string{"LT", "RS", "ACTIV"}, []engine{{"1.5L Turbo 4-Cylinder", "Gasoline"}}, []string{"CVT", "8-Speed Automatic"}, fwdAWD},
			{"Tahoe", "SUV", 58195, []string{"LS", "LT", "RST", "Z71", "Premier"}, []engine{chevyV8, {"6.2L V8", "Gasoline"}}, auto10, fourWD},
			{"Malibu", "Sedan", 25100, []string{"LS", "RS", "LT"}, []engine{{"1.5L Turbo 4-Cylinder", "Gasoline"}}, cvt, fwd},
			{"Bolt EUV", "Crossover", 27800, []string{"LT", "Premier"}, []engine{electric}, single, fwd},
			{"Corvette", "Coupe", 68300, []string{"1LT", "2LT", "3LT"}, []engine{{"6.2L V8", "Gasoline"}}, []string{"8-Speed Dual-Clutch"}, []string{"RWD"}},
		}},
	{name: "Tesla", wmis: []string{"5YJ", "7SA"},
		colors: []string{"Pearl White Multi-Coat", "Solid Black", "Deep Blue Metallic", "Ultra Red", "Stealth Grey", "Quicksilver"},
		models: []model{
			{"Model 3", "Sedan", 42490, []string{"Long Range", "Performance"}, []engine{dualMotor, electric}, single, rwdAWD},
			{"Model Y", "SUV", 44990, []string{"Long Range", "Performance"}, []engine{dualMotor}, single, awd},
			{"Model S", "Sedan", 79990, []string{"Dual Motor", "Plaid"}, []engine{dualMotor, {"Tri Electric Motors", "Electric"}}, single, awd},
		}},
	{name: "BMW", wmis: []string{"WBA", "5UX", "WBS"},
		colors: []string{"Alpine White", "Black Sapphire Metallic", "Mineral White Metallic", "Portimao Blue Metallic", "Skyscraper Grey Metallic", "Brooklyn Grey Metallic"},
		models: []model{
			{"3 Series", "Sedan", 45500, []string{"330i", "330i xDrive", "M340i"}, []engine{gas20T, gas30T}, auto8, rwdAWD},
			{"X3", "SUV", 49500, []string{"30 xDrive", "M50 xDrive"}, []engine{gas20T, gas30T}, auto8, awd},
			{"X5", "SUV", 66200, []string{"sDrive40i", "xDrive40i", "xDrive50e"}, []engine{gas30T, phev}, auto8, rwdAWD},
			{"i4", "Sedan", 57300, []string{"eDrive35", "eDrive40", "M50"}, []engine{electric, dualMotor}, single, rwdAWD},
		}},
	{name: "Subaru", wmis: []string{"JF1", "JF2", "4S3", "4S4"},
		colors: []string{"Crystal White Pearl", "Magnetite Gray Metallic", "Autumn Green Metallic", "Crystal Black Silica", "Cosmic Blue Pearl", "Ice Silver Metallic"},
		models: []model{
			{"Outback", "Station Wagon", 29995, []string{"Base", "Premium", "Limited", "Touring", "Wilderness"}, []engine{boxer, boxerT}, cvt, awd},
			{"Forester", "SUV", 29695, []string{"Base", "Premium", "Sport", "Limited", "Touring"}, []engine{boxer}, cvt, awd},
			{"Crosstrek", "Crossover", 26540, []string{"Base", "Premium", "Sport", "Limited"}, []engine{{"2.0L Boxer 4-Cylinder", "Gasoline"}, boxer}, cvt, awd},
			{"WRX", "Sedan", 33855, []string{"Base", "Premium", "Limited", "GT"}, []engine{boxerT}, manualAuto, awd},
		}},
	{name: "Hyundai", wmis: []string{"KMH", "5NP", "5NM", "KM8"},
		colors: []string{"Phantom Black Pearl", "Serenity White Pearl", "Shimmering Silver", "Ultimate Red", "Amazon Gray", "Intense Blue"},
		models: []model{
			{"Elantra", "Sedan", 22125, []string{"SE", "SEL", "Limited", "N Line"}, []engine{{"2.0L 4-Cylinder", "Gasoline"}, hyundaiT}, []string{"IVT", "7-Speed Dual-Clutch"}, fwd},
			{"Tucson", "SUV", 29200, []string{"SE", "SEL", "XRT", "Limited"}, []engine{hyundaiI4, hyundaiT, phev}, auto8, fwdAWD},
			{"Santa Fe", "SUV", 34250, []string{"SE", "SEL", "XRT", "Limited", "Calligraphy"}, []engine{hyundaiT, hybrid25}, auto8, fwdAWD},
			{"Ioniq 5", "Crossover", 42600, []string{"SE", "SEL", "Limited", "N"}, []engine{electric, dualMotor}, single, rwdAWD},
		}},
	{name: "Kia", wmis: []string{"KNA", "5XY", "KND"},
		colors: []string{"Ebony Black", "Snow White Pearl", "Steel Gray", "Runway Red", "Wolf Gray", "Gravity Blue"},
		models: []model{
			{"Telluride", "SUV", 36190, []string{"LX", "S", "EX", "SX", "SX X-Pro"}, []engine{{"3.8L V6", "Gasoline"}}, auto8, fwdAWD},
			{"Sportage", "SUV", 27990, []string{"LX", "EX", "X-Line", "SX Prestige"}, []engine{hyundaiI4, hybrid25}, auto8, fwdAWD},
			{"K5", "Sedan", 26990, []string{"LXS", "GT-Line", "EX", "GT"}, []engine{hyundaiT, gas25}, auto8, fwdAWD},
			{"EV6", "Crossover", 42600, []string{"Light", "Wind", "GT-Line", "GT"}, []engine{electric, dualMotor}, single, rwdAWD},
			{"Carnival", "Minivan", 36395, []string{"LX", "EX", "SX", "SX Prestige"}, []engine{gasV6, hybrid}, auto8, fwd},
		}},
	{name: "Nissan", wmis: []string{"1N4", "JN8", "5N1", "1N6"},
		colors: []string{"Super Black", "Glacier White", "Brilliant Silver Metallic", "Scarlet Ember Tintcoat", "Gun Metallic", "Deep Blue Pearl"},
		models: []model{
			{"Altima", "Sedan", 27000, []string{"S", "SV", "SR", "SL"}, []engine{nissanI4, {"2.5L 4-Cylinder", "Gasoline"}}, cvt, fwdAWD},
			{"Rogue", "SUV", 29230, []string{"S", "SV", "SL", "Platinum"}, []engine{nissanVC}, cvt, fwdAWD},
			{"Frontier", "Truck", 31030, []string{"S", "SV", "PRO-4X", "PRO-X"}, []engine{{"3.8L V6", "Gasoline"}}, []string{"9-Speed Automatic"}, fourWD},
			{"Leaf", "Hatchback", 28140, []string{"S", "SV Plus"}, []engine{electric}, single, fwd},
		}},
	{name: "Mazda", wmis: []string{"JM1", "JM3", "3MZ"},
		colors: []string{"Soul Red Crystal Metallic", "Jet Black Mica", "Machine Gray Metallic", "Snowflake White Pearl Mica", "Deep Crystal Blue Mica", "Polymetal Gray Metallic"},
		models: []model{
			{"Mazda3", "Hatchback", 24150, []string{"2.5 S", "Select Sport", "Preferred", "Premium", "Turbo Premium Plus"}, []engine{skyactiv, skyactivT}, auto6, fwdAWD},
			{"CX-5", "SUV", 29990, []string{"2.5 S Select", "Preferred", "Premium", "Turbo Signature"}, []engine{skyactiv, skyactivT}, auto6, awd},
			{"CX-90", "SUV", 37845, []string{"Select", "Preferred", "Premium Plus"}, []engine{{"3.3L Turbo Inline-6", "Gasoline"}, phev}, auto8, awd},
			{"MX-5 Miata", "Convertible", 29930, []string{"Sport", "Club", "Grand Touring"}, []engine{{"2.0L Skyactiv-G 4-Cylinder", "Gasoline"}}, []string{"6-Speed Manual", "6-Speed Automatic"}, []string{"RWD"}},
		}},
	{name: "Volkswagen", wmis: []string{"3VW", "1V2", "WVW", "1VW"},
		colors: []string{"Deep Black Pearl", "Pure White", "Pyrite Silver Metallic", "Kings Red Metallic", "Platinum Gray Metallic", "Atlantic Blue Metallic"},
		models: []model{
			{"Jetta", "Sedan", 22995, []string{"S", "Sport", "SE", "SEL"}, []engine{vwTSI}, auto8, fwd},
			{"Tiguan", "SUV", 30245, []string{"S", "SE", "SEL R-Line"}, []engine{gas20T}, auto8, fwdAWD},
			{"Atlas", "SUV", 38995, []string{"SE", "SE with Technology", "Peak Edition", "SEL Premium R-Line"}, []engine{gas20T}, auto8, fwdAWD},
			{"Golf GTI", "Hatchback", 32365, []string{"S", "SE", "Autobahn"}, []engine{gas20T}, []string{"7-Speed DSG"}, fwd},
			{"ID.4", "SUV", 39735, []string{"Standard", "Pro", "Pro S"}, []engine{electric, dualMotor}, single, rwdAWD},
		}},
	{name: "Jeep", wmis: []string{"1C4", "3C4"},
		colors: []string{"Bright White", "Diamond Black Crystal Pearl", "Granite Crystal Metallic", "Firecracker Red", "Hydro Blue Pearl", "Sarge Green"},
		models: []model{
			{"Wrangler", "SUV", 33690, []string{"Sport", "Sport S", "Sahara", "Rubicon", "Rubicon 392"}, []engine{pentastar, {"2.0L Turbo 4-Cylinder 4xe", "Plug-In Hybrid"}}, auto8, []string{"4WD"}},
			{"Grand Cherokee", "SUV", 38995, []string{"Laredo", "Altitude", "Limited", "Overland", "Summit"}, []engine{pentastar, hemi}, auto8, fourWD},
			{"Compass", "SUV", 28495, []string{"Sport", "Latitude", "Limited", "Trailhawk"}, []engine{gas20T}, auto9, []string{"4WD"}},
			{"Gladiator", "Truck", 38995, []string{"Sport", "Sport S", "Mojave", "Rubicon"}, []engine{pentastar}, auto8, []string{"4WD"}},
		}},
	{name: "Ram", wmis: []string{"1C6", "3C6"},
		colors: []string{"Bright White", "Diamond Black Crystal Pearl", "Billet Silver Metallic", "Flame Red", "Patriot Blue Pearl", "Granite Crystal Metallic"},
		models: []model{
			{"1500", "Truck", 40275, []string{"Tradesman", "Big Horn", "Laramie", "Rebel", "Limited"}, []engine{hemi, {"3.0L Hurricane Twin-Turbo I6", "Gasoline"}}, auto8, fourWD},
			{"2500", "Truck", 47765, []string{"Tradesman", "Big Horn", "Laramie", "Power Wagon"}, []engine{{"6.4L HEMI V8", "Gasoline"}, {"6.7L Cummins Turbo Diesel I6", "Diesel"}}, auto8, []string{"4WD"}},
			{"ProMaster", "Full Size Van", 45530, []string{"1500 Low Roof", "2500 High Roof", "3500 High Roof"}, []engine{pentastar}, auto9, fwd},
		}},
	{name: "Lexus", wmis: []string{"JTH", "2T2", "JTJ"},
		colors: []string{"Eminent White Pearl", "Caviar", "Atomic Silver", "Matador Red Mica", "Nebula Gray Pearl", "Nightfall Mica"},
		models: []model{
			{"RX", "SUV", 49950, []string{"350", "350h", "450h+", "500h F SPORT Performance"}, []engine{{"2.4L Turbo 4-Cylinder", "Gasoline"}, hybrid25, phev}, auto8, fwdAWD},
			{"ES", "Sedan", 42490, []string{"250", "350", "300h"}, []engine{gas25, gasV6, hybrid25}, auto8, fwdAWD},
			{"NX", "SUV", 41550, []string{"250", "350", "350h", "450h+"}, []engine{gas25, hybrid25, phev}, auto8, fwdAWD},
		}},
}

// classics are the pre-1981 vehicles, whose VINs are shorter than 17 characters.
var classics = []struct {
	make, model, trim, body, engine, transmission string
	year                                          int
	prefix                                        string // the maker's serial-number prefix
}{
	{"Ford", "Mustang", "Fastback", "Coupe", "4.7L V8", "3-Speed Manual", 1967, "7R02C"},
	{"Ford", "Bronco", "Sport", "SUV", "4.9L V8", "3-Speed Manual", 1972, "U15GL"},
	{"Chevrolet", "Corvette", "Stingray", "Convertible", "5.7L V8", "4-Speed Manual", 1969, "19467"},
	{"Chevrolet", "Camaro", "SS", "Coupe", "5.7L V8", "4-Speed Manual", 1970, "12487"},
	{"Volkswagen", "Beetle", "Deluxe", "Coupe", "1.6L Flat-4", "4-Speed Manual", 1974, "11424"},
	{"Toyota", "Land Cruiser", "FJ40", "SUV", "4.2L Inline-6", "4-Speed Manual", 1978, "FJ40X"},
}

var interiors = []string{"Black", "Gray", "Beige", "Ivory", "Black Leather", "Saddle Brown Leather", "Red Leather", "Graphite Cloth"}

var featurePool = []string{
	"Apple CarPlay", "Android Auto", "Adaptive Cruise Control", "Blind Spot Monitoring",
	"Lane Keeping Assist", "Backup Camera", "360-Degree Camera", "Heated Seats", "Ventilated Seats",
	"Heated Steering Wheel", "Sunroof", "Panoramic Moonroof", "Leather Seats", "Third Row Seating",
	"Remote Start", "Keyless Entry", "Push Button Start", "Wireless Charging", "Premium Audio",
	"Navigation System", "Head-Up Display", "Power Liftgate", "Tow Package", "Bluetooth",
	"LED Headlights", "Automatic Emergency Braking", "Dual-Zone Climate Control", "Rain-Sensing Wipers",
	"Memory Seats", "Parking Sensors",
}

var imageAngles = []string{
	"main", "front", "rear", "side", "interior", "dashboard", "seats", "cargo", "wheels", "engine",
	"trunk", "detail",
}

// Hostile text, placed into a deterministic subset of vehicles so that every consumer (XML,
// CSV, spreadsheets, templates) meets it: markup characters, quotes, commas, line breaks,
// non-ASCII, formula prefixes and one character XML 1.0 forbids.
var (
	hostileTrims = []string{
		"EX & Touring <Special>",
		`"Sport" Edition, 2.0T`,
		`=HYPERLINK("http://evil.example","Click")`,
		"+Premium Package",
		"-Base",
		"@Launch Edition",
		"Édition Spéciale — Ünïcode ✓",
		"Touring\nLine Two",
	}
	hostileColors = []string{
		"Black & Tan",
		`"Midnight" Blue, Metallic`,
		"<script>alert(1)</script> Red",
		"Crème Brûlée Pearl",
		"=1+1",
		"+Silver",
		"-Gray",
		"@White",
		"Rosso\r\nCorsa",
	}
	hostileDescriptions = []string{
		"=SUM(A1:A9) Clean title & one owner <no accidents>. \"Must see\", priced to sell!\nCall today.",
		"+1 (555) 0100 — ask about financing, trade-ins & warranties. Café-quality interior, naïve price.",
		"-20% off MSRP! <b>Bold</b> deals, 'quoted' terms, commas, everywhere, and a\r\nWindows line break.",
		"@dealer says: 日本語 テキスト, emoji 🚗, and a control\x0bcharacter that XML forbids.",
	}
)
