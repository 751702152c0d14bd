package transform_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"os"
	"path/filepath"
	"reflect"
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

// TestRSSSameTokensAsEncodingXML proves that building the document with etree changed only
// its byte-level spelling: the fixture's output reads back to the same tokens (names,
// namespaces, attributes, character data, indentation) as the encoding/xml output it replaced.
func TestRSSSameTokensAsEncodingXML(t *testing.T) {
	out, _ := render(t, transform.NewRSS(transform.SyndicationOptions{}), fixture(t))
	compareTokens(t, filepath.Join("testdata", "rss.encodingxml.xml"), out)
}

// compareTokens decodes the reference file at path and got into token streams and reports the
// first difference.
func compareTokens(t *testing.T, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wantToks, gotToks := xmlTokens(t, want), xmlTokens(t, got)
	for i := range min(len(wantToks), len(gotToks)) {
		if !reflect.DeepEqual(wantToks[i], gotToks[i]) {
			t.Fatalf("token %d: got %#v, want %#v", i, gotToks[i], wantToks[i])
		}
	}
	if len(gotToks) != len(wantToks) {
		t.Fatalf("%d tokens, want %d", len(gotToks), len(wantToks))
	}
}

// xmlTokens is the document as a strict decoder reads it, namespaces resolved.
func xmlTokens(t *testing.T, doc []byte) []xml.Token {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var toks []xml.Token
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return toks
		}
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, xml.CopyToken(tok))
	}
}

// hostileValues are texts that an XML writer must keep as text and read back unchanged:
// markup, a CDATA end, quotes, and the white space a parser normalises unless it is escaped
// (a carriage return in text; a tab or line break in an attribute).
var hostileValues = []struct {
	name, title, feedURL, description string
}{
	{"markup", "</title><x>&amp;", "https://f.example/?a=1&b=<2>", "<b>bold</b> </content>"},
	{"cdata end", "a]]>b", "https://f.example/]]>", "x ]]> y"},
	{"quotes", `"double" 'single'`, `https://f.example/"q"'s'`, `say "hi" & 'bye'`},
	{"white space", "tab\there", "https://f.example/a\tb\nc\rd e", "line one\r\nline two\rthree\n\tfour"},
	{"only white space", " \r\n\t", " ", " \r\n "},
	{"invalid characters", "nul\x00 \uFFFE bad\xff", "https://f.example/\x01x", "\x00only\x0b"},
}

// TestSyndicationValuesReadBack renders hostile text in both syndication formats and checks
// that a parser reads back exactly the cleaned values: nothing became markup, nothing was
// normalised.
func TestSyndicationValuesReadBack(t *testing.T) {
	for _, tc := range hostileValues {
		t.Run(tc.name, func(t *testing.T) {
			checkValuesReadBack(t, tc.title, tc.feedURL, tc.description)
		})
	}
}

// FuzzSyndicationValues is TestSyndicationValuesReadBack on arbitrary text.
func FuzzSyndicationValues(f *testing.F) {
	for _, tc := range hostileValues {
		f.Add(tc.title, tc.feedURL, tc.description)
	}
	f.Fuzz(checkValuesReadBack)
}

func checkValuesReadBack(t *testing.T, title, feedURL, description string) {
	v := syndVehicle("1HGBH41JXMN109186", fixedTime)
	v.AIDescription = description
	in := transform.Input{Snapshot: inventory.NewSnapshot("t", []inventory.Vehicle{v}, fixedTime, "test"),
		Dealer:  inventory.Dealer{Name: "D", Website: "https://d.example"},
		Options: transform.Options{Title: title, FeedURL: feedURL}}
	wantTitle := transform.OneLine(transform.Clean(title))
	if wantTitle == "" {
		wantTitle = "D inventory"
	}
	wantSelf := transform.Clean(strings.TrimSpace(feedURL))
	wantContent := strings.TrimSpace(transform.Clean(description))
	selfOf := func(links []xmlLink) string {
		for _, l := range links {
			if l.Rel == "self" {
				return l.Href
			}
		}
		return ""
	}

	var rss struct {
		Channel struct {
			Self  []xmlLink `xml:"http://www.w3.org/2005/Atom link"`
			Title string    `xml:"title"`
			Item  struct {
				Description string `xml:"description"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	out, _ := render(t, transform.NewRSS(transform.SyndicationOptions{}), in)
	if err := xml.Unmarshal(out, &rss); err != nil {
		t.Fatalf("rss: %v\n%s", err, out)
	}
	wantDesc := "<p>Used · 19999.00 USD · 31000 miles · Blue</p>"
	if wantContent != "" {
		wantDesc += "<p>" + strings.ReplaceAll(html.EscapeString(wantContent), "\n", "<br>") + "</p>"
	}
	if c := rss.Channel; c.Title != wantTitle || selfOf(c.Self) != wantSelf || c.Item.Description != wantDesc {
		t.Errorf("rss read back title %q self %q description %q;\nwant %q %q %q",
			c.Title, selfOf(c.Self), c.Item.Description, wantTitle, wantSelf, wantDesc)
	}

	var atom struct {
		Title string    `xml:"title"`
		Links []xmlLink `xml:"link"`
		Entry struct {
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	out, _ = render(t, transform.NewAtom(transform.SyndicationOptions{}), in)
	if err := xml.Unmarshal(out, &atom); err != nil {
		t.Fatalf("atom: %v\n%s", err, out)
	}
	if atom.Title != wantTitle || selfOf(atom.Links) != wantSelf || atom.Entry.Content != wantContent {
		t.Errorf("atom read back title %q self %q content %q;\nwant %q %q %q",
			atom.Title, selfOf(atom.Links), atom.Entry.Content, wantTitle, wantSelf, wantContent)
	}
}

// xmlLink is a link element's rel and href, in RSS's atom:link and in Atom.
type xmlLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}
