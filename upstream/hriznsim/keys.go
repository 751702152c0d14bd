package hriznsim

import (
	"fmt"
	"strings"
)

// ParseKey reads a key in the command line's form KEY=SCOPE[,SCOPE][@SITE], for example
// "hzk_a=inventory:read,inventory:write@dealer-a". Without @SITE the key is for the main site.
func ParseKey(s string) (Key, error) {
	key, rest, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return Key{}, fmt.Errorf("hriznsim: key %q: want KEY=SCOPE[,SCOPE][@SITE]", redact(key))
	}
	var k Key
	k.Key = key
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest, k.Site = rest[:i], strings.TrimSpace(rest[i+1:])
		if k.Site == "" {
			return Key{}, fmt.Errorf("hriznsim: key %s: empty site after @", redact(key))
		}
	}
	for _, sc := range strings.Split(rest, ",") {
		sc = strings.TrimSpace(sc)
		if sc != ScopeRead && sc != ScopeWrite {
			return Key{}, fmt.Errorf("hriznsim: key %s: unknown scope %q (want %s or %s)", redact(key), sc, ScopeRead, ScopeWrite)
		}
		k.Scopes = append(k.Scopes, sc)
	}
	return k, nil
}

// redact shortens a key for messages, which must never carry one whole.
func redact(key string) string {
	if len(key) <= 8 {
		return "…"
	}
	return key[:4] + "…"
}
