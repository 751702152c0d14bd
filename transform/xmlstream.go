package transform

import (
	"encoding/xml"
	"io"
)

// This file is the one XML streaming writer of the package: the formats that carry a whole
// inventory (google-vehicle-ads, meta-automotive, template channels with output xml) write
// through it. The syndication formats (rss, atom) build a small etree document instead.

// xmlStream writes an XML document token by token through encoding/xml, so every value is
// escaped by the encoder; the first error sticks and is returned by close. Prefixed names
// ("g:id") are written as given: the prefix is declared once on the root element, which keeps
// the output in the form the channels' own examples use.
type xmlStream struct {
	enc *xml.Encoder
	err error
	// tags holds each attribute-less element's start and end tokens, boxed once per render:
	// boxing them anew for every element was a third of the writers' allocations.
	tags map[string]xmlTag
	// cdata is reused for every text: the encoder escapes it as it takes the token.
	cdata []byte
}

type xmlTag struct{ start, end xml.Token }

func newXMLStream(w io.Writer) *xmlStream {
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	return &xmlStream{enc: enc, tags: make(map[string]xmlTag)}
}

// tag is the tokens of the element name without attributes.
func (x *xmlStream) tag(name string) xmlTag {
	t, ok := x.tags[name]
	if !ok {
		n := xml.Name{Local: name}
		t = xmlTag{start: xml.StartElement{Name: n}, end: xml.EndElement{Name: n}}
		x.tags[name] = t
	}
	return t
}

func (x *xmlStream) token(t xml.Token) {
	if x.err == nil {
		x.err = x.enc.EncodeToken(t)
	}
}

func (x *xmlStream) prolog() {
	x.token(xml.ProcInst{Target: "xml", Inst: []byte(`version="1.0" encoding="UTF-8"`)})
	x.token(xml.CharData("\n"))
}

func (x *xmlStream) start(name string, attrs ...xml.Attr) {
	if len(attrs) == 0 {
		x.token(x.tag(name).start)
		return
	}
	x.token(xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs})
}

func (x *xmlStream) end(name string) { x.token(x.tag(name).end) }

// leaf writes <name>value</name>, or nothing when value is empty: an empty optional attribute
// is better absent than blank.
func (x *xmlStream) leaf(name, value string, attrs ...xml.Attr) {
	if value != "" {
		x.text(name, value, attrs...)
	}
}

// text writes <name>value</name>, as <name></name> when value is empty. The encoder escapes the
// text as it takes the token, so one byte buffer serves every value.
func (x *xmlStream) text(name, value string, attrs ...xml.Attr) {
	x.start(name, attrs...)
	if value != "" {
		x.cdata = append(x.cdata[:0], value...)
		x.token(xml.CharData(x.cdata))
	}
	x.end(name)
}

// close ends the document with a line break and flushes the encoder.
func (x *xmlStream) close() error {
	x.token(xml.CharData("\n"))
	if x.err != nil {
		return x.err
	}
	return x.enc.Close()
}
