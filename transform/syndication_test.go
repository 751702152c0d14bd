package transform_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// basicFormatsInput builds a snapshot of n plausible vehicles for the benchmarks of the json,
// xml, csv and syndication formats: every field set, a few hundred characters of description,
// UpdatedAt spread over the last days so that newest-first sorting has work to do.
func basicFormatsInput(n int) transform.Input {
	makes := []string{"Honda", "Toyota", "Ford", "Tesla", "Subaru"}
	colors := []string{"Crystal Black Pearl", "Lunar Silver Metallic", "Red", "White"}
	desc := strings.Repeat("This well-kept vehicle offers comfort, economy and reliability. ", 6)
	vs := make([]inventory.Vehicle, n)
	for i := range vs {
		vin := fmt.Sprintf("1HGBH41J%09d", i)
		cond := inventory.Used
		if i%3 == 0 {
			cond = inventory.New
		}
		vs[i] = inventory.Vehicle{
			VIN: vin, Year: 2015 + i%11, Make: makes[i%len(makes)], Model: fmt.Sprintf("Model %d", i%50),
			Trim: "EX", Condition: cond, Price: inventory.Ptr(float64(15000 + i%40000)),
			MSRP: inventory.Ptr(float64(16000 + i%40000)), Mileage: inventory.Ptr(i * 7 % 150000),
			ExteriorColor: colors[i%len(colors)], InteriorColor: "Black", Engine: "2.0L 4-Cylinder",
			Transmission: "CVT", Drivetrain: "FWD", FuelType: "Gasoline", BodyStyle: "Sedan",
			Features: []string{"Apple CarPlay", "Android Auto", "Heated Seats"},
			ImageURL: "https://cdn.example.com/v/" + vin + "/0.jpg",
			Images: []string{"https://cdn.example.com/v/" + vin + "/0.jpg", "https://cdn.example.com/v/" + vin + "/1.jpg",
				"https://cdn.example.com/v/" + vin + "/2.jpg"},
			AIDescription: desc, DescriptionStatus: inventory.DescriptionCompleted,
			CreatedAt: fixedTime.Add(-time.Duration(i%5000) * time.Hour),
			UpdatedAt: fixedTime.Add(-time.Duration(i*7919%10000) * time.Minute),
		}
	}
	return transform.Input{
		Snapshot: inventory.NewSnapshot("bench", vs, fixedTime, "bench"),
		Dealer: inventory.Dealer{Name: "Sunset Honda", Website: "https://www.sunsethonda.example",
			VDPURL: "https://www.sunsethonda.example/inventory/{vin}"},
		Options: transform.Options{FeedURL: "https://feeds.example/feeds/sunset-honda/all"},
	}
}

// syndEntry is what the cross-format tests compare: the parts every syndication format carries.
type syndEntry struct {
	ID, Title, Link, Summary, Image, Updated string
}

// syndicationFormats are the three formats for people, each with a parser that reads its
// entries back in document order, with the feed title.
var syndicationFormats = []struct {
	name  string
	new   func(transform.SyndicationOptions) transform.Writer
	parse func(t testing.TB, out []byte) (title string, entries []syndEntry)
}{
	{"rss", func(o transform.SyndicationOptions) transform.Writer { return transform.NewRSS(o) }, parseRSSEntries},
	{"atom", func(o transform.SyndicationOptions) transform.Writer { return transform.NewAtom(o) }, parseAtomEntries},
	{"jsonfeed", func(o transform.SyndicationOptions) transform.Writer { return transform.NewJSONFeed(o) }, parseJSONFeedEntries},
}

func syndVehicle(vin string, updated time.Time) inventory.Vehicle {
	return inventory.Vehicle{VIN: vin, Year: 2020, Make: "Honda", Model: "Civic", Condition: inventory.Used,
		Price: inventory.Ptr(19999.0), Mileage: inventory.Ptr(31000), ExteriorColor: "Blue",
		ImageURL: "https://cdn.example/" + vin + ".jpg", UpdatedAt: updated}
}

