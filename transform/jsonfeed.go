package transform

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// JSONFeed is the "jsonfeed" format: a JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of the
// newest vehicles for feed readers. Each item has a urn:vin: id, the VDP url, the title, the
// price in its summary, the AI description (or the summary) as content_text, the main image and
// its dates. See syndicate for selection, order and the entry limit.
type JSONFeed struct {
	opts SyndicationOptions
}

var _ Writer = (*JSONFeed)(nil)

// jsonFeedVersion is the JSONFeed output's version. Bump it whenever its bytes change (TestGolden
// checks): stored outputs are keyed by name and version, so the new bytes reach every replica.
const jsonFeedVersion = "2"

// NewJSONFeed returns the "jsonfeed" format.
func NewJSONFeed(opts SyndicationOptions) *JSONFeed { return &JSONFeed{opts: opts} }

// Name is "jsonfeed".
func (*JSONFeed) Name() string { return "jsonfeed" }

// Version is jsonFeedVersion.
func (*JSONFeed) Version() string { return jsonFeedVersion }

// ContentType is the JSON Feed media type in UTF-8.
func (*JSONFeed) ContentType() string { return "application/feed+json; charset=utf-8" }

// Extension is "json".
func (*JSONFeed) Extension() string { return "json" }

// Description is one line for `feedgate formats`.
func (j *JSONFeed) Description() string {
	return syndDescription("JSON Feed 1.1", j.opts)
}

type jsonFeedDoc struct {
	Version     string           `json:"version"`
	Title       string           `json:"title"`
	HomePageURL string           `json:"home_page_url,omitempty"`
	FeedURL     string           `json:"feed_url,omitempty"`
	Description string           `json:"description"`
	Authors     []jsonFeedAuthor `json:"authors"`
	Items       []jsonFeedItem   `json:"items"`
}

type jsonFeedAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type jsonFeedItem struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	Title         string `json:"title"`
	Summary       string `json:"summary"`
	ContentText   string `json:"content_text"`
	Image         string `json:"image,omitempty"`
	DatePublished string `json:"date_published,omitempty"`
	DateModified  string `json:"date_modified"`
}

// Write renders the newest vehicles as JSON Feed 1.1.
func (j *JSONFeed) Write(w io.Writer, in Input) (Diagnostics, error) {
	f, d := syndicate(in, j.opts)
	doc := jsonFeedDoc{
		Version: "https://jsonfeed.org/version/1.1", Title: f.Title, HomePageURL: f.Home,
		FeedURL: f.Self, Description: f.Description,
		Authors: []jsonFeedAuthor{{Name: f.Author, URL: f.Home}},
		Items:   make([]jsonFeedItem, len(f.Entries)),
	}
	for i, e := range f.Entries {
		it := jsonFeedItem{
			ID: e.ID, URL: e.Link, Title: e.Title, Summary: e.Summary, ContentText: e.Content,
			Image: e.Image, DateModified: e.Updated.Format(time.RFC3339),
		}
		if it.ContentText == "" {
			// content_text or content_html is required; the summary stands in.
			it.ContentText = e.Summary
		}
		if !e.Published.IsZero() {
			it.DatePublished = e.Published.Format(time.RFC3339)
		}
		doc.Items[i] = it
	}
	bw := bufio.NewWriter(w)
	if err := inventory.WriteJSON(bw, doc); err != nil {
		return d, fmt.Errorf("transform: jsonfeed: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return d, fmt.Errorf("transform: jsonfeed: %w", err)
	}
	return d, nil
}
