package gateway

import (
	"context"
	"testing"

	"github.com/feedgate/feedgate/transform"
)

// metaFeed is a feed whose output's diagnostics are meta.
type metaFeed struct{ meta []byte }

func (f *metaFeed) Writer() transform.Writer { return nil }

func (f *metaFeed) Output(context.Context) (Rendered, Lookup, error) {
	return Rendered{Body: []byte("x"), ETag: "same", Meta: f.meta}, Lookup{}, nil
}

// TestDiagnosticsFollowTheOutput: the diagnostics decoded once per output are decoded again
// when the output's diagnostics change, even under the same ETag, and a broken one is an error.
func TestDiagnosticsFollowTheOutput(t *testing.T) {
	feed := &metaFeed{meta: []byte(`{"included":3}`)}
	fs := &feedState{tenant: "t", name: "f", source: feed}
	for _, tc := range []struct {
		meta     string
		included int
	}{{`{"included":3}`, 3}, {`{"included":3}`, 3}, {`{"included":5}`, 5}} {
		feed.meta = []byte(tc.meta)
		d, err := diagnostics(context.Background(), fs)
		if err != nil || d.Included != tc.included {
			t.Fatalf("%s: %+v, %v", tc.meta, d, err)
		}
	}
	feed.meta = []byte(`{`)
	if d, err := diagnostics(context.Background(), fs); err == nil {
		t.Fatalf("broken diagnostics read as %+v", d)
	}
}
