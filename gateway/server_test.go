package gateway_test

import (
	"io"
	"net/http"
	"testing"
)

// TestServeDrainsThenStops: Serve answers until its context ends, then keeps serving with
// /readyz at 503 and Connection: close for the shutdown delay, then stops without an error.
func TestServeDrainsThenStops(t *testing.T) {
	e := newEnv(t, 0)
	if e.srv.Config().ShutdownDelay <= 0 {
		t.Fatal("the test configuration has no shutdown delay")
	}
	addr, stop := serveOn(t, e.srv.Serve)
	stopped := make(chan error, 1)
	get := func(path string) (*http.Response, error) {
		resp, err := http.Get("http://" + addr + path)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if resp, err := get("/readyz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz while serving: %v %v", resp, err)
	}
	go func() { stopped <- stop() }()
	for {
		resp, err := get("/readyz")
		if err != nil {
			t.Fatalf("the listener closed before /readyz said 503: %v", err)
		}
		if resp.StatusCode == 503 {
			if !resp.Close {
				t.Error("a draining answer does not close its connection")
			}
			break
		}
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := get("/healthz"); err == nil {
		t.Error("the listener still answers after Serve returned")
	}
}
