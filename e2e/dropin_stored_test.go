package e2e_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestStoredDropinAnswersAndMalformedQueries drives the real binaries through issue 14's
// promises for the drop-in API: a list page is the same stored answer for any spelling of its
// query, with a strong ETag that revalidates (304) and a gzip body that is the plain one
// compressed; and a query string the parser would read only in part is refused with 400
// validation_error, on the drop-in API and on feeds, rather than answered as page one.
func TestStoredDropinAnswersAndMalformedQueries(t *testing.T) {
	s := startSystem(t, 60)
	site := []string{"X-API-Key", s.keys["website"]}
	list := s.gw + "/v1/public/inventory?limit=25&make=Honda"

	plain := call(t, http.MethodGet, list, nil, append(site, "Accept-Encoding", "identity")...)
	if plain.status != 200 || plain.header.Get("ETag") == "" {
		t.Fatalf("list page: %d, ETag %q: %s", plain.status, plain.header.Get("ETag"), plain.body)
	}
	zipped := call(t, http.MethodGet, list, nil, append(site, "Accept-Encoding", "gzip")...)
	if zipped.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip asked, Content-Encoding %q", zipped.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, err := io.ReadAll(zr); err != nil || !bytes.Equal(unzipped, plain.body) {
		t.Errorf("the gzip body is not the plain body compressed (err %v)", err)
	}
	// Another spelling of the same query is the same stored answer.
	again := call(t, http.MethodGet, s.gw+"/v1/public/inventory?make=Honda&limit=25", nil, append(site, "Accept-Encoding", "identity")...)
	if again.header.Get("ETag") != plain.header.Get("ETag") || !bytes.Equal(again.body, plain.body) {
		t.Errorf("a reordered query is another answer: ETag %s, want %s", again.header.Get("ETag"), plain.header.Get("ETag"))
	}
	for _, tag := range []string{plain.header.Get("ETag"), zipped.header.Get("ETag")} {
		if r := call(t, http.MethodGet, list, nil, append(site, "If-None-Match", tag)...); r.status != 304 {
			t.Errorf("If-None-Match %s: %d, want 304", tag, r.status)
		}
	}

	for _, c := range []struct{ url, key string }{
		{s.gw + "/v1/public/inventory?limit=25&cursor=%%%garbage", s.keys["website"]},
		{s.gw + "/v1/public/inventory?make=Hon%zzda", s.keys["website"]},
		{s.gw + "/feeds/sunset/export?download=%zz", s.keys["export"]},
	} {
		r := call(t, http.MethodGet, c.url, nil, "X-API-Key", c.key)
		if r.status != 400 || !strings.Contains(string(r.body), `"validation_error"`) {
			t.Errorf("%s: %d %s, want 400 validation_error", c.url, r.status, r.body)
		}
	}
}
