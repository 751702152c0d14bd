package transform_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// TestRSSChannel checks what is RSS's own: the channel's links, the self link, the build date,
// the non-permalink guid and the double escaping of the HTML description.
func TestRSSChannel(t *testing.T) {
	v := syndVehicle("1HGBH41JXMN109186", fixedTime)
	v.Model = "Civic <b>Sport</b> & more"
	v.AIDescription = "Line one\nline <two>"
	tests := []struct {
		name     string
		dealer   inventory.Dealer
		feedURL  string
		wantLink string
		wantSelf string
	}{
		{"website and feed URL", inventory.Dealer{Website: "https://d.example"}, "https://f.example/rss", "https://d.example", "https://f.example/rss"},
		{"no website: the feed URL is the channel link", inventory.Dealer{VDPURL: "https://d.example/{vin}"}, "https://f.example/rss", "https://f.example/rss", "https://f.example/rss"},
		{"no feed URL: no self link", inventory.Dealer{Website: "https://d.example"}, "", "https://d.example", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := transform.Input{Snapshot: inventory.NewSnapshot("t", []inventory.Vehicle{v}, fixedTime, "test"),
				Dealer: tc.dealer, Options: transform.Options{FeedURL: tc.feedURL}}
			var buf bytes.Buffer
			if _, err := transform.NewRSS(transform.SyndicationOptions{}).Write(&buf, in); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Version string `xml:"version,attr"`
				Channel struct {
					// Self comes first: a field without a namespace would also take <atom:link>.
					Self []struct {
						Href string `xml:"href,attr"`
						Rel  string `xml:"rel,attr"`
					} `xml:"http://www.w3.org/2005/Atom link"`
					Link          string `xml:"link"`
					LastBuildDate string `xml:"lastBuildDate"`
					Item          struct {
						Description string `xml:"description"`
						GUID        struct {
							IsPermaLink string `xml:"isPermaLink,attr"`
						} `xml:"guid"`
					} `xml:"item"`
				} `xml:"channel"`
			}
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			c := doc.Channel
			var self string
			if len(c.Self) == 1 && c.Self[0].Rel == "self" {
				self = c.Self[0].Href
			}
			if doc.Version != "2.0" || c.Link != tc.wantLink || self != tc.wantSelf {
				t.Errorf("version %q, link %q, self %q; want 2.0, %q, %q", doc.Version, c.Link, self, tc.wantLink, tc.wantSelf)
			}
			if c.LastBuildDate != "Sun, 01 Feb 2026 12:00:00 +0000" {
				t.Errorf("lastBuildDate %q, want the snapshot's ModifiedAt", c.LastBuildDate)
			}
			if c.Item.GUID.IsPermaLink != "false" {
				t.Errorf("guid isPermaLink %q, want false (a urn:vin: id is no URL)", c.Item.GUID.IsPermaLink)
			}
			// After one XML decode the description is HTML in which the vehicle's text is escaped.
			want := "<p>Used · 19999.00 USD · 31000 miles · Blue</p><p>Line one<br>line &lt;two&gt;</p>"
			if c.Item.Description != want {
				t.Errorf("description %q, want %q", c.Item.Description, want)
			}
			if strings.Contains(buf.String(), "<b>") {
				t.Error("markup from vehicle text reached the document unescaped")
			}
		})
	}
}

func BenchmarkWriteRSS(b *testing.B) {
	b.Run("limit=default", func(b *testing.B) { benchmarkWriter(b, transform.NewRSS(transform.SyndicationOptions{})) })
	b.Run("limit=all", func(b *testing.B) {
		benchmarkWriter(b, transform.NewRSS(transform.SyndicationOptions{Limit: 1 << 30}))
	})
}
