// Package replay remembers webhook event ids so that each event is acted on once: in this process
// (Memory) or in Redis for every replica (Redis). Both implement the gateway's Guard.
package replay

import (
	"github.com/feedgate/feedgate/internal/rediskey"

	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Guard remembers webhook event ids so that each event is acted on once: the shape of
// gateway.Guard.
type Guard interface {
	// Seen records id for ttl and reports whether it was already recorded (a replay). It is
	// atomic: of two concurrent deliveries of one id, exactly one is new. An error means the
	// guard could not decide; dup is then false.
	Seen(ctx context.Context, id string, ttl time.Duration) (dup bool, err error)
}

// MemoryOptions configures a Memory.
type MemoryOptions struct {
	// MaxIDs bounds the ids kept; past it the oldest are forgotten first (default 100000).
	MaxIDs int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Memory keeps ids in this process, bounded and expiring: right for one replica.
type Memory struct {
	opts  MemoryOptions
	mu    sync.Mutex
	ids   map[string]*list.Element
	order *list.List // of *replayEntry, oldest first
}

type replayEntry struct {
	id      string
	expires time.Time
}

// NewMemory returns an empty Memory.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxIDs <= 0 {
		opts.MaxIDs = 100000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Memory{opts: opts, ids: make(map[string]*list.Element), order: list.New()}
}

// Seen implements Guard.
func (m *Memory) Seen(_ context.Context, id string, ttl time.Duration) (bool, error) {
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.ids[id]; ok {
		if now.Before(el.Value.(*replayEntry).expires) {
			return true, nil
		}
		m.order.Remove(el)
		delete(m.ids, id)
	}
	// Entries share one ttl per process in practice, so the front is the first to expire.
	for m.order.Len() > 0 {
		front := m.order.Front()
		e := front.Value.(*replayEntry)
		if m.order.Len() < m.opts.MaxIDs && now.Before(e.expires) {
			break
		}
		m.order.Remove(front)
		delete(m.ids, e.id)
	}
	m.ids[id] = m.order.PushBack(&replayEntry{id: id, expires: now.Add(ttl)})
	return false, nil
}

// Len is the number of ids remembered.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ids)
}

// Redis keeps ids in Redis with SET NX and a TTL, so every replica agrees. When Redis
// fails it decides in process with Fallback, so webhooks keep working.
type Redis struct {
	client   redis.UniversalClient
	prefix   string
	fallback Guard
}

// NewRedis keeps each id under prefix + "{id}:webhook" (internal/rediskey); fallback (nil: a
// Memory guard) decides while Redis is unreachable.
func NewRedis(client redis.UniversalClient, prefix string, fallback Guard) *Redis {
	if fallback == nil {
		fallback = NewMemory(MemoryOptions{})
	}
	return &Redis{client: client, prefix: prefix, fallback: fallback}
}

// Seen implements Guard.
func (r *Redis) Seen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	ok, err := r.client.SetNX(ctx, rediskey.Key(r.prefix, id, "webhook"), 1, ttl).Result()
	if err != nil {
		dup, ferr := r.fallback.Seen(ctx, id, ttl)
		if ferr != nil {
			return false, ferr
		}
		return dup, fmt.Errorf("replay: redis: %w (decided in process)", err)
	}
	// Remember it here too, so a later Redis outage still refuses this id.
	_, _ = r.fallback.Seen(ctx, id, ttl)
	return !ok, nil
}
