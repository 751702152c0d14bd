package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeAtomically saves the way many editors do: a new file renamed over the old one.
func writeAtomically(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feedgate.yaml")
	if err := os.WriteFile(path, []byte("listen: \":8080\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	changes := make(chan *Config, 10)
	errs := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := Watch(ctx, path, ParseOptions{Getenv: env(nil)},
		func(c *Config) { changes <- c }, func(err error) { errs <- err }); err != nil {
		t.Fatal(err)
	}

	// A deadline so that a broken watch fails the test instead of hanging it.
	const deadline = 10 * time.Second

	steps := []struct {
		name, write string
		inPlace     bool
		wantListen  string // "" means an error is expected
	}{
		{"renamed over", "listen: \":9001\"\n", false, ":9001"},
		{"written in place", "listen: \":9002\"\n", true, ":9002"},
		{"invalid", "listen: \":9003\"\nbogus: 1\n", false, ""},
		{"valid again", "listen: \":9004\"\n", true, ":9004"},
	}
	for _, s := range steps {
		if s.inPlace {
			if err := os.WriteFile(path, []byte(s.write), 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			writeAtomically(t, path, s.write)
		}
		select {
		case c := <-changes:
			if s.wantListen == "" || c.Listen != s.wantListen {
				t.Fatalf("%s: onChange with listen %q, want %q", s.name, c.Listen, s.wantListen)
			}
		case err := <-errs:
			if s.wantListen != "" {
				t.Fatalf("%s: onError(%v), want a change", s.name, err)
			}
		case <-time.After(deadline):
			t.Fatalf("%s: no callback", s.name)
		}
	}
	select {
	case c := <-changes:
		t.Errorf("an extra onChange: %+v", c)
	case err := <-errs:
		t.Errorf("an extra onError: %v", err)
	default:
	}
}

func TestWatchMissingDirectory(t *testing.T) {
	err := Watch(context.Background(), filepath.Join(t.TempDir(), "nope", "f.yaml"), ParseOptions{},
		func(*Config) {}, func(error) {})
	if err == nil {
		t.Error("watching a file in a directory that does not exist must fail")
	}
}

func TestCheckReload(t *testing.T) {
	cfg := func(ids ...string) *Config {
		c := Default()
		for _, id := range ids {
			c.Tenants = append(c.Tenants, Tenant{ID: id})
		}
		return &c
	}
	for _, tc := range []struct {
		name          string
		running, next *Config
		refused       string // a substring of the error; "" means allowed
	}{
		{"first tenants", cfg(), cfg("a"), ""},
		{"still empty", cfg(), cfg(), ""},
		{"one added", cfg("a", "b"), cfg("a", "b", "c"), ""},
		{"half removed", cfg("a", "b", "c", "d"), cfg("a", "b"), ""},
		{"one of two removed", cfg("a", "b"), cfg("b"), ""},
		{"emptied", cfg("a", "b"), cfg(), "would remove every tenant (a, b)"},
		{"the only tenant removed", cfg("a"), cfg(), "every tenant (a)"},
		{"all renamed", cfg("a", "b"), cfg("x", "y"), "every tenant"},
		{"more than half removed", cfg("a", "b", "c", "d"), cfg("d"), "3 of 4 tenants (a, b, c)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckReload(tc.running, tc.next)
			switch {
			case tc.refused == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Errorf("got %v, want a refusal saying %q", err, tc.refused)
			case err != nil && !strings.HasPrefix(err.Error(), "config: tenants: "):
				t.Errorf("the error must name the key: %v", err)
			}
		})
	}
	many := cfg()
	for i := range 25 {
		many.Tenants = append(many.Tenants, Tenant{ID: fmt.Sprintf("t%02d", i)})
	}
	if err := CheckReload(many, cfg()); err == nil || !strings.Contains(err.Error(), "t09, and 15 more)") {
		t.Errorf("a long list is cut short: %v", err)
	}
}
