package gateway

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
)

// Redaction: nothing a request carries is logged, echoed or used as a metric label before it is
// checked here. A string is a secret when it is shaped like a key (fgk_… or hzk_…, any case), is
// a configured key (found by its hash, as authentication finds it), or is one of the tenants'
// upstream keys or webhook secrets; a query parameter is also masked when its decoded name says
// it holds one (key, token, secret, password, signature, auth), however it is spelled: k%65y,
// KEY, key[], %20key, key%00 all decode to a name that does.

// redacted replaces a secret in logs.
const redacted = "REDACTED"

// minKeyLen is the shortest string checked against the configured keys' hashes; shorter ones
// are not hashed on every request. Generated keys are 36 characters.
const minKeyLen = 8

// redactor knows the secrets and trusted proxies of the configuration being served.
type redactor struct {
	s     *Server
	cache atomic.Pointer[secretSet]
}

// secretSet is what the access log derives from one state: its keyring, the plain-text upstream
// keys and webhook secrets of its tenants, and its trusted proxies.
type secretSet struct {
	st      *state
	plain   map[string]struct{}
	proxies []netip.Prefix
	// paths memoizes that a request path has no secret segment: a feed's path repeats on
	// every fetch, and checking its segments costs more than a map read. Bounded by
	// maxMemoized, as a client chooses paths. A path with a secret is checked every time, so
	// that no secret is kept as a memo key for the life of the configuration.
	paths children[string, bool]
	// agents memoizes a User-Agent that needs no masking likewise: a fetcher sends the same one
	// on every fetch, and masking free text hashes each of its longer words.
	agents children[string, string]
}

// newSecretSet is the secret set of st with the given plain-text secrets and trusted proxies.
func newSecretSet(st *state, plain map[string]struct{}, proxies []netip.Prefix) *secretSet {
	c := &secretSet{st: st, plain: plain, proxies: proxies}
	c.paths.make = c.pathHasSecret
	c.paths.keep = func(_ string, secret bool) bool { return !secret }
	c.agents.make = c.text
	c.agents.keep = func(ua, logged string) bool { return ua == logged }
	return c
}

// current is the secret set of the state being served, rebuilt after a reload.
func (r *redactor) current() *secretSet {
	st := r.s.state.Load()
	if c := r.cache.Load(); c != nil && c.st == st {
		return c
	}
	c := newSecretSet(st, map[string]struct{}{}, trustedPrefixes(st.cfg.TrustedProxies))
	for i := range st.cfg.Tenants {
		t := &st.cfg.Tenants[i]
		for _, s := range []string{t.UpstreamKey.Reveal(), t.WebhookSecret.Reveal()} {
			if s != "" {
				c.plain[s] = struct{}{}
			}
		}
	}
	r.cache.Store(c)
	return c
}

// isSecret reports whether v, or v percent-decoded once or twice, is a secret.
func (c *secretSet) isSecret(v string) bool {
	for range 3 {
		if c.isSecretAsIs(v) {
			return true
		}
		d, err := url.QueryUnescape(v)
		if err != nil || d == v {
			return false
		}
		v = d
	}
	return c.isSecretAsIs(v)
}

func (c *secretSet) isSecretAsIs(v string) bool {
	if v == "" {
		return false
	}
	if keyShaped(v) {
		return true
	}
	if _, ok := c.plain[v]; ok {
		return true
	}
	t := strings.TrimSpace(v)
	if _, ok := c.plain[t]; ok {
		return true
	}
	if len(t) >= minKeyLen {
		if _, ok := c.st.keys.lookup(t); ok {
			return true
		}
	}
	return false
}

// keyShaped reports whether s contains a feedgate (fgk_) or upstream (hzk_) key prefix, in any
// case.
func keyShaped(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i+3] != '_' {
			continue
		}
		p := strings.ToLower(s[i : i+3])
		if p == "fgk" || p == "hzk" {
			return true
		}
	}
	return false
}

