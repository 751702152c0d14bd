package changelog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/feedgate/feedgate/internal/rediskey"
)

// NewRedis returns a Log kept in Redis: one sorted set per tenant, <prefix>{<tenant>}:changes,
// scored by sequence. The {tenant} hash tag puts it in the tenant's Cluster slot, beside the
// cache's keys. The client stays the caller's to close.
func NewRedis(client redis.UniversalClient, prefix string, opts Options) *Log {
	opts = opts.withDefaults()
	b := &redisBackend{client: client, prefix: prefix, add: redis.NewScript(appendScript), log: opts.Logger}
	return &Log{b: b, opts: opts}
}

type redisBackend struct {
	client redis.UniversalClient
	prefix string
	add    *redis.Script
	log    *slog.Logger
}

// appendScript adds an entry and applies retention in one step, so that replicas appending at
// once never reuse a sequence. The member is "<seq> <entry JSON>": the sequence makes every
// member unique and travels with it. The key expires MaxAge after the last append, when every
// entry in it would be too old anyway.
//
// KEYS[1] the set; ARGV: entry time (Unix ms), entry JSON, lowest sequence kept, entries kept,
// key TTL in ms.
const appendScript = `
local seq = tonumber(ARGV[1])
local top = redis.call("ZREVRANGE", KEYS[1], 0, 0, "WITHSCORES")
if top[2] and tonumber(top[2]) >= seq then seq = tonumber(top[2]) + 1 end
redis.call("ZADD", KEYS[1], seq, string.format("%d", seq) .. " " .. ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", "(" .. ARGV[3])
redis.call("ZREMRANGEBYRANK", KEYS[1], 0, -tonumber(ARGV[4]) - 1)
redis.call("PEXPIRE", KEYS[1], ARGV[5])
return seq`

func (r *redisBackend) key(tenant string) (string, error) {
	if tenant == "" || strings.ContainsAny(tenant, "{}") {
		return "", fmt.Errorf("changelog: tenant id %q cannot be a Redis hash tag", tenant)
	}
	return rediskey.Key(r.prefix, tenant, "changes"), nil
}

func (r *redisBackend) append(ctx context.Context, tenant string, e Entry, minSeq int64, keep int) error {
	key, err := r.key(tenant)
	if err != nil {
		return err
	}
	js, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("changelog: encode entry: %w", err)
	}
	ttl := max(e.At.UnixMilli()-minSeq, 1) // MaxAge, measured from this entry
	if err := r.add.Run(ctx, r.client, []string{key}, e.At.UnixMilli(), js, minSeq, keep, ttl).Err(); err != nil {
		return fmt.Errorf("changelog: redis append: %w", err)
	}
	return nil
}

func (r *redisBackend) page(ctx context.Context, tenant string, before, minSeq int64, n int) ([]stored, error) {
	key, err := r.key(tenant)
	if err != nil {
		return nil, err
	}
	maxScore := "+inf"
	if before > 0 {
		maxScore = "(" + strconv.FormatInt(before, 10)
	}
	members, err := r.client.ZRevRangeByScore(ctx, key, &redis.ZRangeBy{
		Max: maxScore, Min: strconv.FormatInt(minSeq, 10), Count: int64(n),
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("changelog: redis page: %w", err)
	}
	out := make([]stored, 0, len(members))
	for _, m := range members {
		s, err := decodeMember(m)
		if err != nil {
			// Only a foreign write makes one; skipping it keeps the rest of the log readable.
			r.log.Warn("changelog: skipping an unreadable entry", "key", key, "err", err)
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

func decodeMember(m string) (stored, error) {
	seqText, js, ok := strings.Cut(m, " ")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !ok || err != nil {
		return stored{}, fmt.Errorf("entry without a sequence: %.40q", m)
	}
	s := stored{Seq: seq}
	if err := json.Unmarshal([]byte(js), &s.Entry); err != nil {
		return stored{}, fmt.Errorf("decode entry %d: %w", seq, err)
	}
	return s, nil
}
