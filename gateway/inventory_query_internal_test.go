package gateway

import (
	"net/url"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/inventory"
)

var listParams = []string{"limit", "make", "model", "year", "condition", "cursor"}

// checkReadQuery fails when readQuery reads raw otherwise than url.ParseQuery (what c.Query
// reads) does, or when checkQuery refuses a string with neither '%' nor ';' (the drop-in
// routes call it only for those).
func checkReadQuery(t *testing.T, raw string) {
	t.Helper()
	if err := checkQuery(raw); err != nil && !strings.ContainsAny(raw, "%;") {
		t.Errorf("%q: checkQuery refuses a string without %% or ;: %v", raw, err)
	}
	got := make([]string, len(listParams))
	readQuery(raw, listParams, got)
	m, _ := url.ParseQuery(raw)
	for i, n := range listParams {
		want := ""
		if v := m[n]; len(v) > 0 {
			want = v[0]
		}
		if got[i] != want {
			t.Errorf("%q: %s = %q, url.ParseQuery %q", raw, n, got[i], want)
		}
	}
}

var readQuerySeeds = []string{
	"", "limit=25", "make=Land+Rover&limit=25", "%6Dake=Land%20Rover&l%69mit=2%35", "&&limit=25&&make=x&",
	"limit", "limit=&limit=7", "limit=5&limit=7", "make=a%zzb&make=ok", "ma%zzke=a&make=b", "limit=5;make=x&make=y",
	"cursor=abc%3D%3D&cursor=x", "year=2024&condition=USED&model=civ", "=x&make", "make=%",
	"make=first" + strings.Repeat("&x=1", 70) + "&make=later&limit=9",
	strings.Repeat("&", 80) + "limit=3",
}

// TestReadQueryReadsLikeParseQuery wants readQuery's first values to be url.ParseQuery's, for
// well-formed strings and for the pairs the parser skips (bad escapes, semicolons).
func TestReadQueryReadsLikeParseQuery(t *testing.T) {
	for _, raw := range readQuerySeeds {
		checkReadQuery(t, raw)
	}
}

func FuzzReadQuery(f *testing.F) {
	for _, raw := range readQuerySeeds {
		f.Add(raw)
	}
	f.Fuzz(checkReadQuery)
}

// TestPlainListKeysPrebuilt wants the prebuilt names of the unfiltered pages to be the names
// listKey gives them, and a filtered or later page named by listKey.
func TestPlainListKeysPrebuilt(t *testing.T) {
	h := newDropinHeaders()
	for n := 1; n <= 100; n++ {
		if got, want := h.listKey(listQuery{limit: n}), listKey(inventory.Query{}, "", n); got != want {
			t.Fatalf("limit %d: %q, want %q", n, got, want)
		}
	}
	seen := map[string]bool{}
	for _, lq := range []listQuery{{limit: 25}, {limit: 25, cursor: "x"}, {limit: 25, q: inventory.Query{Make: "a"}},
		{limit: 25, q: inventory.Query{Model: "a"}}, {limit: 25, q: inventory.Query{Year: 2024}},
		{limit: 25, q: inventory.Query{Condition: inventory.New}}, {limit: 24}} {
		k := h.listKey(lq)
		if seen[k] {
			t.Errorf("%+v shares its stored name with another query", lq)
		}
		seen[k] = true
	}
}
