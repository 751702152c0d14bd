// Package upstream is feedgate's client for the Hrizn public inventory API: the seven
// endpoints, a raw pass-through for the drop-in write API, a retry policy that honours 429 and
// rides out 5xx and network trouble, and the sync strategies that turn the API into an
// inventory.Snapshot.
//
// A Client holds one upstream key (each tenant has its own); many Clients share one
// *http.Client. The key is sent in the X-API-Key header only and never appears in an error or a
// log line.
package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxRetries    = 3
	DefaultMinBackoff    = 200 * time.Millisecond
	DefaultMaxBackoff    = 10 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
	DefaultMaxBodyBytes  = 64 << 20
	DefaultUserAgent     = "feedgate (+https://github.com/feedgate/feedgate)"
)

// Endpoint names, as passed to Observer and counted in SyncReport.
const (
	EndpointList        = "list"
	EndpointDetails     = "details"
	EndpointDescription = "description"
	EndpointFeed        = "feed"
	EndpointStats       = "stats"
	EndpointGenerate    = "generate"
	EndpointBatch       = "batch"
)

// inventoryPath is the prefix of every path the client may send the key to.
const inventoryPath = "/public/inventory"

// Observer sees every HTTP attempt the client makes; the gateway exports them as metrics.
type Observer interface {
	// ObserveRequest is called once per attempt with the endpoint name, the HTTP status (0 when
	// no response arrived), how long the attempt took and its error (nil on success).
	ObserveRequest(endpoint string, status int, d time.Duration, err error)
}

// Options configures a Client. Zero values take the Default* constants.
type Options struct {
	// BaseURL is the API root, e.g. "https://api.app.hrizn.io/v1"; paths are appended to it.
	BaseURL string
	// APIKey is the tenant's upstream key; required.
	APIKey string
	// HTTPClient is shared between clients; nil uses a new client on http.DefaultTransport.
	// The client never follows redirects, whatever HTTPClient says, so the key stays on BaseURL's host.
	HTTPClient *http.Client
	// Timeout bounds one attempt (request and reading the body).
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt may be repeated; negative means never.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff; each wait is drawn uniformly
	// from zero to the current bound (full jitter).
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out; a longer one gives up.
	MaxRetryAfter time.Duration
	// MaxBodyBytes caps a response body; a larger body is an error, never a truncated parse.
	MaxBodyBytes int64
	// UserAgent is sent with every request.
	UserAgent string
	// Observer sees every attempt; nil observes nothing.
	Observer Observer
	// Logger receives retry and failure notes; nil discards them.
	Logger *slog.Logger
}

// Client calls the Hrizn API with one key. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	key    string
	http   *http.Client
	opts   Options
	obs    Observer
	log    *slog.Logger
	now    func() time.Time
	jitter func(n int64) int64
}

// NewClient checks opts, fills in defaults and returns a Client.
func NewClient(opts Options) (*Client, error) {
	if strings.TrimSpace(opts.APIKey) == "" {
		return nil, errors.New("upstream: an API key is required")
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("upstream: base URL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("upstream: base URL %q must not carry a query, fragment or user", opts.BaseURL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	} else if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	// A shallow copy shares the transport (and its connection pool) but lets this client refuse
	// redirects: net/http would forward X-API-Key to whatever host a redirect names.
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	obs := opts.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		base: base, key: opts.APIKey, http: &own, opts: opts, obs: obs, log: log,
		now: time.Now, jitter: randInt64N,
	}, nil
}

type nopObserver struct{}

func (nopObserver) ObserveRequest(string, int, time.Duration, error) {}

// Do sends a raw request to path (relative to BaseURL, starting with "/public/inventory", an
// optional query included) with the client's key, size cap and retry policy, and returns the
// upstream's answer whatever its status: the drop-in write API passes it through unchanged.
// GETs are retried like the typed endpoints; a POST is repeated only when it cannot have reached
// the server, or on 429 with a Retry-After within MaxRetryAfter. err is non-nil only when no
// usable answer arrived.
func (c *Client) Do(ctx context.Context, method, path string, body []byte) (status int, header http.Header, respBody []byte, err error) {
	method = strings.ToUpper(method)
	if method != http.MethodGet && method != http.MethodPost && method != http.MethodHead {
		return 0, nil, nil, fmt.Errorf("upstream: method %s is not passed through", method)
	}
	rel, err := url.Parse(path)
	if err != nil || rel.Scheme != "" || rel.Host != "" || rel.User != nil ||
		(rel.Path != inventoryPath && !strings.HasPrefix(rel.Path, inventoryPath+"/")) ||
		strings.Contains(rel.Path, "/../") || strings.HasSuffix(rel.Path, "/..") {
		return 0, nil, nil, c.scrub(fmt.Errorf("upstream: path %q is not an inventory API path", path))
	}
	rq := request{
		endpoint: endpointOf(method, rel.Path),
		method:   method, path: rel.EscapedPath(), query: rel.Query(), body: body,
		accept: "*/*", // a pass-through takes whatever the upstream answers (the XML feed, say)
	}
	resp, err := c.exchange(ctx, rq, nil)
	if resp != nil {
		return resp.status, resp.header, resp.body, nil
	}
	return 0, nil, nil, err
}

// endpointOf names the endpoint a raw path belongs to, for metrics.
func endpointOf(method, path string) string {
	rest := strings.Trim(strings.TrimPrefix(path, inventoryPath), "/")
	switch {
	case method == http.MethodPost && rest == "descriptions/batch":
		return EndpointBatch
	case method == http.MethodPost:
		return EndpointGenerate
	case rest == "":
		return EndpointList
	case rest == "feed":
		return EndpointFeed
	case rest == "stats":
		return EndpointStats
	case strings.HasSuffix(rest, "/description"):
		return EndpointDescription
	}
	return EndpointDetails
}

// request is one logical call, possibly sent several times.
type request struct {
	endpoint string
	method   string
	path     string // escaped, relative to the base URL
	query    url.Values
	body     []byte
	accept   string
}

// response is an answer that arrived whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) url(rq request) string {
	s := c.base.String() + rq.path
	if len(rq.query) > 0 {
		s += "?" + rq.query.Encode()
	}
	return s
}

// send makes one attempt: one HTTP exchange under the attempt timeout, body read whole.
func (c *Client) send(ctx context.Context, rq request) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, c.url(rq), body)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("X-API-Key", c.key)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	accept := rq.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if rq.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.opts.MaxBodyBytes {
		return nil, fmt.Errorf("%w: Content-Length %d over the %d-byte cap", ErrBodyTooLarge, resp.ContentLength, c.opts.MaxBodyBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if int64(len(data)) > c.opts.MaxBodyBytes {
		return nil, fmt.Errorf("%w: over the %d-byte cap", ErrBodyTooLarge, c.opts.MaxBodyBytes)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}
