package transform

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// Atom is the "atom" format: an Atom 1.0 feed (RFC 4287) of the newest vehicles for feed
// readers. The feed has an id (its URL), a title, updated (the snapshot's ModifiedAt), an author
// (the dealer) and a rel="self" link; each entry has a urn:vin: id, updated (the vehicle's
// UpdatedAt), the VDP as its alternate link, the main image as an enclosure link, the price in
// a plain-text summary and the AI description as plain-text content. See syndicate for
// selection, order and the entry limit.
type Atom struct {
	opts SyndicationOptions
}

var _ Writer = (*Atom)(nil)

// NewAtom returns the "atom" format.
func NewAtom(opts SyndicationOptions) *Atom { return &Atom{opts: opts} }

// Name is "atom".
func (*Atom) Name() string { return "atom" }

// ContentType is the Atom media type in UTF-8.
func (*Atom) ContentType() string { return "application/atom+xml; charset=utf-8" }

// Extension is "xml".
func (*Atom) Extension() string { return "xml" }

// Description is one line for `feedgate formats`.
func (a *Atom) Description() string {
	return syndDescription("Atom 1.0 feed", a.opts)
}

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     atomText    `xml:"title"`
	Subtitle  atomText    `xml:"subtitle"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     atomText   `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published,omitempty"`
	Links     []atomLink `xml:"link"`
	Summary   atomText   `xml:"summary"`
	Content   *atomText  `xml:"content"`
}

// Write renders the newest vehicles as Atom 1.0.
func (a *Atom) Write(w io.Writer, in Input) (Diagnostics, error) {
	f, d := syndicate(in, a.opts)
	doc := atomFeed{
		ID: f.ID, Title: atomText{Type: "text", Value: f.Title},
		Subtitle: atomText{Type: "text", Value: f.Description},
		Updated:  atomTime(f.Updated), Author: atomPerson{Name: f.Author, URI: f.Home},
		Generator: "feedgate", Entries: make([]atomEntry, len(f.Entries)),
	}
	if f.Self != "" {
		doc.Links = append(doc.Links, atomLink{Rel: "self", Type: "application/atom+xml", Href: f.Self})
	}
	if f.Home != "" {
		doc.Links = append(doc.Links, atomLink{Rel: "alternate", Type: "text/html", Href: f.Home})
	}
	for i, e := range f.Entries {
		ae := atomEntry{
			ID: e.ID, Title: atomText{Type: "text", Value: e.Title}, Updated: atomTime(e.Updated),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: e.Link}},
			Summary: atomText{Type: "text", Value: e.Summary},
		}
		if !e.Published.IsZero() {
			ae.Published = atomTime(e.Published)
		}
		if e.Image != "" {
			ae.Links = append(ae.Links, atomLink{Rel: "enclosure", Href: e.Image})
		}
		if e.Content != "" {
			ae.Content = &atomText{Type: "text", Value: e.Content}
		}
		doc.Entries[i] = ae
	}
	if err := writeXMLDoc(w, doc); err != nil {
		return d, fmt.Errorf("transform: atom: %w", err)
	}
	return d, nil
}

// atomTime is an RFC 3339 date-time in UTC, as RFC 4287 section 3.3 asks.
func atomTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
