package hriznsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// Keys of the default key set.
const (
	keyRW    = "hzk_sim_rw"
	keyRead  = "hzk_sim_read"
	keyWrite = "hzk_sim_write"
	keyOther = "hzk_sim_other"
)

const docVIN = "1HGBH41JXMN109186"

// startSim serves a simulator over real HTTP for the test's lifetime.
func startSim(t *testing.T, opts hriznsim.Options) (*hriznsim.Server, *httptest.Server) {
	t.Helper()
	sim := hriznsim.New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(func() {
		ts.Close()
		sim.Close()
	})
	return sim, ts
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// call makes one request; key "" sends none.
func call(t *testing.T, ts *httptest.Server, method, path, key, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode unmarshals a result's body, failing the test if it is not JSON.
func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not the expected JSON: %v\n%s", err, r.body)
	}
	return v
}

type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}
