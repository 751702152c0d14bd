package transform_test

import (
	"testing"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/transform"
)

func TestUpstreamXML(t *testing.T) {
	testUpstreamShape(t, transform.NewUpstreamXML(), inventory.WriteFeedXML)
}
