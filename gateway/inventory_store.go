package gateway

import "github.com/feedgate/feedgate/inventory"

// CachedOutputStore is what a Store may offer besides Output: a stored document looked up in
// process memory alone, with no render function to build. The drop-in API asks it first, so a
// cached answer allocates nothing; a Store without it is asked through Output every time.
type CachedOutputStore interface {
	// CachedOutput returns the document stored under key for snap when this process holds it,
	// with the Lookup Output would give for it; false otherwise. It does no I/O.
	CachedOutput(key OutputKey, snap *inventory.Snapshot) (Rendered, Lookup, bool)
}
