package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/feedgate/feedgate/config"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/transform"
)

// runCheck validates a configuration file and the templates it names, printing every problem.
func runCheck(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	const usageLine = "feedgate check --config FILE [--allow-empty]"
	fs := flag.NewFlagSet("feedgate check", flag.ContinueOnError)
	path := fs.String("config", "", "the configuration `FILE` to check")
	allowEmpty := fs.Bool("allow-empty", false, "accept a configuration without tenants")
	if code, done := parseFlags(fs, args, usageLine, stderr); done {
		return code
	}
	if *path == "" {
		fmt.Fprintln(stderr, "usage: "+usageLine)
		return 2
	}
	cfg, reg, err := loadConfig(*path, os.LookupEnv)
	if err != nil {
		var ve *config.ValidationError
		if !errors.As(err, &ve) {
			fmt.Fprintf(stderr, "feedgate: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "%s: %d problem%s:\n", *path, len(ve.Problems), plural(len(ve.Problems)))
		for _, p := range ve.Problems {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		return 1
	}
	if len(cfg.Tenants) == 0 && !*allowEmpty {
		// An emptied file is an easy slip that would take every feed down; say so before it ships.
		fmt.Fprintf(stderr, "%s: 1 problem:\n  tenants: no tenant is configured, so every feed and key would be refused "+
			"(an empty or truncated file?); pass --allow-empty if that is intended\n", *path)
		return 1
	}
	if problems, err := dealerProblems(cfg, reg); err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	} else if len(problems) > 0 {
		// Each of these feeds would render no vehicle at all: refuse it here rather than have
		// the gateway hold it back (or serve nothing) once deployed.
		fmt.Fprintf(stderr, "%s: %d problem%s:\n", *path, len(problems), plural(len(problems)))
		for _, p := range problems {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		return 1
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "ok: %d tenant%s, %d feed%s\n",
		len(cfg.Tenants), plural(len(cfg.Tenants)), cfg.FeedCount(), plural(cfg.FeedCount()))
	return 0
}

// loadConfig loads and validates the configuration at path, checking format names against the
// built-in formats plus the templates of its templates_dir, and returns that registry with it.
func loadConfig(path string, getenv func(string) (string, bool)) (*config.Config, *transform.Registry, error) {
	var reg *transform.Registry
	cfg, err := config.Load(path, config.ParseOptions{
		Getenv: getenv,
		FormatsFor: func(dir string) (config.FormatSet, error) {
			r, err := newRegistry(dir)
			if err != nil {
				return nil, err
			}
			reg = r
			return r, nil
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return cfg, reg, nil
}

// dealerProblems lists, for every feed whose format needs dealer facts the tenant's dealer
// section lacks (a store code, an address, a link), one line naming the tenant, the feed and the
// configuration key, e.g. "tenants[0].feeds[1] (sunset/google): dealer.store_code: ... (line 12)",
// the line being the feed's in the file, when the configuration knows it.
func dealerProblems(cfg *config.Config, reg *transform.Registry) ([]string, error) {
	if reg == nil {
		r, err := newRegistry(cfg.TemplatesDir)
		if err != nil {
			return nil, err
		}
		reg = r
	}
	var out []string
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		dealer := t.Dealer()
		for j := range t.Feeds {
			f := &t.Feeds[j]
			w, err := reg.Lookup(f.Format)
			if err != nil {
				return nil, fmt.Errorf("check: tenants[%d].feeds[%d]: %w", i, j, err)
			}
			at := ""
			if l := cfg.Line(fmt.Sprintf("tenants[%d].feeds[%d]", i, j)); l > 0 {
				at = fmt.Sprintf(" (line %d)", l)
			}
			for _, p := range transform.DealerProblems(w, dealer, publish.Options(cfg, t, f)) {
				out = append(out, fmt.Sprintf("tenants[%d].feeds[%d] (%s/%s): %s%s", i, j, t.ID, f.Name, p, at))
			}
		}
	}
	return out, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
