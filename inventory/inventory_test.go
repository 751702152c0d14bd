package inventory

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckVIN17(t *testing.T) {
	tests := []struct {
		vin  string
		want error
	}{
		{"1M8GDM9AXKP042788", nil}, // the textbook example
		{"11111111111111111", nil},
		{"1HGBH41JXMN109186", nil}, // the upstream docs' example
		{"1HGBH41J1MN109186", ErrVINCheckDigit},
		{"1M8GDM9AXKP04278", ErrVINLength},
		{"1M8GDM9AXKP042788X", ErrVINLength},
		{"1M8GDM9AXKP04278O", ErrVINCharacter},
		{"1m8gdm9axkp042788", ErrVINCharacter},
	}
	for _, tt := range tests {
		if got := CheckVIN17(tt.vin); !errors.Is(got, tt.want) {
			t.Errorf("CheckVIN17(%q) = %v, want %v", tt.vin, got, tt.want)
		}
	}
	if c := VINCheckDigit("1M8GDM9A_KP042788"); c != 'X' {
		t.Errorf("VINCheckDigit = %q, want X", c)
	}
}

func TestValidUpstreamVIN(t *testing.T) {
	for vin, want := range map[string]bool{
		"1234567890":         false,
		"12345678901":        true,
		"INVALIDVIN123":      true,
		"1HGBH41JXMN109186":  true,
		"1HGBH41JXMN1091861": false,
	} {
		if got := ValidUpstreamVIN(vin); got != want {
			t.Errorf("ValidUpstreamVIN(%q) = %v, want %v", vin, got, want)
		}
	}
}

func TestCursorMatchesUpstreamExample(t *testing.T) {
	if got := EncodeCursor("1HGBH41JXMN109187"); got != "eyJ2aW4iOiIxSEdCSDQxSlhNTjEwOTE4NyJ9" {
		t.Fatalf("EncodeCursor = %q", got)
	}
	vin, err := DecodeCursor("eyJ2aW4iOiIxSEdCSDQxSlhNTjEwOTE4NyJ9")
	if err != nil || vin != "1HGBH41JXMN109187" {
		t.Fatalf("DecodeCursor = %q, %v", vin, err)
	}
	for _, bad := range []string{"!!!", "bm90IGpzb24", "e30="} {
		if _, err := DecodeCursor(bad); !errors.Is(err, ErrBadCursor) {
			t.Errorf("DecodeCursor(%q) err = %v", bad, err)
		}
	}
}

func sample(n int) []Vehicle {
	makes := []string{"Honda", "Toyota", "Ford"}
	vs := make([]Vehicle, n)
	for i := range vs {
		c := Used
		if i%2 == 0 {
			c = New
		}
		vs[i] = Vehicle{VIN: fmt.Sprintf("VIN%014d", i), Year: 2020 + i%5, Make: makes[i%3],
			Model: fmt.Sprintf("Model%d", i%4), Condition: c, Price: Ptr(float64(10000 + i))}
		if i%3 == 0 {
			vs[i].AIDescription = "desc"
		}
	}
	SortByVIN(vs)
	return vs
}

func TestListWalkSeesEveryMatchOnce(t *testing.T) {
	vs := sample(157)
	for _, q := range []Query{{}, {Make: "hon"}, {Model: "MODEL1", Condition: Used}, {Year: 2022}, {Make: "nothing"}} {
		want := 0
		for i := range vs {
			if q.Match(&vs[i]) {
				want++
			}
		}
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := List(vs, q, cursor, 10)
			if err != nil {
				t.Fatal(err)
			}
			if p.TotalCount != want {
				t.Fatalf("%+v: total %d, want %d", q, p.TotalCount, want)
			}
			for _, it := range p.Items {
				if seen[it.VIN] || !q.Match(&it) {
					t.Fatalf("%+v: %s seen twice or does not match", q, it.VIN)
				}
				seen[it.VIN] = true
			}
			if !p.HasMore {
				if p.NextCursor != "" {
					t.Fatal("next cursor on the last page")
				}
				break
			}
			cursor = p.NextCursor
		}
		if len(seen) != want {
			t.Fatalf("%+v: walked %d, want %d", q, len(seen), want)
		}
	}
}

