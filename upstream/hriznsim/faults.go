package hriznsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// Faults is the trouble the simulator makes, set through SetFaults or POST /_sim/faults (which
// replace the whole set). A boolean fault hits every request it applies to; a *_next count hits
// that many requests and then stops. Faults apply only to API requests, after they are counted.
type Faults struct {
	LatencyMS      int      `json:"latency_ms,omitempty"`      // delay before answering
	ErrorRate      float64  `json:"error_rate,omitempty"`      // 0-1: share of requests that fail, a sequence fixed by the seed
	ErrorStatus    int      `json:"error_status,omitempty"`    // status of failures (default 500)
	FailNext       int      `json:"fail_next,omitempty"`       // the next N requests fail with ErrorStatus
	RateLimitNext  int      `json:"rate_limit_next,omitempty"` // the next N requests get 429
	RetryAfterS    int      `json:"retry_after_s,omitempty"`   // Retry-After of a 429 (default 1)
	Malformed      bool     `json:"malformed,omitempty"`       // bodies are neither JSON nor XML
	MalformedNext  int      `json:"malformed_next,omitempty"`
	Truncate       bool     `json:"truncate,omitempty"` // bodies are cut in half
	TruncateNext   int      `json:"truncate_next,omitempty"`
	DropConnection bool     `json:"drop_connection,omitempty"` // close the connection without answering
	DropNext       int      `json:"drop_next,omitempty"`
	Endpoints      []string `json:"endpoints,omitempty"` // limit faults to these endpoints; empty = all

	// Pagination faults; they touch list answers only.
	ListStopEarly     bool `json:"list_stop_early,omitempty"`      // a page with more to come says has_more:false
	ListStopEarlyNext int  `json:"list_stop_early_next,omitempty"` // the next N list requests do so
	ListTotalCount    int  `json:"list_total_count,omitempty"`     // answer this total_count instead of the true one
	ListCursorChurn   bool `json:"list_cursor_churn,omitempty"`    // every page: the first page again, has_more and a cursor never sent before

	// Vehicle faults: they hit the first N listed vehicles of a site (by VIN), in every answer
	// of the endpoints they name.
	BadTypes        int `json:"bad_types,omitempty"`         // list, details and JSON feed: "year":"twenty" or the price as a string, alternately
	DetailsNotFound int `json:"details_not_found,omitempty"` // details answer 404 though the list shows them
	DetailsWrongVIN int `json:"details_wrong_vin,omitempty"` // details answer with the next listed vehicle
}

// Validate reports the first field out of range.
func (f Faults) Validate() error {
	switch {
	case f.LatencyMS < 0:
		return errors.New("hriznsim: latency_ms must not be negative")
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return errors.New("hriznsim: error_rate must be between 0 and 1")
	case f.ErrorStatus != 0 && (f.ErrorStatus < 400 || f.ErrorStatus > 599):
		return errors.New("hriznsim: error_status must be between 400 and 599")
	case f.FailNext < 0 || f.RateLimitNext < 0 || f.MalformedNext < 0 || f.TruncateNext < 0 || f.DropNext < 0 ||
		f.ListStopEarlyNext < 0:
		return errors.New("hriznsim: the *_next counts must not be negative")
	case f.RetryAfterS < 0:
		return errors.New("hriznsim: retry_after_s must not be negative")
	case f.ListTotalCount < 0:
		return errors.New("hriznsim: list_total_count must not be negative")
	case f.BadTypes < 0 || f.DetailsNotFound < 0 || f.DetailsWrongVIN < 0:
		return errors.New("hriznsim: bad_types, details_not_found and details_wrong_vin must not be negative")
	}
	for _, e := range f.Endpoints {
		if !slices.Contains(Endpoints(), e) {
			return fmt.Errorf("hriznsim: unknown endpoint %q in endpoints", e)
		}
	}
	return nil
}

// SetFaults replaces the fault set and restarts the error-rate sequence. Out-of-range values
// are brought into range (the HTTP route rejects them instead, see Validate).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetFaultsLocked(f)
}

// CurrentFaults returns the fault set as it stands, with *_next counts already used up.
func (s *Server) CurrentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.Endpoints = slices.Clone(f.Endpoints)
	return f
}

func (s *Server) resetFaultsLocked(f Faults) {
	f.ErrorRate = min(max(f.ErrorRate, 0), 1)
	if f.ErrorStatus < 400 || f.ErrorStatus > 599 {
		f.ErrorStatus = 0
	}
	f.Endpoints = slices.Clone(f.Endpoints)
	s.faults = f
	s.faultRNG = rand.New(rand.NewPCG(uint64(s.seed), 0xfa175))
}

