package config

import (
	"context"
	"os"
	"path/filepath"
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
