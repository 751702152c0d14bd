package config

import "fmt"

// Warnings lists what is valid but probably not meant: no tenants at all, a tenant nobody can
// reach, a feed no key can fetch. The gateway starts anyway; `feedgate check` prints them.
func (c *Config) Warnings() []Problem {
	var out []Problem
	if len(c.Tenants) == 0 {
		out = append(out, Problem{Path: "tenants", Message: "none configured: the gateway will answer only /healthz, /readyz and /metrics"})
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		p := index("tenants", i)
		if len(t.Keys) == 0 && len(t.Feeds) == 0 {
			out = append(out, Problem{Path: p, Message: fmt.Sprintf("%q has no keys and no feeds: nothing can reach it", t.ID)})
		}
		feedsRead := false
		for _, k := range t.Keys {
			feedsRead = feedsRead || k.HasScope(ScopeFeedsRead)
		}
		for j, f := range t.Feeds {
			if len(f.Keys) == 0 && !feedsRead {
				out = append(out, Problem{Path: index(p+".feeds", j),
					Message: fmt.Sprintf("feed %q has no keys and no tenant key has feeds:read: nothing can fetch it", f.Name)})
			}
		}
	}
	return out
}
