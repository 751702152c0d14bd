package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

func randInt64N(n int64) int64 { return rand.Int64N(n) }

// exchange runs rq under the retry policy. decode, when given, parses a 2xx body; a decode
// failure counts as a malformed answer, which a GET retries. The returned response is the last
// one that arrived whole (nil if none did); the error is an *APIError for a non-2xx answer.
func (c *Client) exchange(ctx context.Context, rq request, decode func(body []byte) error) (*response, error) {
	idempotent := rq.method == http.MethodGet || rq.method == http.MethodHead
	for attempt := 0; ; attempt++ {
		countCall(ctx, rq.endpoint)
		start := c.now()
		resp, err := c.send(ctx, rq)
		var retryAfter time.Duration
		switch {
		case err != nil:
			err = unavailable(rq.endpoint, err)
		case resp.status < 200 || resp.status > 299:
			retryAfter = parseRetryAfter(resp.header.Get("Retry-After"), c.now())
			apiErr := parseAPIError(rq.endpoint, resp, retryAfter)
			apiErr.Message = strings.ReplaceAll(apiErr.Message, c.key, "[REDACTED]")
			err = apiErr
		case decode != nil:
			if derr := decode(resp.body); derr != nil {
				err = unavailable(rq.endpoint, fmt.Errorf("%w: %w", ErrMalformedResponse, derr))
			}
		}
		status := 0
		if resp != nil {
			status = resp.status
		}
		err = c.scrub(err)
		c.obs.ObserveRequest(rq.endpoint, status, c.now().Sub(start), err)
		if err == nil {
			return resp, nil
		}

		if cerr := ctx.Err(); cerr != nil {
			return resp, fmt.Errorf("upstream: %s: gave up (%w) after: %w", rq.endpoint, cerr, err)
		}
		wait, retry := c.retryDecision(idempotent, attempt, resp, err, retryAfter)
		if !retry || attempt >= c.opts.MaxRetries {
			level := slog.LevelWarn
			if status >= 400 && status < 500 && status != http.StatusTooManyRequests {
				level = slog.LevelInfo // the caller's mistake or a missing vehicle, not upstream trouble
			}
			c.log.LogAttrs(ctx, level, "upstream request failed", slog.String("endpoint", rq.endpoint),
				slog.Int("status", status), slog.Int("attempts", attempt+1), slog.String("err", err.Error()))
			return resp, err
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "upstream request retrying", slog.String("endpoint", rq.endpoint),
			slog.Int("status", status), slog.Int("attempt", attempt+1), slog.Duration("wait", wait),
			slog.String("err", err.Error()))
		if serr := sleep(ctx, wait); serr != nil {
			return resp, fmt.Errorf("upstream: %s: gave up (%w) after: %w", rq.endpoint, serr, err)
		}
	}
}

// retryDecision says whether a failed attempt may be repeated and after how long.
func (c *Client) retryDecision(idempotent bool, attempt int, resp *response, err error, retryAfter time.Duration) (time.Duration, bool) {
	if errors.Is(err, ErrBodyTooLarge) || errors.Is(err, ErrBadVehicle) {
		// Too large stays too large; a vehicle described badly is described so again.
		return 0, false
	}
	if resp == nil || resp.status/100 == 2 {
		// No answer, or an answer cut short or malformed. A GET can simply be asked again; a POST
		// only if it never left this machine (the server may otherwise have acted on it).
		if idempotent || notSent(err) {
			return c.backoff(attempt), true
		}
		return 0, false
	}
	switch {
	case resp.status == http.StatusTooManyRequests:
		if retryAfter > 0 || resp.header.Get("Retry-After") != "" {
			if retryAfter > c.opts.MaxRetryAfter {
				return 0, false
			}
			return retryAfter, true
		}
		if idempotent {
			return c.backoff(attempt), true
		}
	case resp.status >= 500 && idempotent:
		return max(c.backoff(attempt), min(retryAfter, c.opts.MaxRetryAfter)), true
	}
	return 0, false
}

// backoff is the full-jitter wait before retry number attempt+1: uniform in [0, bound], the
// bound doubling from MinBackoff up to MaxBackoff.
func (c *Client) backoff(attempt int) time.Duration {
	bound := c.opts.MinBackoff
	for i := 0; i < attempt && bound < c.opts.MaxBackoff; i++ {
		bound *= 2
	}
	bound = min(bound, c.opts.MaxBackoff)
	return time.Duration(c.jitter(int64(bound) + 1))
}

// notSent reports whether err shows the request never reached the server: the connection was
// never made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// parseRetryAfter reads a Retry-After value, seconds or an HTTP date; 0 if absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(365*24*time.Hour/time.Second) {
			n = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// sleep waits d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// callCounter counts attempts per endpoint for whoever put it in the context (a sync, to
// report the calls it made).
type callCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

type callCounterKey struct{}

func withCallCounter(ctx context.Context) (context.Context, *callCounter) {
	cc := &callCounter{counts: make(map[string]int)}
	return context.WithValue(ctx, callCounterKey{}, cc), cc
}

func countCall(ctx context.Context, endpoint string) {
	if cc, ok := ctx.Value(callCounterKey{}).(*callCounter); ok {
		cc.mu.Lock()
		cc.counts[endpoint]++
		cc.mu.Unlock()
	}
}

// snapshot is a copy of the counts by endpoint name.
func (cc *callCounter) snapshot() map[string]int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	out := make(map[string]int, len(cc.counts))
	for k, v := range cc.counts {
		out[k] = v
	}
	return out
}