func TestSyndicationSelection(t *testing.T) {
	t0 := fixedTime.Add(-48 * time.Hour)
	vehicles := func() []inventory.Vehicle {
		return []inventory.Vehicle{
			syndVehicle("1HGBH41JXMN109186", t0),
			syndVehicle("5YJSA1E22MF123456", t0.Add(2*time.Hour)),
			syndVehicle("2HGFC2F59JH000001", t0.Add(2*time.Hour)), // same time: VIN decides
			syndVehicle("3FA6P0H71HR000002", time.Time{}),         // no time: counts as ModifiedAt
			syndVehicle("JH4KA3143KC000003", t0.Add(time.Hour)),
		}
	}
	site := "https://dealer.example"
	tests := []struct {
		name       string
		dealer     inventory.Dealer
		opts       transform.SyndicationOptions
		options    transform.Options
		wantIDs    []string
		wantLink   string // of the first entry
		wantTitle  string
		wantFilter int
		wantExcl   int
		wantWarn   bool
	}{
		{
			name:   "newest first, VIN breaks ties, VDP links",
			dealer: inventory.Dealer{Name: "Sunset Honda", Website: site, VDPURL: site + "/cars/{vin}"},
			wantIDs: []string{"urn:vin:3FA6P0H71HR000002", "urn:vin:2HGFC2F59JH000001", "urn:vin:5YJSA1E22MF123456",
				"urn:vin:JH4KA3143KC000003", "urn:vin:1HGBH41JXMN109186"},
			wantLink: site + "/cars/3FA6P0H71HR000002", wantTitle: "Sunset Honda inventory",
		},
		{
			name:   "limit keeps the newest and warns",
			dealer: inventory.Dealer{Name: "Sunset Honda", Website: site, VDPURL: site + "/cars/{vin}"},
			opts:   transform.SyndicationOptions{Limit: 2}, options: transform.Options{Title: "New arrivals"},
			wantIDs:  []string{"urn:vin:3FA6P0H71HR000002", "urn:vin:2HGFC2F59JH000001"},
			wantLink: site + "/cars/3FA6P0H71HR000002", wantTitle: "New arrivals", wantFilter: 3, wantWarn: true,
		},
		{
			name:    "no VDP template: the website is the link",
			dealer:  inventory.Dealer{Name: "Sunset Honda", Website: site},
			opts:    transform.SyndicationOptions{Limit: 1},
			wantIDs: []string{"urn:vin:3FA6P0H71HR000002"}, wantLink: site, wantTitle: "Sunset Honda inventory",
			wantFilter: 4, wantWarn: true,
		},
		{
			name:      "no link at all: excluded",
			dealer:    inventory.Dealer{Name: "Sunset Honda"},
			wantTitle: "Sunset Honda inventory", wantExcl: 5,
		},
		{
			name:      "the feed filter applies first",
			dealer:    inventory.Dealer{Website: site},
			options:   transform.Options{Filter: inventory.FeedFilter{Makes: []string{"toyota"}}},
			wantTitle: "Inventory", wantFilter: 5,
		},
	}
	for _, f := range syndicationFormats {
		for _, tc := range tests {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				in := transform.Input{Snapshot: inventory.NewSnapshot("t", vehicles(), fixedTime, "test"),
					Dealer: tc.dealer, Options: tc.options}
				var buf bytes.Buffer
				d, err := f.new(tc.opts).Write(&buf, in)
				if err != nil {
					t.Fatal(err)
				}
				title, entries := f.parse(t, buf.Bytes())
				ids := make([]string, len(entries))
				for i, e := range entries {
					ids[i] = e.ID
				}
				if !slices.Equal(ids, tc.wantIDs) && len(ids)+len(tc.wantIDs) > 0 {
					t.Errorf("entry ids %v, want %v", ids, tc.wantIDs)
				}
				if len(entries) > 0 && entries[0].Link != tc.wantLink {
					t.Errorf("first link %q, want %q", entries[0].Link, tc.wantLink)
				}
				if title != tc.wantTitle {
					t.Errorf("title %q, want %q", title, tc.wantTitle)
				}
				if d.Included != len(tc.wantIDs) || d.Filtered != tc.wantFilter || len(d.Excluded) != tc.wantExcl {
					t.Errorf("diagnostics %+v, want included %d filtered %d excluded %d", d, len(tc.wantIDs), tc.wantFilter, tc.wantExcl)
				}
				if got := len(d.Warnings) > 0; got != tc.wantWarn {
					t.Errorf("warnings %v, want some: %v", d.Warnings, tc.wantWarn)
				}
				for _, e := range d.Excluded {
					if e.Reason != inventory.ReasonMissingField {
						t.Errorf("exclusion reason %q, want %q", e.Reason, inventory.ReasonMissingField)
					}
				}
			})
		}
	}
}

