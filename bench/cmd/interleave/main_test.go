package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counting serves body to requests that carry the X-Test header, counting them.
func counting(t *testing.T, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test") != "yes" {
			http.Error(w, "no header", http.StatusBadRequest)
			return
		}
		n.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestTakesTurnsAndReadsWholeAnswers(t *testing.T) {
	a, na := counting(t, strings.Repeat("a", 70000))
	b, nb := counting(t, strings.Repeat("b", 70000))
	var out strings.Builder
	if err := run([]string{"-d", "50ms", "-warm", "3", "-header", "X-Test: yes", a.URL + "/x", b.URL + "/x"}, &out); err != nil {
		t.Fatal(err)
	}
	var res result
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Turns < 1 || len(res.Servers) != 2 {
		t.Fatalf("result %+v", res)
	}
	// Each server answered the warm-up and every turn, on one connection: a short read would
	// have desynchronised the next answer's status line and failed the run.
	if na.Load() != nb.Load() || na.Load() < int64(3+res.Turns) {
		t.Errorf("requests: %d and %d, want the same and at least 3 + %d turns", na.Load(), nb.Load(), res.Turns)
	}
	first, second := res.Servers[0], res.Servers[1]
	if first.Body != 70000 || second.Body != 70000 || first.Ratio != 1 || first.MeanUS <= 0 {
		t.Errorf("first server %+v", first)
	}
	if !(second.RatioLo <= second.Ratio && second.Ratio <= second.RatioHi && second.Ratio > 0) {
		t.Errorf("second server's ratio %v outside its interval [%v, %v]", second.Ratio, second.RatioLo, second.RatioHi)
	}
}

func TestRefusesWhatItCannotCompare(t *testing.T) {
	ok, _ := counting(t, "same")
	longer, _ := counting(t, "longer")
	missing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(missing.Close)
	chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("same"))
		w.(http.Flusher).Flush() // sent before its length is known: chunked
	}))
	t.Cleanup(chunked.Close)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"one URL":          {[]string{ok.URL}, "usage"},
		"no connections":   {[]string{"-c", "0", ok.URL, ok.URL}, "want 1 to 1024 connections"},
		"not http":         {[]string{ok.URL, "https://example.com/"}, "want an http:// URL"},
		"header injection": {[]string{"-header", "X-Test: yes\r\nX-Other: 1", ok.URL, ok.URL}, "on one line"},
		"a 404":            {[]string{"-header", "X-Test: yes", ok.URL, missing.URL}, `answered "HTTP/1.1 404 Not Found"`},
		"no length":        {[]string{"-header", "X-Test: yes", ok.URL, chunked.URL}, "sent no Content-Length"},
		"other answers":    {[]string{"-header", "X-Test: yes", ok.URL, longer.URL}, "must send the same answer"},
		"beyond the slack": {[]string{"-slack", "1", "-header", "X-Test: yes", ok.URL, longer.URL}, "must send the same answer (-slack 1)"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(append([]string{"-d", "10ms", "-warm", "1"}, tc.args...), &strings.Builder{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestBurstsSendOneRequestOnEachConnectionAtOnce: with -c 3 each turn sends three requests to a
// server, one on each of its three connections, and waits for all of them: the server sees them
// in flight together.
func TestBurstsSendOneRequestOnEachConnectionAtOnce(t *testing.T) {
	var mu sync.Mutex
	peers := map[string]map[string]int{} // server, then peer address: requests
	var inFlight, most atomic.Int64
	serve := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(2 * time.Millisecond) // long enough for the burst's others to arrive
			mu.Lock()
			if peers[name] == nil {
				peers[name] = map[string]int{}
			}
			peers[name][r.RemoteAddr]++
			mu.Unlock()
			w.Header().Set("Content-Length", "4")
			_, _ = w.Write([]byte("same"))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := serve("a"), serve("b")
	var out strings.Builder
	if err := run([]string{"-d", "30ms", "-warm", "2", "-c", "3", a.URL, b.URL}, &out); err != nil {
		t.Fatal(err)
	}
	var res result
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Conns != 3 || res.Turns < 1 {
		t.Fatalf("result %+v", res)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"a", "b"} {
		if len(peers[name]) != 3 {
			t.Errorf("server %s saw %d connections, want 3: %v", name, len(peers[name]), peers[name])
		}
		for peer, n := range peers[name] {
			if n < 2+res.Turns {
				t.Errorf("server %s, connection %s: %d requests, want one a turn (2 + %d)", name, peer, n, res.Turns)
			}
		}
	}
	if most.Load() < 2 {
		t.Errorf("at most %d requests in flight at once, want a burst's", most.Load())
	}
}

// TestSlackAdmitsAnswersThatDifferByAFewBytes: with -slack the answers may differ in length by
// that much, either way (feedgate + Redis's gzip feed against bare Gin's copy of the memory
// gateway's: the snapshot times differ), and each server's own length is reported.
func TestSlackAdmitsAnswersThatDifferByAFewBytes(t *testing.T) {
	a, _ := counting(t, "same")
	b, _ := counting(t, "longer")
	for _, urls := range [][2]string{{a.URL, b.URL}, {b.URL, a.URL}} {
		var out strings.Builder
		if err := run([]string{"-d", "10ms", "-warm", "1", "-slack", "2", "-header", "X-Test: yes", urls[0], urls[1]}, &out); err != nil {
			t.Fatal(err)
		}
		var res result
		if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		if got := [2]int64{res.Servers[0].Body, res.Servers[1].Body}; got[0]+got[1] != 10 || got[0] == got[1] {
			t.Errorf("bodies %v, want 4 and 6", got)
		}
	}
}

// TestRatioIsOfRequestsPerSecond: a server whose round trips take twice as long has half the
// first's requests/s, and with no spread its interval is that one value.
func TestRatioIsOfRequestsPerSecond(t *testing.T) {
	fast, slow := &server{body: 1}, &server{body: 1}
	for range 500 {
		fast.times = append(fast.times, 100*time.Microsecond)
		slow.times = append(slow.times, 200*time.Microsecond)
	}
	slow.times = append(slow.times, time.Hour) // an unpaired extra turn is left out
	res := summarise([]*server{fast, slow})
	if res.Turns != 500 {
		t.Errorf("turns %d, want 500", res.Turns)
	}
	s := res.Servers[1]
	if s.Ratio != 0.5 || s.RatioLo != 0.5 || s.RatioHi != 0.5 || s.MeanUS != 200 || s.MedianUS != 200 {
		t.Errorf("slow server %+v, want ratio 0.5 in [0.5, 0.5], 200 µs", s)
	}
}

// TestAServerThatStopsAnsweringEndsTheRun: the run's deadline turns a hung server into an error.
func TestAServerThatStopsAnsweringEndsTheRun(t *testing.T) {
	ok, _ := counting(t, "same")
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); hung.Close() })
	err := run([]string{"-d", "1ms", "-timeout", "300ms", "-header", "X-Test: yes", ok.URL, hung.URL}, &strings.Builder{})
	if err == nil ||
		!strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %v, want a timeout", err)
	}
}
