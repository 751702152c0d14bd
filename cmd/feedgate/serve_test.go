package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProbeURL(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feedgate.yaml")
	if err := os.WriteFile(cfg, []byte("listen: \":9123\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, target, config, listen, want, err string
	}{
		{"a URL as given", "http://10.0.0.1:8080/readyz", "", "", "http://10.0.0.1:8080/readyz", ""},
		{"the configuration's port", "/readyz", cfg, "", "http://127.0.0.1:9123/readyz", ""},
		{"--listen wins", "/healthz", cfg, "0.0.0.0:7000", "http://127.0.0.1:7000/healthz", ""},
		{"a listen host", "/readyz", "", "[::1]:7001", "http://[::1]:7001/readyz", ""},
		{"no port to find", "/readyz", "", "", "", "needs --config or --listen"},
		{"a missing file", "/readyz", filepath.Join(dir, "absent.yaml"), "", "", "absent.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := probeURL(tc.target, tc.config, tc.listen)
			if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("probeURL = %q, %v; want %q, error with %q", got, err, tc.want, tc.err)
			}
		})
	}
}
