package transform_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

// upstreamShapeCases are the inputs the json and xml formats are compared on: the output must be
// exactly what inventory's feed writer makes of the vehicles the filter keeps.
var upstreamShapeCases = []struct {
	name   string
	filter inventory.FeedFilter
	want   []string // VINs in the output, in snapshot order
}{
	{"no filter", inventory.FeedFilter{}, []string{"1HGBH41JXMN109186", "3FA6P0H71HR000002", "5YJSA1E22MF123456"}},
	{"used only", inventory.FeedFilter{Condition: inventory.Used}, []string{"3FA6P0H71HR000002", "5YJSA1E22MF123456"}},
	{"priced only", inventory.FeedFilter{RequirePrice: true}, []string{"1HGBH41JXMN109186", "5YJSA1E22MF123456"}},
	{"nothing matches", inventory.FeedFilter{Makes: []string{"Lada"}}, nil},
}

func upstreamShapeInput(filter inventory.FeedFilter) transform.Input {
	vs := []inventory.Vehicle{
		{VIN: "5YJSA1E22MF123456", Year: 2021, Make: "Tesla", Model: "Model S", Condition: inventory.Used,
			Price: inventory.Ptr(52000.0), Mileage: inventory.Ptr(21000), Images: []string{"x"}, Engine: "dropped"},
		{VIN: "1HGBH41JXMN109186", Year: 2026, Make: "Honda", Model: "Civic", Condition: inventory.New,
			Price: inventory.Ptr(28500.0), AIDescription: "Fine <car> & \"more\"", ImageURL: "https://i.example/0.jpg"},
		{VIN: "3FA6P0H71HR000002", Year: 2017, Make: "Ford", Model: "Fusion\x01", Condition: inventory.Used},
	}
	return transform.Input{Snapshot: inventory.NewSnapshot("t", vs, fixedTime, "test"),
		Options: transform.Options{Filter: filter}}
}

// testUpstreamShape checks a writer against inventory's feed writer and reads its output back
// with inventory.ParseFeed, the way a client of the upstream feed would.
func testUpstreamShape(t *testing.T, w transform.Writer, write func(io.Writer, []inventory.Vehicle) error) {
	for _, tc := range upstreamShapeCases {
		t.Run(tc.name, func(t *testing.T) {
			in := upstreamShapeInput(tc.filter)
			var got bytes.Buffer
			d, err := w.Write(&got, in)
			if err != nil {
				t.Fatal(err)
			}
			var kept []inventory.Vehicle
			for _, v := range in.Snapshot.Vehicles {
				if ok, _ := tc.filter.Match(&v); ok {
					v.Model = transform.Clean(v.Model)
					kept = append(kept, v)
				}
			}
			var want bytes.Buffer
			if err := write(&want, kept); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("output differs from the upstream shape:\n got %s\nwant %s", got.Bytes(), want.Bytes())
			}
			back, err := inventory.ParseFeed(got.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var vins []string
			for _, v := range back {
				vins = append(vins, v.VIN)
			}
			if len(vins) != len(tc.want) || d.Included != len(tc.want) || d.Filtered != 3-len(tc.want) {
				t.Fatalf("VINs %v, diagnostics %+v; want %v", vins, d, tc.want)
			}
			for i := range vins {
				if vins[i] != tc.want[i] {
					t.Errorf("VINs %v, want %v", vins, tc.want)
				}
			}
		})
	}
}

func TestUpstreamJSON(t *testing.T) {
	testUpstreamShape(t, transform.NewUpstreamJSON(), inventory.WriteFeedJSON)
}
