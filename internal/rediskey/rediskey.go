// Package rediskey is feedgate's one Redis key scheme: every key is the configured prefix, an
// owner in braces (a Redis Cluster hash tag, so that everything one owner needs in one
// transaction or script lands in one slot), then the kind and any parts, joined by ':'.
//
//	feedgate:{sunset-honda}:snap       a tenant's item (cache)
//	feedgate:{9f86d081884c7d65}:rl     an API key's rate-limit state (ratelimit)
//	feedgate:{sunset-honda/evt_1}:webhook  a webhook event id seen (replay)
//
// docs/caching.md lists every key with its owner and TTL.
package rediskey

// Key builds prefix + "{" + owner + "}" + ":" + parts joined by ':'.
func Key(prefix, owner string, parts ...string) string {
	n := len(prefix) + len(owner) + 2
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	b = append(b, '{')
	b = append(b, owner...)
	b = append(b, '}')
	for _, p := range parts {
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}