// faultPlan is what the faults do to one request, decided when it arrives.
type faultPlan struct {
	latency    time.Duration
	drop       bool
	status     int // an error status to answer with instead of the endpoint
	retryAfter int
	malformed  bool
	truncate   bool
	list       listFaults
	vehicles   vehicleFaults
}

// vehicleFaults are the per-vehicle faults that hit one request: each counts the first listed
// vehicles it touches.
type vehicleFaults struct {
	badTypes, notFound, wrongVIN int
}

// listFaults are the pagination faults that hit one list request.
type listFaults struct {
	stopEarly bool
	total     int // 0 = the true total_count
	churn     int // > 0: answer with churn cursor number churn
}

// begin counts a request to the endpoint and decides which faults hit it.
func (s *Server) begin(endpoint string) faultPlan {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[endpoint]++
	s.total++
	f := &s.faults
	if len(f.Endpoints) > 0 && !slices.Contains(f.Endpoints, endpoint) {
		return faultPlan{}
	}
	p := faultPlan{latency: time.Duration(f.LatencyMS) * time.Millisecond}
	if f.DropConnection || take(&f.DropNext) {
		p.drop = true
		return p
	}
	switch {
	case take(&f.RateLimitNext):
		p.status, p.retryAfter = http.StatusTooManyRequests, max(f.RetryAfterS, 1)
	case take(&f.FailNext) || (f.ErrorRate > 0 && s.faultRNG.Float64() < f.ErrorRate):
		p.status = f.ErrorStatus
		if p.status == 0 {
			p.status = http.StatusInternalServerError
		}
	}
	p.malformed = f.Malformed || take(&f.MalformedNext)
	p.truncate = f.Truncate || take(&f.TruncateNext)
	p.vehicles = vehicleFaults{badTypes: f.BadTypes, notFound: f.DetailsNotFound, wrongVIN: f.DetailsWrongVIN}
	if endpoint == EndpointList {
		p.list.stopEarly = f.ListStopEarly || take(&f.ListStopEarlyNext)
		p.list.total = f.ListTotalCount
		if f.ListCursorChurn {
			s.churn++
			p.list.churn = s.churn
		}
	}
	return p
}

// take uses up one of a *_next count.
func take(n *int) bool {
	if *n > 0 {
		*n--
		return true
	}
	return false
}

// applyFaults waits out the latency and answers a request that a fault takes over; it reports
// whether the endpoint should still answer.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, p faultPlan) bool {
	if p.latency > 0 {
		t := time.NewTimer(p.latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		case <-s.ctx.Done():
		}
	}
	if p.drop {
		dropConnection(w)
		return false
	}
	if p.status == 0 {
		return true
	}
	var resp *response
	if p.status == http.StatusTooManyRequests {
		resp = errorResponse(p.status, inventory.ERateLimited, "Rate limit exceeded",
			map[string]any{"retry_after_s": p.retryAfter})
		resp.header.Set("Retry-After", strconv.Itoa(p.retryAfter))
	} else {
		resp = errorResponse(p.status, codeFor(p.status), "Simulated failure: "+http.StatusText(p.status), nil)
	}
	p.mangle(resp)
	resp.write(w)
	return false
}

// codeFor is the error code the upstream would use with a status: inventory's one table, except
// that the upstream calls every 5xx of its own internal_error.
func codeFor(status int) string {
	if status >= 500 {
		return inventory.EInternal
	}
	if code := inventory.CodeOf(status); code != "" {
		return code
	}
	return "error"
}

// malformedBody is what a malformed answer carries: neither JSON nor XML, like the error page
// of a proxy that sits in front of an API.
const malformedBody = "Service hiccup -- this body is neither JSON nor XML {\"data\": ["

// mangle applies the body faults to a rendered answer; Content-Length follows from the body.
func (p faultPlan) mangle(resp *response) {
	if p.malformed {
		resp.body = []byte(malformedBody)
	}
	if p.truncate {
		resp.body = resp.body[:len(resp.body)/2]
	}
}

// dropConnection closes the connection without an answer.
func dropConnection(w http.ResponseWriter) {
	// The controller finds a Hijacker behind wrapping writers that offer Unwrap.
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	// Not hijackable (HTTP/2, a recorder): abort the handler, which resets the stream.
	panic(http.ErrAbortHandler)
}
