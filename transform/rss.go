package transform

import (
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// RSS is the "rss" format: an RSS 2.0 feed of the newest vehicles for people following new
// arrivals in a feed reader. Each item has the vehicle's title, its VDP link, a description
// with the price and the AI description, a urn:vin: guid and its main image as Media RSS
// media:content. See syndicate for selection, order and the entry limit.
type RSS struct {
	opts SyndicationOptions
}

var _ Writer = (*RSS)(nil)

// rssVersion is the RSS output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const rssVersion = "2"

// NewRSS returns the "rss" format.
func NewRSS(opts SyndicationOptions) *RSS { return &RSS{opts: opts} }

// Name is "rss".
func (*RSS) Name() string { return "rss" }

// Version is rssVersion.
func (*RSS) Version() string { return rssVersion }

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

// Write renders the newest vehicles as RSS 2.0. The root declares the atom and media prefixes
// its extension elements use, so the document is namespace-well-formed.
func (r *RSS) Write(w io.Writer, in Input) (Diagnostics, error) {
	f, d := syndicate(in, r.opts)
	return d, writeRSS(w, f)
}

// writeRSS writes f as an RSS 2.0 document.
func writeRSS(w io.Writer, f syndFeed) error {
	doc := newXMLTree()
	root := doc.CreateElement("rss")
	root.CreateAttr("version", "2.0")
	root.CreateAttr("xmlns:atom", atomNS)
	root.CreateAttr("xmlns:media", mediaNS)
	ch := root.CreateElement("channel")
	addText(ch, "title", f.Title)
	link := f.Home
	if link == "" {
		link = f.Self
	}
	addText(ch, "link", link)
	addText(ch, "description", f.Description)
	if f.Self != "" {
		self := ch.CreateElement("atom:link")
		self.CreateAttr("href", f.Self)
		self.CreateAttr("rel", "self")
		self.CreateAttr("type", "application/rss+xml")
	}
	if t := rssTime(f.Updated); t != "" {
		addText(ch, "lastBuildDate", t)
	}
	addText(ch, "generator", "feedgate")
	for _, e := range f.Entries {
		it := ch.CreateElement("item")
		addText(it, "title", e.Title)
		addText(it, "link", e.Link)
		addText(it, "description", rssDescription(e))
		addText(it, "guid", e.ID).CreateAttr("isPermaLink", "false")
		if t := rssTime(e.Updated); t != "" {
			addText(it, "pubDate", t)
		}
		if e.Image != "" {
			m := it.CreateElement("media:content")
			m.CreateAttr("url", e.Image)
			m.CreateAttr("medium", "image")
		}
	}
	if err := writeXMLTree(w, doc); err != nil {
		return fmt.Errorf("transform: rss: %w", err)
	}
	return nil
}

// rssDescription is the item's description, which readers render as HTML: the summary and the
// AI description, each HTML-escaped (the XML writer then escapes the markup once more), so
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

// newXMLTree starts a document with the XML declaration. A document tree suits the
// syndication formats because they carry a few hundred entries (see syndicate); the formats
// that carry the whole inventory stream through encoding/xml instead.
//
// Canonical escaping keeps every value exact when it is read back: besides &, < and > in text
// and &, < and " in attributes, it writes a carriage return in text, and a tab or line break in
// an attribute, as a character reference, which a parser would otherwise normalise away.
func newXMLTree() *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true}
	return doc
}

// addText appends a child element holding text and returns it.
func addText(parent *etree.Element, tag, text string) *etree.Element {
	el := parent.CreateElement(tag)
	el.SetText(text)
	return el
}

// writeXMLTree indents doc by two spaces and writes it; etree's WriteTo buffers its output.
func writeXMLTree(w io.Writer, doc *etree.Document) error {
	doc.Indent(2)
	_, err := doc.WriteTo(w)
	return err
}