func TestStatsRounding(t *testing.T) {
	vs := make([]Vehicle, 156)
	for i := range vs {
		vs[i].Condition = New
		if i >= 89 {
			vs[i].Condition = Used
		}
		if i < 142 {
			vs[i].AIDescription = "x"
		}
	}
	got := ComputeStats(vs)
	want := Stats{156, 142, 14, 89, 67, 91}
	if got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
}

func TestFeedRoundTrip(t *testing.T) {
	hostile := "Tom & Jerry's <\"best\"> car,\nline two — ünïcödé =SUM(A1)\x00\x1f"
	vs := []Vehicle{
		{VIN: "1M8GDM9AXKP042788", Year: 2026, Make: "Honda", Model: "Civic", Trim: hostile, Condition: New,
			Price: Ptr(1500000.0), Mileage: Ptr(12), ExteriorColor: "Crystal Black Pearl", AIDescription: hostile,
			ImageURL: "https://cdn.example.com/a.jpg?x=1&y=2"},
		{VIN: "12345678901", Year: 1979, Make: "Ford", Model: "F-100", Condition: Used},
	}
	var js, xs bytes.Buffer
	if err := WriteFeedJSON(&js, vs); err != nil {
		t.Fatal(err)
	}
	if err := WriteFeedXML(&xs, vs); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(xs.String(), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<inventory count="2">`+"\n  <vehicle>\n    <vin>") {
		t.Fatalf("XML prefix:\n%s", xs.String())
	}
	if !strings.Contains(xs.String(), "<price>1500000</price>") || !strings.Contains(js.String(), `"price":1500000,`) {
		t.Fatalf("price written in exponent form:\n%s\n%s", xs.String(), js.String())
	}
	if err := xml.Unmarshal(xs.Bytes(), new(struct{})); err != nil {
		t.Fatalf("XML not well-formed: %v", err)
	}
	fromJSON, err := ParseFeed(js.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, vs) {
		t.Fatalf("JSON round trip:\n got %+v\nwant %+v", fromJSON, vs)
	}
	fromXML, err := ParseFeed(xs.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []Vehicle{vs[0].Clone(), vs[1].Clone()}
	want[0].Trim = CleanText(hostile)
	want[0].AIDescription = CleanText(hostile)
	if !reflect.DeepEqual(fromXML, want) {
		t.Fatalf("XML round trip:\n got %+v\nwant %+v", fromXML, want)
	}
}

func TestParseFeedRejectsDamage(t *testing.T) {
	var js bytes.Buffer
	_ = WriteFeedJSON(&js, sample(3))
	truncated := js.Bytes()[:js.Len()/2]
	miscount := bytes.Replace(js.Bytes(), []byte(`"count":3`), []byte(`"count":4`), 1)
	for name, in := range map[string][]byte{
		"empty": nil, "text": []byte("hello"), "truncated": truncated, "miscount": miscount,
		"no vehicles": []byte(`{"data":{}}`), "xml miscount": []byte(`<inventory count="2"><vehicle><vin>X</vin><year>1</year></vehicle></inventory>`),
		"xml bad year": []byte(`<inventory><vehicle><vin>X</vin><year>abc</year></vehicle></inventory>`),
	} {
		if _, err := ParseFeed(in); !errors.Is(err, ErrNotAFeed) {
			t.Errorf("%s: err = %v, want ErrNotAFeed", name, err)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"a\x00b\x1fc\td\n": "abc\td\n",
		"bad \xff byte":    "bad \uFFFD byte",
		"ünï \uFFFE end":   "ünï  end",
		"emoji 🚗 ok":       "emoji 🚗 ok",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSnapshotVersionAndFind(t *testing.T) {
	a := NewSnapshot("t", sample(20), time.Unix(100, 0), "full")
	b := NewSnapshot("t", sample(20), time.Unix(200, 0), "full")
	if a.Version != b.Version || len(a.Version) != 32 {
		t.Fatalf("same content, versions %q and %q", a.Version, b.Version)
	}
	c := sample(20)
	c[3].Price = Ptr(1.0)
	if NewSnapshot("t", c, time.Unix(100, 0), "full").Version == a.Version {
		t.Fatal("changed content kept its version")
	}
	if v, ok := a.Find(strings.ToLower(a.Vehicles[7].VIN)); !ok || v.VIN != a.Vehicles[7].VIN {
		t.Fatal("Find missed a present VIN")
	}
	if _, ok := a.Find("NOPE"); ok {
		t.Fatal("Find found an absent VIN")
	}
}

func TestFeedFilter(t *testing.T) {
	v := Vehicle{VIN: "X", Make: "Honda", Year: 2020, Condition: Used}
	tests := []struct {
		f      FeedFilter
		reason string
	}{
		{FeedFilter{}, ""},
		{FeedFilter{Condition: New}, ReasonFilteredCondition},
		{FeedFilter{Makes: []string{"toyota", "HONDA"}}, ""},
		{FeedFilter{Makes: []string{"toyota"}}, ReasonFilteredMake},
		{FeedFilter{YearMin: 2021}, ReasonFilteredYear},
		{FeedFilter{YearMax: 2019}, ReasonFilteredYear},
		{FeedFilter{RequirePrice: true}, ReasonMissingPrice},
		{FeedFilter{RequireImage: true}, ReasonMissingImage},
		{FeedFilter{RequireDescription: true}, ReasonMissingDescription},
	}
	for _, tt := range tests {
		ok, reason := tt.f.Match(&v)
		if ok != (tt.reason == "") || reason != tt.reason {
			t.Errorf("%+v: got %v %q, want %q", tt.f, ok, reason, tt.reason)
		}
	}
}

func TestWriteFeedJSONStreamsTheSameBytes(t *testing.T) {
	for _, n := range []int{0, 1, 7} {
		vs := sample(n)
		vs = append(vs, Vehicle{VIN: "HOSTILE0000000001", Make: "A & B <c>", AIDescription: "\"q\"\n\u2028"})
		items := make([]FeedItem, len(vs))
		for i := range vs {
			items[i] = vs[i].ToFeedItem()
		}
		var whole, streamed bytes.Buffer
		if err := WriteJSON(&whole, FeedResponse{Data: FeedData{Count: len(items), Vehicles: items}}); err != nil {
			t.Fatal(err)
		}
		if err := WriteFeedJSON(&streamed, vs); err != nil {
			t.Fatal(err)
		}
		if whole.String() != streamed.String() {
			t.Fatalf("n=%d:\nwhole    %s\nstreamed %s", n, whole.String(), streamed.String())
		}
	}
}

func TestVehicleURL(t *testing.T) {
	d := Dealer{VDPURL: "https://d.example/used/{stock}/{vin}"}
	if got := d.VehicleURL("1HGBH41JXMN109186"); got != "https://d.example/used/MN109186/1HGBH41JXMN109186" {
		t.Fatalf("VehicleURL = %q", got)
	}
	if got := (Dealer{}).VehicleURL("X"); got != "" {
		t.Fatalf("no template gave %q", got)
	}
}

// TestCodeStatusTable checks that the one table reads the same both ways and maps unlisted
// statuses to the documented codes.
func TestCodeStatusTable(t *testing.T) {
	for _, code := range []string{EValidation, EUnauthorized, EForbidden, ENotFound, EMethodNotAllowed,
		ENotAcceptable, ERateLimited, EInternal, EUnavailable} {
		if got := CodeOf(StatusOf(code)); got != code {
			t.Errorf("CodeOf(StatusOf(%q)) = %q", code, got)
		}
	}
	for status, want := range map[int]string{409: EValidation, 418: EValidation, 502: EUnavailable, 504: EUnavailable, 200: "", 304: ""} {
		if got := CodeOf(status); got != want {
			t.Errorf("CodeOf(%d) = %q, want %q", status, got, want)
		}
	}
	if got := StatusOf("no_such_code"); got != 500 {
		t.Errorf("StatusOf(unknown) = %d, want 500", got)
	}
}
