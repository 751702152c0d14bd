package transform

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"strings"
	"time"
)

// RSS is the "rss" format: an RSS 2.0 feed of the newest vehicles for people following new
// arrivals in a feed reader. Each item has the vehicle's title, its VDP link, a description
// with the price and the AI description, a urn:vin: guid and its main image as Media RSS
// media:content. See syndicate for selection, order and the entry limit.
type RSS struct {
	opts SyndicationOptions
}

var _ Writer = (*RSS)(nil)

// NewRSS returns the "rss" format.
func NewRSS(opts SyndicationOptions) *RSS { return &RSS{opts: opts} }

// Name is "rss".
func (*RSS) Name() string { return "rss" }

// ContentType is the RSS media type in UTF-8.
func (*RSS) ContentType() string { return "application/rss+xml; charset=utf-8" }

// Extension is "xml".
func (*RSS) Extension() string { return "xml" }

// Description is one line for `feedgate formats`.
func (r *RSS) Description() string {
	return syndDescription("RSS 2.0 feed", r.opts)
}

// The namespaces of the RSS extensions used: the Atom self link and Media RSS images.
const (
	atomNS  = "http://www.w3.org/2005/Atom"
	mediaNS = "http://search.yahoo.com/mrss/"
)

// encoding/xml writes a prefixed name such as "atom:link" as it is given; the root element
// declares both prefixes, so the document is namespace-well-formed.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	MediaNS string     `xml:"xmlns:media,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Self          *rssSelf  `xml:"atom:link"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Generator     string    `xml:"generator"`
	Items         []rssItem `xml:"item"`
}

type rssSelf struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	GUID        rssGUID   `xml:"guid"`
	PubDate     string    `xml:"pubDate,omitempty"`
	Media       *rssMedia `xml:"media:content"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssMedia struct {
	URL    string `xml:"url,attr"`
	Medium string `xml:"medium,attr"`
}

// Write renders the newest vehicles as RSS 2.0.
func (r *RSS) Write(w io.Writer, in Input) (Diagnostics, error) {
	f, d := syndicate(in, r.opts)
	doc := rssDoc{Version: "2.0", AtomNS: atomNS, MediaNS: mediaNS, Channel: rssChannel{
		Title: f.Title, Link: f.Home, Description: f.Description,
		LastBuildDate: rssTime(f.Updated), Generator: "feedgate",
		Items: make([]rssItem, len(f.Entries)),
	}}
	if doc.Channel.Link == "" {
		doc.Channel.Link = f.Self
	}
	if f.Self != "" {
		doc.Channel.Self = &rssSelf{Href: f.Self, Rel: "self", Type: "application/rss+xml"}
	}
	for i, e := range f.Entries {
		it := rssItem{
			Title: e.Title, Link: e.Link, Description: rssDescription(e),
			GUID: rssGUID{IsPermaLink: "false", Value: e.ID}, PubDate: rssTime(e.Updated),
		}
		if e.Image != "" {
			it.Media = &rssMedia{URL: e.Image, Medium: "image"}
		}
		doc.Channel.Items[i] = it
	}
	if err := writeXMLDoc(w, doc); err != nil {
		return d, fmt.Errorf("transform: rss: %w", err)
	}
	return d, nil
}

// rssDescription is the item's description, which readers render as HTML: the summary and the
// AI description, each HTML-escaped (the XML encoder then escapes the markup once more), so
// that text such as "<Special>" shows as text and never as markup.
func rssDescription(e syndEntry) string {
	var b strings.Builder
	b.WriteString("<p>")
	b.WriteString(html.EscapeString(e.Summary))
	b.WriteString("</p>")
	if e.Content != "" {
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(e.Content), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// rssTime is RFC 822 as RSS 2.0 asks, with a four-digit year and a numeric zone.
func rssTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC1123Z)
}

// writeXMLDoc encodes doc, indented, under an XML declaration, through a buffer.
func writeXMLDoc(w io.Writer, doc any) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if err := bw.WriteByte('\n'); err != nil {
		return err
	}
	return bw.Flush()
}
