package upstream

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// Keys the simulator accepts by default.
const (
	keyRW    = "hzk_sim_rw"
	keyRead  = "hzk_sim_read"
	keyWrite = "hzk_sim_write"
	keyOther = "hzk_sim_other"
	keyBad   = "hzk_not_a_real_key_0123456789"
	mainSite = ""
)

// sim is a simulator served over real HTTP on a loopback port.
type sim struct {
	*hriznsim.Server
	URL string
}

func newSim(t testing.TB, vehicles int) *sim {
	t.Helper()
	return newSimWith(t, hriznsim.Options{Vehicles: vehicles, Seed: 7})
}

// newSimWith is newSim with every simulator option.
func newSimWith(t testing.TB, opts hriznsim.Options) *sim {
	t.Helper()
	s := hriznsim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return &sim{Server: s, URL: srv.URL + "/v1"}
}

// attempt is one ObserveRequest call.
type attempt struct {
	endpoint string
	status   int
	err      error
}

// recorder is an Observer that keeps every attempt and can run a hook on each.
type recorder struct {
	mu       sync.Mutex
	attempts []attempt
	hook     func(attempt)
}

func (r *recorder) ObserveRequest(endpoint string, status int, _ time.Duration, err error) {
	r.mu.Lock()
	a := attempt{endpoint, status, err}
	r.attempts = append(r.attempts, a)
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		hook(a)
	}
}

func (r *recorder) statuses() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, len(r.attempts))
	for i, a := range r.attempts {
		out[i] = a.status
	}
	return out
}

// newTestClient is a client with test-sized backoffs; mod may change the options further.
func newTestClient(t testing.TB, baseURL, key string, mod func(*Options)) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts := Options{
		BaseURL: baseURL, APIKey: key, Observer: rec,
		Timeout: 10 * time.Second, MaxRetries: 3,
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		MaxRetryAfter: 5 * time.Second,
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}
