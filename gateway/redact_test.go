package gateway

import (
	"strings"
	"testing"
)

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"key": true, "KEY": true, "k%65y": true, "key[]": true, "%20key": true, "key%00": true, "api_key": true,
		"X-Api-Key": true, "k%2565y": true, "token": true, "access_token": true, "signature": true,
		"download": false, "monkee": false, "format": false, "": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestKeyShaped(t *testing.T) {
	for s, want := range map[string]bool{
		"fgk_abc": true, "FGK_abc": true, "xhzk_1": true, "Bearer hzk_x": true, "fgk": false, "fgkx_": false, "": false,
	} {
		if got := keyShaped(s); got != want {
			t.Errorf("keyShaped(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestMethodLabel(t *testing.T) {
	for m, want := range map[string]string{"GET": "GET", "POST": "POST", "get": "OTHER", "FGK_SECRET": "OTHER", "PROPFIND": "OTHER"} {
		if got := methodLabel(m); got != want {
			t.Errorf("methodLabel(%q) = %q, want %q", m, got, want)
		}
	}
}

func TestSecretSetQuery(t *testing.T) {
	c := newSecretSet(&state{keys: keyring{}}, map[string]struct{}{"upstream-secret": {}}, nil)
	for in, want := range map[string]string{
		"":                        "",
		"download=1":              "download=1",
		"key=fgk_secret":          "key=REDACTED",
		"a=1&KEY=x&b=2":           "a=1&KEY=REDACTED&b=2",
		"%6Bey=fgk_secret&x=key":  "%6Bey=REDACTED&x=key",
		"monkee=1":                "monkee=1",
		"x=upstream-secret":       "x=REDACTED",
		"x=upstream%2Dsecret":     "x=REDACTED",
		"x=%2566gk_abc":           "x=REDACTED",
		"fgk_abc&download=1":      "REDACTED&download=1",
		"key%5B%5D=1&format=json": "key%5B%5D=REDACTED&format=json",
	} {
		if got := c.query(in); got != want {
			t.Errorf("query(%q) = %q, want %q", in, got, want)
		}
	}
	if got := c.path("/feeds/fgk_abc/x"); got != "/feeds/REDACTED/x" {
		t.Errorf("path: %q", got)
	}
	if got := c.text("upstream said: bad key upstream-secret (Bearer hzk_live_1)"); got != "upstream said: bad key REDACTED (Bearer REDACTED)" {
		t.Errorf("text: %q", got)
	}
	// A User-Agent is masked like any text, the second time from the memo.
	for range 2 {
		if got := c.userAgent("curl/8.5 fgk_abc upstream-secret"); got != "curl/8.5 REDACTED REDACTED" {
			t.Errorf("userAgent: %q", got)
		}
	}
}

// TestMemoKeepsNoSecret: the redactor's memos of paths and User-Agents answer the same with a
// secret inside as without, but never keep a secret-bearing value as a key, where it would stay
// in memory as plain text for as long as the configuration serves (keys are stored hashed).
func TestMemoKeepsNoSecret(t *testing.T) {
	c := newSecretSet(&state{keys: keyring{}}, map[string]struct{}{"upstream-secret": {}}, nil)
	for range 2 { // the second round would be answered from the memo
		if got := c.userAgent("crawler/1 upstream-secret fgk_abc"); got != "crawler/1 REDACTED REDACTED" {
			t.Errorf("userAgent: %q", got)
		}
		if got := c.userAgent("Mozilla/5.0 (X11)"); got != "Mozilla/5.0 (X11)" {
			t.Errorf("userAgent: %q", got)
		}
		if got := c.path("/feeds/fgk_abc/x"); got != "/feeds/REDACTED/x" {
			t.Errorf("path: %q", got)
		}
		if got := c.path("/feeds/sunset/google"); got != "/feeds/sunset/google" {
			t.Errorf("path: %q", got)
		}
	}
	for k := range *c.agents.m.Load() {
		if strings.Contains(k, "secret") || strings.Contains(k, "fgk_") {
			t.Errorf("the User-Agent memo keeps %q", k)
		}
	}
	for k := range *c.paths.m.Load() {
		if strings.Contains(k, "fgk_") {
			t.Errorf("the path memo keeps %q", k)
		}
	}
	if len(*c.agents.m.Load()) != 1 || len(*c.paths.m.Load()) != 1 {
		t.Errorf("memos hold %d agents and %d paths, want the clean one of each", len(*c.agents.m.Load()), len(*c.paths.m.Load()))
	}
}
