package transform

import (
	"io"

	"github.com/feedgate/feedgate/inventory"
)

// UpstreamXML is the "xml" format: the upstream's own XML feed (<inventory count="N">), byte
// for byte, over the vehicles the feed's filter keeps.
type UpstreamXML struct{}

var _ Writer = (*UpstreamXML)(nil)

// upstreamXMLVersion is the UpstreamXML output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const upstreamXMLVersion = "2"

// NewUpstreamXML returns the "xml" format.
func NewUpstreamXML() *UpstreamXML { return &UpstreamXML{} }

// Name is "xml".
func (*UpstreamXML) Name() string { return "xml" }

// Version is upstreamXMLVersion.
func (*UpstreamXML) Version() string { return upstreamXMLVersion }

// ContentType is XML in UTF-8.
func (*UpstreamXML) ContentType() string { return "application/xml; charset=utf-8" }

// Extension is "xml".
func (*UpstreamXML) Extension() string { return "xml" }

// Description is one line for `feedgate formats`.
func (*UpstreamXML) Description() string {
	return "the upstream Hrizn XML feed shape, filtered; for clients of the upstream feed endpoint"
}

// Write renders the selected vehicles as the upstream XML feed.
func (*UpstreamXML) Write(w io.Writer, in Input) (Diagnostics, error) {
	return writeUpstreamFeed(w, in, "xml", inventory.WriteFeedXML)
}
