// Command freshness measures the cold path and freshness of one feed through a running gateway:
// the time its first (cold) request takes, then the time from a change in the upstream
// inventory (made through the Hrizn simulator's /_sim/inventory) to the gateway serving a feed
// with a new ETag. It polls with If-None-Match at a fixed interval, so the figure is accurate to
// that interval. The result is one JSON line on stdout for bench/cmd/report.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/feedgate/feedgate/bench/internal/cli"
)

// result is one freshness measurement.
type result struct {
	Table       string  `json:"table"`
	Name        string  `json:"name"`
	FreshFor    string  `json:"fresh_for"`
	ColdMS      float64 `json:"cold_ms"`
	ColdStatus  string  `json:"cold_status"`
	Changed     int     `json:"changed"`
	StaleMS     float64 `json:"stale_ms"` // change to first response with the new ETag
	Polls       int     `json:"polls"`
	PollEveryMS float64 `json:"poll_every_ms"`
	FinalStatus string  `json:"final_status"` // the Cache-Status of the first new response
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("freshness", flag.ContinueOnError)
	name := fs.String("name", "", "name of this case in the report")
	url := fs.String("url", "", "feed URL")
	key := fs.String("key", "", "value of the X-API-Key header")
	sim := fs.String("sim", "", "simulator base URL, e.g. http://127.0.0.1:9090")
	site := fs.String("site", "", "simulator site of the tenant (\"\" = the main site)")
	change := fs.Int("change", 50, "vehicles to change upstream")
	freshFor := fs.String("fresh-for", "", "the gateway's cache.fresh_for, for the report")
	every := fs.Duration("every", 25*time.Millisecond, "poll interval")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on the whole measurement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" || *sim == "" {
		return errors.New("freshness: -url and -sim are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	hc := &http.Client{}
	r := result{Table: "freshness", Name: *name, FreshFor: *freshFor, Changed: *change,
		PollEveryMS: cli.Millis(*every)}

	start := time.Now()
	status, etag, cs, err := get(ctx, hc, *url, *key, "")
	if err != nil {
		return err
	}
	r.ColdMS, r.ColdStatus = cli.Millis(time.Since(start)), cs
	if status != http.StatusOK {
		return fmt.Errorf("freshness: first request: status %d", status)
	}

	body, _ := json.Marshal(map[string]any{"site": *site, "change": *change})
	req, err := http.NewRequestWithContext(ctx, "POST", *sim+"/_sim/inventory", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("freshness: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("freshness: change the inventory: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("freshness: change the inventory: status %d", resp.StatusCode)
	}
	changedAt := time.Now()
	for {
		r.Polls++
		status, newTag, cs, err := get(ctx, hc, *url, *key, etag)
		if err != nil {
			return err
		}
		if status == http.StatusOK && newTag != etag {
			r.StaleMS, r.FinalStatus = cli.Millis(time.Since(changedAt)), cs
			break
		}
		if status != http.StatusOK && status != http.StatusNotModified {
			return fmt.Errorf("freshness: poll %d: status %d", r.Polls, status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("freshness: no new feed within %s of the change: %w", *timeout, ctx.Err())
		case <-time.After(*every):
		}
	}
	return json.NewEncoder(stdout).Encode(r)
}

// get fetches the feed, conditionally when etag is set, and returns the status, ETag and
// Cache-Status; the body is read and dropped.
func get(ctx context.Context, hc *http.Client, url, key, etag string) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", "", fmt.Errorf("freshness: %w", err)
	}
	req.Header.Set("X-API-Key", key)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", "", fmt.Errorf("freshness: GET feed: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, "", "", fmt.Errorf("freshness: read feed: %w", err)
	}
	return resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Cache-Status"), nil
}
