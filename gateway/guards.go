package gateway

import (
	"context"
	"time"
)

// Limiter decides whether one more request under a key fits its per-minute budget. Package
// ratelimit has the implementations: in process, and shared through Redis.
type Limiter interface {
	// Allow spends one request of key's budget; when it is spent, retryAfter says when to try
	// again. An error means the limiter could not decide; the gateway lets the request through.
	Allow(ctx context.Context, key string, perMinute int) (allowed bool, retryAfter time.Duration, err error)
}

// ReplayGuard remembers webhook event ids so that each event is acted on once. Package replay
// has the implementations: in process, and shared through Redis.
type ReplayGuard interface {
	// Seen records id for ttl and reports whether it was already recorded (a replay). It is
	// atomic: of two concurrent deliveries of one id, exactly one is new. An error means the
	// guard could not decide; dup is then false.
	Seen(ctx context.Context, id string, ttl time.Duration) (dup bool, err error)
}
