package transform_test

import (
	"bytes"
	"encoding/xml"
	"path/filepath"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// TestAtomFeed checks the RFC 4287 feed elements: id (feed URL, else website, else a
// urn:feedgate: URI), updated from the snapshot, the self link, the author, and per entry the
// published date from CreatedAt and plain-text content only where there is a description.
func TestAtomFeed(t *testing.T) {
	described := syndVehicle("1HGBH41JXMN109186", fixedTime)
	described.AIDescription = "A fine car."
	described.CreatedAt = fixedTime.AddDate(0, -1, 0)
	plain := syndVehicle("5YJSA1E22MF123456", fixedTime.Add(-1))
	tests := []struct {
		name     string
		dealer   inventory.Dealer
		feedURL  string
		wantID   string
		wantSelf string
	}{
		{"feed URL is the id", inventory.Dealer{Name: "D", Website: "https://d.example"}, "https://f.example/atom", "https://f.example/atom", "https://f.example/atom"},
		{"website is the id", inventory.Dealer{Name: "D", Website: "https://d.example"}, "", "https://d.example", ""},
		{"tenant URN is the id", inventory.Dealer{Name: "D", VDPURL: "https://d.example/{vin}"}, "", "urn:feedgate:sunset%20honda", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := transform.Input{
				Snapshot: inventory.NewSnapshot("sunset honda", []inventory.Vehicle{described, plain}, fixedTime, "test"),
				Dealer:   tc.dealer, Options: transform.Options{FeedURL: tc.feedURL},
			}
			var buf bytes.Buffer
			if _, err := transform.NewAtom(transform.SyndicationOptions{}).Write(&buf, in); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				XMLName xml.Name
				ID      string `xml:"id"`
				Updated string `xml:"updated"`
				Author  string `xml:"author>name"`
				Links   []struct {
					Rel  string `xml:"rel,attr"`
					Href string `xml:"href,attr"`
				} `xml:"link"`
				Entries []struct {
					Published string  `xml:"published"`
					Content   *string `xml:"content"`
				} `xml:"entry"`
			}
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.XMLName.Space != "http://www.w3.org/2005/Atom" || doc.XMLName.Local != "feed" {
				t.Errorf("root %v, want the Atom feed element", doc.XMLName)
			}
			var self string
			for _, l := range doc.Links {
				if l.Rel == "self" {
					self = l.Href
				}
			}
			if doc.ID != tc.wantID || self != tc.wantSelf || doc.Updated != "2026-02-01T12:00:00Z" || doc.Author != "D" {
				t.Errorf("id %q self %q updated %q author %q; want %q %q 2026-02-01T12:00:00Z D",
					doc.ID, self, doc.Updated, doc.Author, tc.wantID, tc.wantSelf)
			}
			if len(doc.Entries) != 2 {
				t.Fatalf("%d entries, want 2", len(doc.Entries))
			}
			first, second := doc.Entries[0], doc.Entries[1]
			if first.Published != "2026-01-01T12:00:00Z" || first.Content == nil || *first.Content != "A fine car." {
				t.Errorf("first entry published %q content %v", first.Published, first.Content)
			}
			if second.Published != "" || second.Content != nil {
				t.Errorf("second entry has published %q content %v, want neither", second.Published, second.Content)
			}
		})
	}
}

// TestAtomSameTokensAsEncodingXML is TestRSSSameTokensAsEncodingXML for atom.
func TestAtomSameTokensAsEncodingXML(t *testing.T) {
	out, _ := render(t, transform.NewAtom(transform.SyndicationOptions{}), fixture(t))
	compareTokens(t, filepath.Join("testdata", "atom.encodingxml.xml"), out)
}
