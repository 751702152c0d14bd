package transform_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// TestJSONFeedDocument checks the JSON Feed 1.1 top level and the required content of items:
// content_text is the description, or the summary when there is none.
func TestJSONFeedDocument(t *testing.T) {
	described := syndVehicle("1HGBH41JXMN109186", fixedTime)
	described.AIDescription = "A fine car & <more>."
	plain := syndVehicle("5YJSA1E22MF123456", fixedTime.Add(-1))
	in := transform.Input{
		Snapshot: inventory.NewSnapshot("t", []inventory.Vehicle{described, plain}, fixedTime, "test"),
		Dealer:   inventory.Dealer{Name: "Sunset Honda", Website: "https://d.example"},
		Options:  transform.Options{FeedURL: "https://f.example/feed.json"},
	}
	var buf bytes.Buffer
	if _, err := transform.NewJSONFeed(transform.SyndicationOptions{}).Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version     string `json:"version"`
		HomePageURL string `json:"home_page_url"`
		FeedURL     string `json:"feed_url"`
		Authors     []struct {
			Name string `json:"name"`
		} `json:"authors"`
		Items []struct {
			Summary     string `json:"summary"`
			ContentText string `json:"content_text"`
		} `json:"items"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"version", doc.Version, "https://jsonfeed.org/version/1.1"},
		{"home_page_url", doc.HomePageURL, "https://d.example"},
		{"feed_url", doc.FeedURL, "https://f.example/feed.json"},
		{"author", doc.Authors[0].Name, "Sunset Honda"},
		{"content_text of a described vehicle", doc.Items[0].ContentText, "A fine car & <more>."},
		{"content_text without a description", doc.Items[1].ContentText, doc.Items[1].Summary},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if bytes.Contains(buf.Bytes(), []byte(`\u003c`)) {
		t.Error("text is HTML-escaped; JSON Feed text should read as written")
	}
}
