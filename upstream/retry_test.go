package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// TestRetryPolicy runs each fault against a GET and a POST endpoint and checks how many
// attempts were made, with which statuses, and how the call ended.
func TestRetryPolicy(t *testing.T) {
	type tc struct {
		name       string
		endpoint   string // stats (GET) or generate (POST)
		faults     hriznsim.Faults
		maxRetries int
		maxAfter   time.Duration
		wantSeq    []int // statuses observed, 0 for no answer
		wantOK     bool
		wantCode   string
		wantIs     error
	}
	get, post := EndpointStats, EndpointGenerate
	tests := []tc{
		{name: "429 with Retry-After then success", endpoint: get,
			faults: hriznsim.Faults{RateLimitNext: 1, RetryAfterS: 1}, wantSeq: []int{429, 200}, wantOK: true},
		{name: "500s then success", endpoint: get,
			faults: hriznsim.Faults{FailNext: 2, ErrorStatus: 500}, wantSeq: []int{500, 500, 200}, wantOK: true},
		{name: "503 then success", endpoint: get,
			faults: hriznsim.Faults{FailNext: 1, ErrorStatus: 503}, wantSeq: []int{503, 200}, wantOK: true},
		{name: "retries exhausted", endpoint: get, maxRetries: 2,
			faults: hriznsim.Faults{FailNext: 5, ErrorStatus: 502}, wantSeq: []int{502, 502, 502}, wantCode: inventory.EUnavailable},
		{name: "truncated body then success", endpoint: get,
			faults: hriznsim.Faults{TruncateNext: 1}, wantSeq: []int{200, 200}, wantOK: true},
		{name: "malformed body then success", endpoint: get,
			faults: hriznsim.Faults{MalformedNext: 2}, wantSeq: []int{200, 200, 200}, wantOK: true},
		{name: "always malformed", endpoint: get, maxRetries: 1,
			faults: hriznsim.Faults{Malformed: true}, wantSeq: []int{200, 200}, wantCode: inventory.EUnavailable, wantIs: ErrMalformedResponse},
		{name: "dropped connection then success", endpoint: get,
			faults: hriznsim.Faults{DropNext: 1}, wantSeq: []int{0, 200}, wantOK: true},
		{name: "Retry-After over the cap gives up", endpoint: get, maxAfter: 500 * time.Millisecond,
			faults: hriznsim.Faults{RateLimitNext: 1, RetryAfterS: 1}, wantSeq: []int{429}, wantCode: inventory.ERateLimited},
		{name: "400 is not retried", endpoint: get,
			faults: hriznsim.Faults{FailNext: 1, ErrorStatus: 400}, wantSeq: []int{400}, wantCode: inventory.EValidation},
		{name: "404 is not retried", endpoint: get,
			faults: hriznsim.Faults{FailNext: 1, ErrorStatus: 404}, wantSeq: []int{404}, wantCode: inventory.ENotFound},

		{name: "POST 429 with Retry-After is retried", endpoint: post,
			faults: hriznsim.Faults{RateLimitNext: 1, RetryAfterS: 1}, wantSeq: []int{429, 202}, wantOK: true},
		{name: "POST 500 is not retried", endpoint: post,
			faults: hriznsim.Faults{FailNext: 1, ErrorStatus: 500}, wantSeq: []int{500}, wantCode: inventory.EUnavailable},
		{name: "POST dropped connection is not retried", endpoint: post,
			faults: hriznsim.Faults{DropNext: 1}, wantSeq: []int{0}, wantCode: inventory.EUnavailable},
		{name: "POST truncated answer is not retried", endpoint: post,
			faults: hriznsim.Faults{TruncateNext: 1}, wantSeq: []int{202}, wantCode: inventory.EUnavailable},
	}
	s := newSim(t, 10)
	vin := s.Vehicles(mainSite)[0].VIN
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.faults
			f.Endpoints = []string{tt.endpoint}
			s.SetFaults(f)
			defer s.SetFaults(hriznsim.Faults{})
			c, rec := newTestClient(t, s.URL, keyRW, func(o *Options) {
				// A connection per request: net/http quietly repeats an idempotent request once
				// when a reused connection turns out closed, which would hide the dropped
				// connection from the client's own policy.
				o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
				if tt.maxRetries != 0 {
					o.MaxRetries = tt.maxRetries
				}
				if tt.maxAfter != 0 {
					o.MaxRetryAfter = tt.maxAfter
				}
			})
			var err error
			if tt.endpoint == get {
				_, err = c.Stats(context.Background())
			} else {
				_, err = c.GenerateDescription(context.Background(), vin)
			}
			if got := rec.statuses(); !slices.Equal(got, tt.wantSeq) {
				t.Errorf("attempt statuses %v, want %v (err %v)", got, tt.wantSeq, err)
			}
			if tt.wantOK {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			if got := inventory.ErrorCode(err); got != tt.wantCode {
				t.Errorf("ErrorCode %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
		})
	}
}

func TestFeedRetriesTruncatedAndMalformed(t *testing.T) {
	s := newSim(t, 30)
	for _, format := range []string{"json", "xml"} {
		for _, f := range []hriznsim.Faults{{TruncateNext: 1}, {MalformedNext: 1}} {
			t.Run(fmt.Sprintf("%s %+v", format, f), func(t *testing.T) {
				f.Endpoints = []string{EndpointFeed}
				s.SetFaults(f)
				defer s.SetFaults(hriznsim.Faults{})
				c, rec := newTestClient(t, s.URL, keyRead, nil)
				vs, err := c.Feed(context.Background(), format)
				if err != nil || len(vs) != 30 {
					t.Fatalf("Feed = %d vehicles, %v", len(vs), err)
				}
				if n := len(rec.statuses()); n != 2 {
					t.Errorf("%d attempts, want 2", n)
				}
			})
		}
	}
}

