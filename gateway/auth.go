package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// Scopes a tenant key may hold.
const (
	ScopeFeedsRead      = "feeds:read"
	ScopeInventoryRead  = "inventory:read"
	ScopeInventoryWrite = "inventory:write"
)

// grant is what one configured key opens. Exactly one of admin, feed-key (feed != "") and
// tenant-key (feed == "", scopes) applies.
type grant struct {
	digest  [sha256.Size]byte
	limitID string // the start of digest in hex: the key's name for rate limits
	name    string // the key's configured name, safe to log
	admin   bool
	tenant  string
	feed    string
	scopes  []string
	// lastFetch is when the key last fetched a feed (kept across reloads); nil for admin keys.
	lastFetch *fetchClock
}

// id names the key for rate limiting and logs without revealing it: the start of its hash,
// encoded once when the keyring is built.
func (g *grant) id() string {
	if g.limitID == "" {
		return hex.EncodeToString(g.digest[:8])
	}
	return g.limitID
}

// logName is how the access log names the key.
func (g *grant) logName() string {
	if g.admin {
		return "admin:" + g.name
	}
	return g.name
}

// keyring finds the grant of a presented key. Keys are looked up by their SHA-256, so the map
// holds no secret; the final comparison is constant-time all the same.
type keyring map[[sha256.Size]byte]*grant

// add files g under the key's SHA-256, which config.Parse has checked to be well formed and
// distinct from every other key's.
func (k keyring) add(digest [sha256.Size]byte, g *grant) {
	g.digest = digest
	g.limitID = hex.EncodeToString(g.digest[:8])
	k[g.digest] = g
}

func (k keyring) lookup(key string) (*grant, bool) {
	if key == "" {
		return nil, false
	}
	// Hashing from a stack copy spares the per-request allocation of []byte(key).
	var buf [64]byte
	var d [sha256.Size]byte
	if len(key) <= len(buf) {
		d = sha256.Sum256(buf[:copy(buf[:], key)])
	} else {
		d = sha256.Sum256([]byte(key))
	}
	g, ok := k[d]
	if !ok || subtle.ConstantTimeCompare(g.digest[:], d[:]) != 1 {
		return nil, false
	}
	return g, true
}

// presentedKey returns the API key a request carries, from (in order) X-API-Key,
// Authorization: Bearer, HTTP Basic's password, and, when allowQuery is set, the key query
// parameter. The first source present wins.
func presentedKey(r *http.Request, allowQuery bool) string {
	// Header names are given in their canonical form, so that looking one up allocates nothing.
	if k := strings.TrimSpace(headerValue(r.Header, "X-Api-Key")); k != "" {
		return k
	}
	if auth := headerValue(r.Header, "Authorization"); auth != "" {
		scheme, rest, _ := strings.Cut(auth, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest)
		}
		if _, password, ok := r.BasicAuth(); ok {
			return password
		}
	}
	if allowQuery && r.URL.RawQuery != "" {
		return r.URL.Query().Get("key")
	}
	return ""
}

// headerValue is h.Get for a name already in canonical form (textproto.CanonicalMIMEHeaderKey),
// without Get's canonicalisation, which allocates for names such as X-API-Key.
func headerValue(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// errUnauthorized is the answer to a missing or unknown key: the same words either way, so a
// caller cannot tell which.
func errUnauthorized() error {
	return inventory.Errorf(inventory.EUnauthorized, "Missing or invalid API key")
}

// errNotFound is the answer for a feed that does not exist or that the key may not know about.
func errNotFound() error {
	return inventory.Errorf(inventory.ENotFound, "Feed not found")
}

// authorizeFeed decides whether g may read the tenant's feed. Another tenant's key gets 404,
// whether or not the tenant exists; a feed key opens its own feed only; a tenant key needs
// feeds:read. Admin keys read every feed (operators debug with them).
func authorizeFeed(g *grant, tenant, feed string) error {
	switch {
	case g.admin:
		return nil
	case g.tenant != tenant:
		return errNotFound()
	case g.feed != "":
		if g.feed == feed {
			return nil
		}
		return forbidden(ScopeFeedsRead)
	case slices.Contains(g.scopes, ScopeFeedsRead):
		return nil
	}
	return forbidden(ScopeFeedsRead)
}

// forbidden is the upstream's 403 body for a key without the scope.
func forbidden(scopes ...string) error {
	return errorf(inventory.EForbidden, map[string]any{"required_scopes": scopes},
		"This API key requires one of the following scopes: %s", strings.Join(scopes, ", "))
}