// secretName reports whether a query parameter's name, decoded and stripped of everything but
// letters and digits, says it holds a credential.
func secretName(raw string) bool {
	name := raw
	for range 3 {
		d, err := url.QueryUnescape(name)
		if err != nil || d == name {
			break
		}
		name = d
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	n := b.String()
	for _, w := range []string{"key", "token", "secret", "passw", "signature", "auth"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// query masks the values of credential parameters, and any name or value that is a secret,
// leaving the rest of a raw query string readable.
func (c *secretSet) query(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, value, hasValue := strings.Cut(p, "=")
		if c.isSecret(name) {
			parts[i] = redacted
			continue
		}
		if hasValue && (secretName(name) || c.isSecret(value)) {
			parts[i] = name + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// path masks the segments of a request path that are secrets. A path without one is returned
// as it is, without allocating.
func (c *secretSet) path(p string) string {
	if !c.paths.get(p) {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if c.isSecret(s) {
			segs[i] = redacted
		}
	}
	return strings.Join(segs, "/")
}

// pathHasSecret reports whether a segment of p is a secret.
func (c *secretSet) pathHasSecret(p string) bool {
	for rest := p; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if c.isSecret(seg) {
			return true
		}
	}
	return false
}

// text masks the secrets in free text (a user agent, an error): every plain-text secret it
// contains, and every word that is a secret.
func (c *secretSet) text(s string) string {
	if s == "" {
		return s
	}
	for secret := range c.plain {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	words := strings.FieldsFunc(s, wordBreak)
	for _, w := range words {
		if w != redacted && c.isSecret(w) {
			s = strings.ReplaceAll(s, w, redacted)
		}
	}
	return s
}

// userAgent is a User-Agent header as the access log may show it (text), memoized per value.
func (c *secretSet) userAgent(ua string) string { return c.agents.get(ua) }

// wordBreak splits free text into the words that could be keys.
func wordBreak(r rune) bool {
	return r <= ' ' || strings.ContainsRune(`"'<>()[]{},;=&?/\:@`, r)
}

// methodLabel is the method as metrics and logs may name it: a standard one as it is, any other
// as "OTHER", since a client can send any token (a key, even) as a method.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return m
	}
	return "OTHER"
}

// trustedPrefixes parses trusted_proxies (validated by config): CIDRs, or single addresses.
func trustedPrefixes(list []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(list))
	for _, p := range list {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pfx.Masked())
		} else if a, err := netip.ParseAddr(p); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}

// trusted reports whether addr is one of the trusted proxies.
func (c *secretSet) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range c.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clientAddr is the client's address: the peer's, unless the peer is a trusted proxy. Then it is
// the rightmost X-Forwarded-For entry that is not itself a trusted proxy (the one the proxies
// saw connect; entries to its left are the client's own say), or X-Real-IP without that header.
// Gin's own ClientIP is not used: its trusted proxies are fixed when the engine is built, and
// these follow reloads.
func (c *secretSet) clientAddr(r *http.Request) string {
	host := peerHost(r.RemoteAddr)
	if len(c.proxies) == 0 {
		return host // no proxy is trusted: the peer is the client, unparsed
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !c.trusted(peer) {
		return host
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		hops := strings.Split(strings.Join(xff, ","), ",")
		client := peer
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed hop: trust nothing further left
			}
			client = a
			if !c.trusted(a) {
				break
			}
		}
		return client.Unmap().String()
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(headerValue(r.Header, "X-Real-Ip"))); err == nil {
		return a.Unmap().String()
	}
	return host
}

// clientRemote is clientAddr for an access record, which is masked and formatted later, off the
// request: when no proxy is trusted the client is the peer, and its "host:port" is returned as
// it is, with peer true, for peerHost to split then; otherwise clientAddr's answer.
func (c *secretSet) clientRemote(r *http.Request) (addr string, peer bool) {
	if len(c.proxies) == 0 {
		return r.RemoteAddr, true
	}
	return c.clientAddr(r), false
}

// peerHost is the host of a connection's "host:port" address (net/http's RemoteAddr), or the
// address whole when it is not one.
func peerHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
