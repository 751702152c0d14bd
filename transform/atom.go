package transform

import (
	"fmt"
	"io"
	"time"

	"github.com/beevik/etree"
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

// atomVersion is the Atom output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const atomVersion = "2"

// NewAtom returns the "atom" format.
func NewAtom(opts SyndicationOptions) *Atom { return &Atom{opts: opts} }

// Name is "atom".
func (*Atom) Name() string { return "atom" }

// Version is atomVersion.
func (*Atom) Version() string { return atomVersion }

// ContentType is the Atom media type in UTF-8.
func (*Atom) ContentType() string { return "application/atom+xml; charset=utf-8" }

// Extension is "xml".
func (*Atom) Extension() string { return "xml" }

// Description is one line for `feedgate formats`.
func (a *Atom) Description() string {
	return syndDescription("Atom 1.0 feed", a.opts)
}

// Write renders the newest vehicles as Atom 1.0.
func (a *Atom) Write(w io.Writer, in Input) (Diagnostics, error) {
	f, d := syndicate(in, a.opts)
	doc := newXMLTree()
	root := doc.CreateElement("feed")
	root.CreateAttr("xmlns", atomNS)
	addText(root, "id", f.ID)
	addAtomText(root, "title", f.Title)
	addAtomText(root, "subtitle", f.Description)
	addText(root, "updated", atomTime(f.Updated))
	if f.Self != "" {
		addAtomLink(root, "self", "application/atom+xml", f.Self)
	}
	if f.Home != "" {
		addAtomLink(root, "alternate", "text/html", f.Home)
	}
	author := root.CreateElement("author")
	addText(author, "name", f.Author)
	if f.Home != "" {
		addText(author, "uri", f.Home)
	}
	addText(root, "generator", "feedgate")
	for _, e := range f.Entries {
		entry := root.CreateElement("entry")
		addText(entry, "id", e.ID)
		addAtomText(entry, "title", e.Title)
		addText(entry, "updated", atomTime(e.Updated))
		if !e.Published.IsZero() {
			addText(entry, "published", atomTime(e.Published))
		}
		addAtomLink(entry, "alternate", "text/html", e.Link)
		if e.Image != "" {
			addAtomLink(entry, "enclosure", "", e.Image)
		}
		addAtomText(entry, "summary", e.Summary)
		if e.Content != "" {
			addAtomText(entry, "content", e.Content)
		}
	}
	if err := writeXMLTree(w, doc); err != nil {
		return d, fmt.Errorf("transform: atom: %w", err)
	}
	return d, nil
}

// addAtomText appends an Atom text construct (RFC 4287 section 3.1) of type "text".
func addAtomText(parent *etree.Element, tag, text string) {
	addText(parent, tag, text).CreateAttr("type", "text")
}

// addAtomLink appends a link; typ is left out when "".
func addAtomLink(parent *etree.Element, rel, typ, href string) {
	l := parent.CreateElement("link")
	l.CreateAttr("rel", rel)
	if typ != "" {
		l.CreateAttr("type", typ)
	}
	l.CreateAttr("href", href)
}

// atomTime is an RFC 3339 date-time in UTC, as RFC 4287 section 3.3 asks.
func atomTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
