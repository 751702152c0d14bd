package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpandFromFile: ${VAR} falls back to the file VAR_FILE names, as secrets are mounted.
func TestExpandFromFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "upstream-key")
	if err := os.WriteFile(secret, []byte("hzk_from_a_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "tenants: [{id: a, upstream_key: \"${KEY}\", rate_limit: {per_minute: \"${RATE}\"}}]\n"
	c := mustParse(t, doc, map[string]string{"KEY_FILE": secret, "RATE_FILE": writeFile(t, dir, "rate", "90\r\n")})
	if got := c.Tenants[0].UpstreamKey.Reveal(); got != "hzk_from_a_file" {
		t.Errorf("upstream_key from KEY_FILE = %q", got)
	}
	if got := c.Tenants[0].RateLimit.PerMinute; got != 90 {
		t.Errorf("per_minute from RATE_FILE = %d", got)
	}
	// The variable itself wins over its _FILE.
	c = mustParse(t, doc, map[string]string{"KEY": "hzk_direct", "KEY_FILE": secret, "RATE": "5"})
	if got := c.Tenants[0].UpstreamKey.Reveal(); got != "hzk_direct" {
		t.Errorf("upstream_key with both set = %q", got)
	}
	_, err := Parse([]byte(doc), ParseOptions{Getenv: env(map[string]string{"KEY_FILE": filepath.Join(dir, "absent"), "RATE": "5"})})
	if err == nil || !strings.Contains(err.Error(), "tenants[0].upstream_key: environment variable KEY is not set, and KEY_FILE: open ") {
		t.Errorf("an unreadable KEY_FILE: %v", err)
	}
	if strings.Contains(err.Error(), "hzk_") {
		t.Errorf("the error shows a secret: %v", err)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