func TestBodySizeCap(t *testing.T) {
	s := newSim(t, 50)
	c, rec := newTestClient(t, s.URL, keyRead, func(o *Options) { o.MaxBodyBytes = 2048 })
	_, err := c.Feed(context.Background(), "json")
	if !errors.Is(err, ErrBodyTooLarge) || inventory.ErrorCode(err) != inventory.EUnavailable {
		t.Fatalf("error %v, want ErrBodyTooLarge as upstream_unavailable", err)
	}
	if n := len(rec.statuses()); n != 1 {
		t.Errorf("%d attempts; an oversized body is not retried", n)
	}
	if _, err := c.Stats(context.Background()); err != nil {
		t.Errorf("a small body under the cap failed: %v", err)
	}
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	s := newSim(t, 10)
	s.SetFaults(hriznsim.Faults{FailNext: 5, ErrorStatus: 503, Endpoints: []string{EndpointStats}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A backoff of at least an hour: only the cancellation can end the wait.
	c, rec := newTestClient(t, s.URL, keyRW, func(o *Options) { o.MinBackoff, o.MaxBackoff = time.Hour, time.Hour })
	c.jitter = func(n int64) int64 { return n - 1 }
	// Cancel a little after the first attempt, while the client is sleeping off its backoff
	// (the outcome is the same should it land earlier).
	rec.hook = func(attempt) {
		go func() {
			time.Sleep(20 * time.Millisecond)
			cancel()
		}()
	}
	_, err := c.Stats(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if inventory.ErrorCode(err) != inventory.EUnavailable {
		t.Errorf("code %q, want upstream_unavailable", inventory.ErrorCode(err))
	}
	if n := len(rec.statuses()); n != 1 {
		t.Errorf("%d attempts after cancellation, want 1", n)
	}
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	s := newSim(t, 10)
	s.SetFaults(hriznsim.Faults{LatencyMS: 2000, Endpoints: []string{EndpointStats}})
	c, rec := newTestClient(t, s.URL, keyRW, func(o *Options) { o.Timeout = 50 * time.Millisecond; o.MaxRetries = 1 })
	_, err := c.Stats(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) || inventory.ErrorCode(err) != inventory.EUnavailable {
		t.Fatalf("error %v, want a deadline as upstream_unavailable", err)
	}
	if got := rec.statuses(); !slices.Equal(got, []int{0, 0}) {
		t.Errorf("attempts %v, want two timeouts", got)
	}
}

// TestKeyNeverInErrorsOrLogs formats every kind of error the client makes, and its debug log,
// and looks for the key.
func TestKeyNeverInErrorsOrLogs(t *testing.T) {
	const secret = "hzk_sim_rw"
	s := newSim(t, 10)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mk := func(base string, mod func(*Options)) *Client {
		c, _ := newTestClient(t, base, secret, func(o *Options) {
			o.Logger = logger
			o.MaxRetries = 1
			if mod != nil {
				mod(o)
			}
		})
		return c
	}
	c := mk(s.URL, nil)
	ctx := context.Background()
	vin := s.Vehicles(mainSite)[0].VIN
	var errs []error
	add := func(err error) {
		if err == nil {
			t.Error("a failure case did not fail")
			return
		}
		errs = append(errs, err)
	}
	for _, f := range []hriznsim.Faults{
		{FailNext: 9, ErrorStatus: 500}, {FailNext: 1, ErrorStatus: 401}, {FailNext: 1, ErrorStatus: 403},
		{RateLimitNext: 1, RetryAfterS: 600}, {Malformed: true}, {Truncate: true}, {DropConnection: true},
	} {
		s.SetFaults(f)
		_, err := c.Details(ctx, vin)
		add(err)
	}
	s.SetFaults(hriznsim.Faults{})
	_, err := mk(s.URL, func(o *Options) { o.MaxBodyBytes = 10 }).Stats(ctx)
	add(err)
	_, err = mk("http://127.0.0.1:1/v1", nil).Stats(ctx) // nothing listens on port 1
	add(err)
	_, err = c.GenerateBatch(ctx, []string{secret})
	add(err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.List(cctx, ListParams{})
	add(err)
	_, _, _, err = c.Do(ctx, "GET", "/x/"+secret, nil)
	add(err)

	for _, err := range errs {
		for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
			if text := fmt.Sprintf(verb, err); strings.Contains(text, secret) && verb != "%#v" {
				t.Errorf("%s of an error shows the key: %s", verb, text)
			}
		}
		if m := inventory.ErrorMessage(err); strings.Contains(m, secret) {
			t.Errorf("caller-safe message shows the key: %s", m)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the log shows the key:\n%s", logs.String())
	}
	if logs.Len() == 0 {
		t.Error("nothing was logged; the log check proves nothing")
	}
}

func TestScrubRedactsKeyEvenInCauses(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1/v1", "hzk_secret_value", nil)
	cause := errors.New(`Get "http://h/?key=hzk_secret_value": refused`)
	err := c.scrub(unavailable("stats", cause))
	for _, verb := range []string{"%v", "%+v", "%s"} {
		if text := fmt.Sprintf(verb, err); strings.Contains(text, "hzk_secret_value") {
			t.Errorf("%s shows the key: %s", verb, text)
		}
	}
	if !errors.Is(err, cause) || inventory.ErrorCode(err) != inventory.EUnavailable {
		t.Errorf("scrubbing lost the chain: %v", err)
	}
}
