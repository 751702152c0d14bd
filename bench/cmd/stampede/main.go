// Command stampede sends a bounded number of concurrent cold requests for one feed, spread over
// one or more servers, and reports how many upstream calls the Hrizn simulator counted for them:
// the measure of upstream amplification. Every request has its own connection and all of them
// are released at once, after every connection is up. The result is one JSON line on stdout for
// bench/cmd/report.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/feedgate/feedgate/bench/internal/cli"
)

// result is one stampede, a line of the report's amplification table.
type result struct {
	Table    string         `json:"table"`
	Name     string         `json:"name"`
	Servers  int            `json:"servers"`
	Requests int            `json:"requests"`
	Statuses map[string]int `json:"statuses"`
	// Upstream is the simulator's per-endpoint count of calls made while the stampede ran.
	Upstream      map[string]int `json:"upstream"`
	UpstreamTotal int            `json:"upstream_total"`
	// UpstreamBefore is what the simulator had counted before the stampede; anything but 0
	// means the servers were not cold.
	UpstreamBefore int     `json:"upstream_before"`
	P50MS          float64 `json:"p50_ms"`
	MaxMS          float64 `json:"max_ms"`
	ElapsedMS      float64 `json:"elapsed_ms"`
	// Bodies counts the distinct response bodies seen among the 200s (1 = every client got the
	// same feed).
	Bodies int `json:"bodies"`
}

// simStats is the simulator's GET /_sim/stats answer.
type simStats struct {
	Requests map[string]int `json:"requests"`
	Total    int            `json:"total"`
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("stampede", flag.ContinueOnError)
	name := fs.String("name", "", "name of this case in the report")
	urls := fs.String("urls", "", "comma-separated feed URLs; requests are spread evenly over them")
	sim := fs.String("sim", "", "simulator base URL, e.g. http://127.0.0.1:9090 (its counts are reset first)")
	key := fs.String("key", "", "value of the X-API-Key header")
	n := fs.Int("n", 1000, "number of concurrent requests (at most 5000)")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on the whole stampede")
	if err := fs.Parse(args); err != nil {
		return err
	}
	targets := strings.Split(*urls, ",")
	if *urls == "" || *sim == "" || *n < 1 || *n > 5000 {
		return errors.New("stampede: -urls, -sim and 1 <= -n <= 5000 are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{
		// One connection per request: the point is many clients arriving at once.
		DisableKeepAlives: true, MaxConnsPerHost: 0,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
	before, err := simCounts(ctx, hc, *sim)
	if err != nil {
		return err
	}
	if _, err := call(ctx, hc, "POST", *sim+"/_sim/stats/reset"); err != nil {
		return err
	}

	r := result{Table: "amplification", Name: *name, Servers: len(targets), Requests: *n,
		Statuses: map[string]int{}, UpstreamBefore: before.Total}
	var (
		mu     sync.Mutex
		lat    []time.Duration
		bodies = map[string]bool{}
		wg     sync.WaitGroup
		ready  sync.WaitGroup
		gate   = make(chan struct{})
	)
	ready.Add(*n)
	for i := range *n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, d := fetch(ctx, hc, targets[i%len(targets)], *key, &ready, gate)
			mu.Lock()
			defer mu.Unlock()
			r.Statuses[status]++
			lat = append(lat, d)
			if status == "200" {
				bodies[body] = true
			}
		}()
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	wg.Wait()
	r.ElapsedMS = cli.Millis(time.Since(start))
	r.Bodies = len(bodies)
	slices.Sort(lat)
	r.P50MS, r.MaxMS = cli.Millis(lat[len(lat)/2]), cli.Millis(lat[len(lat)-1])

	st, err := simCounts(ctx, hc, *sim)
	if err != nil {
		return err
	}
	r.Upstream, r.UpstreamTotal = st.Requests, st.Total
	for k, v := range r.Upstream {
		if v == 0 {
			delete(r.Upstream, k)
		}
	}
	return json.NewEncoder(stdout).Encode(r)
}

// fetch prepares one request, reports ready, and sends it when the gate opens, so that every
// client's connection and request arrive together, as they do when a cold feed is announced.
func fetch(ctx context.Context, hc *http.Client, url, key string, ready *sync.WaitGroup, gate chan struct{}) (status, bodyHash string, d time.Duration) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		ready.Done()
		return "error", "", 0
	}
	req.Header.Set("X-API-Key", key)
	// Asked explicitly, as feed fetchers do, so that the transport passes the gzip bytes through:
	// decoding 1,000 copies of a large feed costs the client more CPU than the stampede itself.
	req.Header.Set("Accept-Encoding", "gzip")
	ready.Done()
	<-gate
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return "error", "", time.Since(start)
	}
	defer resp.Body.Close()
	h := sha256.New() // hashed as it arrives: 1,000 bodies are never held at once
	_, err = io.Copy(h, resp.Body)
	d = time.Since(start)
	if err != nil {
		return "error", "", d
	}
	return fmt.Sprint(resp.StatusCode), hex.EncodeToString(h.Sum(nil)), d
}

// simCounts reads the simulator's request counts.
func simCounts(ctx context.Context, hc *http.Client, sim string) (simStats, error) {
	var st simStats
	b, err := call(ctx, hc, "GET", sim+"/_sim/stats")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("stampede: read simulator stats: %w", err)
	}
	return st, nil
}

// call makes a control request to the simulator and returns the body of its 200 answer.
func call(ctx context.Context, hc *http.Client, method, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, fmt.Errorf("stampede: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("stampede: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("stampede: %s %s: %w", method, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("stampede: %s %s: status %d", method, url, resp.StatusCode)
	}
	return b, nil
}
