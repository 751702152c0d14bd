package gateway

import (
	"log/slog"
	"testing"
)

func TestAccessLevel(t *testing.T) {
	for _, tc := range []struct {
		route  string
		status int
		want   slog.Level
	}{
		{"/healthz", 200, slog.LevelDebug},
		{"/readyz", 200, slog.LevelDebug},
		{"/metrics", 200, slog.LevelDebug},
		{"/metrics", 401, slog.LevelDebug},
		{"/readyz", 503, slog.LevelInfo}, // draining: worth seeing, not an error
		{"/metrics", 500, slog.LevelError},
		{"/feeds/:tenant/:feed", 200, slog.LevelInfo},
		{"/feeds/:tenant/:feed", 404, slog.LevelInfo},
		{"/feeds/:tenant/:feed", 503, slog.LevelError},
		{"unmatched", 404, slog.LevelInfo},
	} {
		if got := accessLevel(tc.route, tc.status); got != tc.want {
			t.Errorf("accessLevel(%s, %d) = %v, want %v", tc.route, tc.status, got, tc.want)
		}
	}
}
