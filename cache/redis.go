package cache

import (
	"github.com/feedgate/feedgate/internal/rediskey"

	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configures a Redis store.
type RedisOptions struct {
	// Prefix starts every key, e.g. "feedgate:"; several deployments can share one Redis.
	Prefix string
}

// Redis is the shared store over a go-redis UniversalClient (one node or a Cluster). Every key
// lives under the prefix, and every key of one tenant carries the hash tag {tenant}, so that the
// multi-key commands feedgate issues for a tenant stay in one Cluster slot.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	release *redis.Script
	renew   *redis.Script
}

// releaseScript deletes the lock only when it still holds the caller's token, so a holder whose
// lock expired can never delete the lock a new holder took since.
const releaseScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`

// renewScript extends the lock only for its owner.
const renewScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`

// NewRedis returns a store over client; the client stays the caller's to close.
func NewRedis(client redis.UniversalClient, opts RedisOptions) *Redis {
	return &Redis{
		client:  client,
		prefix:  opts.Prefix,
		release: redis.NewScript(releaseScript),
		renew:   redis.NewScript(renewScript),
	}
}

// Key is the full key of a tenant's item in feedgate's one scheme (internal/rediskey): prefix,
// the tenant in a hash tag, then the parts (e.g. "feedgate:{sunset-honda}:snap").
func (r *Redis) Key(tenant string, parts ...string) string {
	return rediskey.Key(r.prefix, tenant, parts...)
}

// Get returns the value of key; a missing key is (nil, false, nil).
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cache: redis get: %w", err)
	}
	return b, true, nil
}

// MGet returns the values of keys, which must share a hash tag in a Cluster; a missing key's
// value is nil.
func (r *Redis) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("cache: redis mget: %w", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

// Set stores val under key for ttl (zero: no expiry).
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := r.client.Set(ctx, key, val, ttl).Err(); err != nil {
		return fmt.Errorf("cache: redis set: %w", err)
	}
	return nil
}

// Delete removes keys (of one tenant, in a Cluster); missing keys are not an error.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	if err := r.client.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("cache: redis del: %w", err)
	}
	return nil
}

// Ping checks that Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cache: redis ping: %w", err)
	}
	return nil
}

// Lock is a held Redis lock: a key set with NX and a random token, which only its owner can renew
// or release.
type Lock struct {
	r     *Redis
	key   string
	token string
	ttl   time.Duration
}

// TryLock takes the lock at key for ttl if nobody holds it. It returns (nil, false, nil) when
// another owner holds it.
func (r *Redis) TryLock(ctx context.Context, key string, ttl time.Duration) (*Lock, bool, error) {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24+).
	token := hex.EncodeToString(raw[:])
	ok, err := r.client.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, false, fmt.Errorf("cache: redis lock: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	return &Lock{r: r, key: key, token: token, ttl: ttl}, true, nil
}

// Renew extends the lock by its TTL; false means the lock was lost (it expired and maybe another
// owner took it).
func (l *Lock) Renew(ctx context.Context) (bool, error) {
	n, err := l.r.renew.Run(ctx, l.r.client, []string{l.key}, l.token, l.ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("cache: redis lock renew: %w", err)
	}
	return n == 1, nil
}

// Release gives the lock up if this owner still holds it.
func (l *Lock) Release(ctx context.Context) error {
	if err := l.r.release.Run(ctx, l.r.client, []string{l.key}, l.token).Err(); err != nil {
		return fmt.Errorf("cache: redis lock release: %w", err)
	}
	return nil
}

// redisKeys are one tenant's keys; all carry the tenant's hash tag.
type redisKeys struct {
	snap      string // the encoded snapshot in service
	ver       string // "<fetched unix nanos> <version>" of that snapshot, small enough to poll
	inval     string // a counter bumped by Invalidate
	neg       string // present while a failed sync blocks new attempts
	lock      string // the sync lock
	held      string // a snapshot held back by the shrink guard
	heldSince string // unix nanos when a smaller inventory was first seen
	heldInfo  string // "<vehicles> <version>" of the held snapshot, small enough for status reads
	marks     string // the set of VINs the next sync fetches again
}

func newRedisKeys(r *Redis, tenant string) redisKeys {
	return redisKeys{
		snap:      r.Key(tenant, "snap"),
		ver:       r.Key(tenant, "ver"),
		inval:     r.Key(tenant, "inval"),
		neg:       r.Key(tenant, "neg"),
		lock:      r.Key(tenant, "lock"),
		held:      r.Key(tenant, "held"),
		heldSince: r.Key(tenant, "heldsince"),
		heldInfo:  r.Key(tenant, "heldinfo"),
		marks:     r.Key(tenant, "marks"),
	}
}
