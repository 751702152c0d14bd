package gateway_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedgate/feedgate/cache"
	"github.com/feedgate/feedgate/gateway"
	"github.com/feedgate/feedgate/internal/bridge"
	"github.com/feedgate/feedgate/internal/syncbuf"
)

// restart builds a new gateway, as a restart would, for the test configuration with extra
// top-level keys, logging to logs; it shares the env's upstream and formats.
func (e *env) restart(t *testing.T, extra string, logs io.Writer) *gateway.Server {
	t.Helper()
	c, err := cache.New(cache.Options{FreshFor: time.Minute, ServeStaleFor: time.Hour}, nil, nil, e.syncer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	srv, err := gateway.New(gateway.Options{Config: parseConfig(t, e.keys.config(0)+extra, e.formats)},
		gateway.Deps{Store: bridge.Store{C: c}, Formats: e.formats, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestTrustedProxies: X-Forwarded-For names the client only when the peer is a configured
// proxy; by default the peer's own address is logged, whatever the header claims.
func TestTrustedProxies(t *testing.T) {
	e := newEnv(t, 0)
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"no trusted proxies", "", `"remote":"192.0.2.1"`},
		{"another proxy is trusted", "trusted_proxies: [10.0.0.0/8]\n", `"remote":"192.0.2.1"`},
		{"the peer is a trusted proxy", "trusted_proxies: [192.0.2.0/24]\n", `"remote":"6.6.6.6"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			srv := e.restart(t, tc.extra, logs)
			req := httptest.NewRequest("GET", "/feeds/sunset/export", nil) // from 192.0.2.1
			req.Header.Set("X-API-Key", e.keys["export"])
			req.Header.Set("X-Forwarded-For", "6.6.6.6")
			srv.ServeHTTP(httptest.NewRecorder(), req)
			if !strings.Contains(logs.String(), tc.want) {
				t.Errorf("log lacks %s:\n%s", tc.want, logs.String())
			}
		})
	}
}
