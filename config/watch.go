package config

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadDelay gathers the burst of events one save makes (write, chmod, rename) into one reload.
const reloadDelay = 150 * time.Millisecond

// Watch reloads the file at path whenever it changes and calls onChange with each new
// configuration that parses and validates, or onError with why it does not (the running
// configuration should then stay in place). It watches the file's directory, so editors that
// save by renaming a new file over the old one and Kubernetes ConfigMap symlink swaps are seen.
// A change that leaves the bytes as they were is ignored.
//
// Watch returns once the watch is in place; it stops when ctx is done. Callbacks run on the
// watching goroutine, one at a time.
func Watch(ctx context.Context, path string, opts ParseOptions, onChange func(*Config), onError func(error)) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("config: watch %s: %w", path, err)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("config: watch %s: %w", path, err)
	}
	if err := fw.Add(filepath.Dir(abs)); err != nil {
		fw.Close()
		return fmt.Errorf("config: watch %s: %w", path, err)
	}
	last, _ := os.ReadFile(abs) // a missing file is reported at the first change
	missing := false            // a read has failed and been reported; don't repeat it
	go func() {
		defer fw.Close()
		timer := time.NewTimer(reloadDelay)
		timer.Stop()
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-fw.Events:
				if !ok {
					return
				}
				// Any event in the directory may be our file: a rename's target or a
				// symlink swap of a parent entry do not always carry the file's name.
				timer.Reset(reloadDelay)
			case err, ok := <-fw.Errors:
				if !ok {
					return
				}
				onError(fmt.Errorf("config: watch %s: %w", path, err))
			case <-timer.C:
				data, err := os.ReadFile(abs)
				if err != nil {
					if !missing {
						onError(fmt.Errorf("config: %w", err))
					}
					missing, last = true, nil
					continue
				}
				if !missing && bytes.Equal(data, last) {
					continue
				}
				missing, last = false, data
				cfg, err := parse(data, opts, filepath.Dir(abs), path)
				if err != nil {
					onError(err)
					continue
				}
				onChange(cfg)
			}
		}
	}()
	return nil
}

// CheckReload refuses a reload from running to next that would remove every tenant, or more
// than half of them: an emptied or truncated file (an easy slip, which the watcher would apply
// by itself) must not take every feed down. Such a configuration is applied only by a restart.
// It returns nil when the reload may go ahead.
func CheckReload(running, next *Config) error {
	if running == nil || len(running.Tenants) == 0 {
		return nil
	}
	kept := make(map[string]bool, len(next.Tenants))
	for _, t := range next.Tenants {
		kept[t.ID] = true
	}
	var removed []string
	for _, t := range running.Tenants {
		if !kept[t.ID] {
			removed = append(removed, t.ID)
		}
	}
	n := len(running.Tenants)
	if len(removed) < n && 2*len(removed) <= n {
		return nil
	}
	shown := removed
	if len(shown) > 10 {
		shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(removed)-10))
	}
	what := "every tenant"
	if len(removed) < n {
		what = fmt.Sprintf("%d of %d tenants", len(removed), n)
	}
	return fmt.Errorf("config: tenants: the new file would remove %s (%s); refused as a likely mistake "+
		"(an emptied or truncated file). Restart feedgate to apply it on purpose", what, strings.Join(shown, ", "))
}