// TestSyndicationEntry checks one entry's content in every format: title, price in the
// summary, image, updated time from the vehicle, and the summary's wording when parts are
// missing or mileage is in kilometres.
func TestSyndicationEntry(t *testing.T) {
	updated := time.Date(2026, 1, 20, 9, 30, 0, 0, time.UTC)
	full := syndVehicle("1HGBH41JXMN109186", updated)
	full.Trim = "EX"
	bare := inventory.Vehicle{VIN: "jh4ka3143kc000003", Make: "Acura", Model: "Legend", UpdatedAt: updated}
	tests := []struct {
		name        string
		v           inventory.Vehicle
		options     transform.Options
		wantTitle   string
		wantSummary string
		wantImage   string
		wantID      string
	}{
		{"full", full, transform.Options{}, "2020 Honda Civic EX", "Used · 19999.00 USD · 31000 miles · Blue",
			"https://cdn.example/1HGBH41JXMN109186.jpg", "urn:vin:1HGBH41JXMN109186"},
		{"euro", full, transform.Options{Currency: "EUR", MileageUnit: "km"}, "2020 Honda Civic EX",
			"Used · 19999.00 EUR · 31000 km · Blue", "https://cdn.example/1HGBH41JXMN109186.jpg", "urn:vin:1HGBH41JXMN109186"},
		{"bare, lower-case VIN", bare, transform.Options{}, "Acura Legend", "price on request", "", "urn:vin:JH4KA3143KC000003"},
	}
	for _, f := range syndicationFormats {
		for _, tc := range tests {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				in := transform.Input{Snapshot: inventory.NewSnapshot("t", []inventory.Vehicle{tc.v}, fixedTime, "test"),
					Dealer: inventory.Dealer{Website: "https://dealer.example"}, Options: tc.options}
				var buf bytes.Buffer
				if _, err := f.new(transform.SyndicationOptions{}).Write(&buf, in); err != nil {
					t.Fatal(err)
				}
				_, entries := f.parse(t, buf.Bytes())
				if len(entries) != 1 {
					t.Fatalf("%d entries, want 1", len(entries))
				}
				e := entries[0]
				if e.Title != tc.wantTitle || !strings.Contains(e.Summary, tc.wantSummary) || e.Image != tc.wantImage || e.ID != tc.wantID {
					t.Errorf("entry %+v\nwant title %q, summary containing %q, image %q, id %q", e, tc.wantTitle, tc.wantSummary, tc.wantImage, tc.wantID)
				}
				if got, err := parseFeedTime(e.Updated); err != nil || !got.Equal(updated) {
					t.Errorf("updated %q (%v), want %v", e.Updated, err, updated)
				}
			})
		}
	}
}

// TestSyndicationDefaultLimit renders more vehicles than the default limit.
func TestSyndicationDefaultLimit(t *testing.T) {
	in := basicFormatsInput(transform.DefaultSyndicationLimit + 20)
	for _, f := range syndicationFormats {
		t.Run(f.name, func(t *testing.T) {
			var buf bytes.Buffer
			d, err := f.new(transform.SyndicationOptions{}).Write(&buf, in)
			if err != nil {
				t.Fatal(err)
			}
			_, entries := f.parse(t, buf.Bytes())
			if len(entries) != transform.DefaultSyndicationLimit || d.Included != len(entries) || d.Filtered != 20 || len(d.Warnings) != 1 {
				t.Errorf("%d entries, diagnostics included %d filtered %d warnings %v", len(entries), d.Included, d.Filtered, d.Warnings)
			}
		})
	}
}

func parseFeedTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC1123Z, s)
}

func parseRSSEntries(t testing.TB, out []byte) (string, []syndEntry) {
	t.Helper()
	var doc struct {
		Channel struct {
			Title string `xml:"title"`
			Items []struct {
				Title       string `xml:"title"`
				Link        string `xml:"link"`
				Description string `xml:"description"`
				GUID        string `xml:"guid"`
				PubDate     string `xml:"pubDate"`
				Media       struct {
					URL string `xml:"url,attr"`
				} `xml:"http://search.yahoo.com/mrss/ content"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("rss: %v", err)
	}
	var es []syndEntry
	for _, it := range doc.Channel.Items {
		es = append(es, syndEntry{ID: it.GUID, Title: it.Title, Link: it.Link, Summary: it.Description,
			Image: it.Media.URL, Updated: it.PubDate})
	}
	return doc.Channel.Title, es
}

func parseAtomEntries(t testing.TB, out []byte) (string, []syndEntry) {
	t.Helper()
	var doc struct {
		Title   string `xml:"http://www.w3.org/2005/Atom title"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Summary string `xml:"summary"`
			Links   []struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"http://www.w3.org/2005/Atom entry"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("atom: %v", err)
	}
	var es []syndEntry
	for _, en := range doc.Entries {
		e := syndEntry{ID: en.ID, Title: en.Title, Summary: en.Summary, Updated: en.Updated}
		for _, l := range en.Links {
			switch l.Rel {
			case "alternate":
				e.Link = l.Href
			case "enclosure":
				e.Image = l.Href
			}
		}
		es = append(es, e)
	}
	return doc.Title, es
}

func parseJSONFeedEntries(t testing.TB, out []byte) (string, []syndEntry) {
	t.Helper()
	var doc struct {
		Title string `json:"title"`
		Items []struct {
			ID           string `json:"id"`
			URL          string `json:"url"`
			Title        string `json:"title"`
			Summary      string `json:"summary"`
			Image        string `json:"image"`
			DateModified string `json:"date_modified"`
		} `json:"items"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("jsonfeed: %v", err)
	}
	var es []syndEntry
	for _, it := range doc.Items {
		es = append(es, syndEntry{ID: it.ID, Title: it.Title, Link: it.URL, Summary: it.Summary,
			Image: it.Image, Updated: it.DateModified})
	}
	return doc.Title, es
}
