package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/publish"
	"github.com/feedgate/feedgate/transform"
)

// renderMaxWarnings is how many warnings render prints before summing up the rest.
const renderMaxWarnings = 50

// usageError is a mistake in how render was called (exit 2), as opposed to a failure (exit 1).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// renderRequest is what render's flags ask for.
type renderRequest struct {
	format, configPath, tenant, feed, in, at string
	// diagnostics is how the diagnostics go to stderr: "text" or "json".
	diagnostics string
}

// runRender is `feedgate render`: it reads a Hrizn feed (JSON or XML, told apart by its first
// character) from --in or stdin, renders it in one format into a buffer and writes the result
// to stdout only when the whole render succeeded; diagnostics go to stderr. With --config and
// --tenant the dealer comes from that tenant, and with --feed that feed's format (unless
// --format is given), filter and options apply.
//
// The snapshot's time (Last-Modified-like dates in syndication formats) is --time when given,
// else the modification time of the --in file, else for stdin the Unix epoch: the same input
// always gives the same bytes.
//
// Exit codes: 0 rendered; 1 failed (unreadable file, bad configuration, render error); 2 used
// wrongly (bad flags, unknown format, tenant or feed, input that is not a Hrizn feed).
func runRender(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedgate render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var req renderRequest
	fs.StringVar(&req.format, "format", "", "output format `NAME` (see `feedgate formats`); defaults to the --feed's format")
	fs.StringVar(&req.configPath, "config", "", "configuration `FILE` for the dealer, feed settings and templates_dir")
	fs.StringVar(&req.tenant, "tenant", "", "tenant `ID` in the configuration whose dealer information to use")
	fs.StringVar(&req.feed, "feed", "", "feed `NAME` of the tenant whose format, filter and options to apply")
	fs.StringVar(&req.in, "in", "", "input `FILE`, a Hrizn JSON or XML feed; default stdin")
	fs.StringVar(&req.at, "time", "", "snapshot time, RFC 3339 (default: the input file's modification time, or the Unix epoch for stdin)")
	fs.StringVar(&req.diagnostics, "diagnostics", "text", "how the diagnostics go to stderr: `text` for people, json for scripts")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "feedgate render: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if req.diagnostics != "text" && req.diagnostics != "json" {
		fmt.Fprintf(stderr, "feedgate render: --diagnostics %q: want text or json\n", req.diagnostics)
		return 2
	}
	out, name, d, err := render(req, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "feedgate render: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) || errors.Is(err, inventory.ErrNotAFeed) {
			return 2
		}
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "feedgate render: writing the output: %v\n", err)
		return 1
	}
	if req.diagnostics == "json" {
		if err := writeDiagnosticsJSON(stderr, name, d); err != nil {
			fmt.Fprintf(stderr, "feedgate render: writing the diagnostics: %v\n", err)
			return 1
		}
		return 0
	}
	printDiagnostics(stderr, name, d)
	return 0
}

// render does the work of runRender and returns the rendered bytes and the format's name.
func render(req renderRequest, stdin io.Reader) ([]byte, string, transform.Diagnostics, error) {
	var none transform.Diagnostics
	in, format, reg, err := renderInput(req)
	if err != nil {
		return nil, "", none, err
	}
	if format == "" {
		return nil, "", none, usagef("--format is required (or --feed with --config and --tenant); known formats: %s",
			strings.Join(reg.Names(), ", "))
	}
	w, err := reg.Lookup(format)
	if err != nil {
		return nil, "", none, &usageError{msg: err.Error()}
	}

	var data []byte
	var modTime time.Time
	if req.in == "" {
		data, err = io.ReadAll(stdin)
		// A fixed instant, so that the same input on stdin always renders the same bytes.
		modTime = time.Unix(0, 0).UTC()
	} else {
		var st os.FileInfo
		if st, err = os.Stat(req.in); err == nil {
			modTime = st.ModTime().UTC().Truncate(time.Second)
			data, err = os.ReadFile(req.in)
		}
	}
	if err != nil {
		return nil, "", none, fmt.Errorf("reading the input: %w", err)
	}
	if req.at != "" {
		if modTime, err = time.Parse(time.RFC3339, req.at); err != nil {
			return nil, "", none, usagef("--time %q is not an RFC 3339 time such as 2026-02-01T12:00:00Z", req.at)
		}
	}
	vehicles, err := inventory.ParseFeed(data)
	if err != nil {
		return nil, "", none, fmt.Errorf("%s: %w", inputName(req.in), err)
	}
	tenant := req.tenant
	if tenant == "" {
		tenant = "render"
	}
	in.Snapshot = inventory.NewSnapshot(tenant, vehicles, modTime, "render")

	var buf bytes.Buffer
	d, err := w.Write(&buf, in)
	if err != nil {
		return nil, "", d, fmt.Errorf("rendering %s: %w", w.Name(), err)
	}
	return buf.Bytes(), w.Name(), d, nil
}

// renderInput resolves the flags into the render's dealer and options, the format name and the
// registry (with the configuration's templates_dir when --config is given).
func renderInput(req renderRequest) (transform.Input, string, *transform.Registry, error) {
	var in transform.Input
	if req.configPath == "" {
		if req.tenant != "" || req.feed != "" {
			return in, "", nil, usagef("--tenant and --feed need --config")
		}
		reg, err := newRegistry("")
		if err != nil {
			return in, "", nil, err
		}
		return in, req.format, reg, nil
	}
	if req.feed != "" && req.tenant == "" {
		return in, "", nil, usagef("--feed needs --tenant")
	}
	cfg, reg, err := loadConfig(req.configPath, os.LookupEnv)
	if err != nil {
		return in, "", nil, err
	}
	if reg == nil {
		// The configuration may not have needed the format set (no feeds at all).
		if reg, err = newRegistry(cfg.TemplatesDir); err != nil {
			return in, "", nil, err
		}
	}
	if req.tenant == "" {
		return in, req.format, reg, nil
	}
	t, ok := cfg.Tenant(req.tenant)
	if !ok {
		return in, "", nil, usagef("tenant %q is not in %s", req.tenant, req.configPath)
	}
	in.Dealer = t.Dealer()
	format := req.format
	if req.feed != "" {
		f, ok := t.Feed(req.feed)
		if !ok {
			return in, "", nil, usagef("tenant %q has no feed %q", req.tenant, req.feed)
		}
		if format == "" {
			format = f.Format
		}
		in.Options = publish.Options(cfg, t, f)
	}
	return in, format, reg, nil
}

func inputName(path string) string {
	if path == "" {
		return "stdin"
	}
	return path
}

// printDiagnostics writes what the render did to stderr: the counts, then every excluded VIN
// with its own reason and detail (grouped by reason), then the warnings, capped so that a large
// inventory stays readable.
func printDiagnostics(w io.Writer, format string, d transform.Diagnostics) {
	fmt.Fprintf(w, "%s: %d included, %d filtered, %d excluded, %d warning%s\n",
		format, d.Included, d.Filtered, len(d.Excluded), len(d.Warnings), plural(len(d.Warnings)))
	excluded := slices.Clone(d.Excluded)
	slices.SortStableFunc(excluded, func(a, b transform.Exclusion) int { return strings.Compare(a.Reason, b.Reason) })
	for _, e := range excluded {
		detail := ""
		if e.Detail != "" {
			detail = ": " + terminalSafe(e.Detail)
		}
		fmt.Fprintf(w, "  excluded %s %s%s\n", terminalSafe(e.VIN), e.Reason, detail)
	}
	for i, x := range d.Warnings {
		if i == renderMaxWarnings {
			fmt.Fprintf(w, "  ... and %d more warnings (--diagnostics json lists them all)\n", len(d.Warnings)-i)
			break
		}
		vin := terminalSafe(x.VIN)
		if vin == "" {
			vin = "feed"
		}
		fmt.Fprintf(w, "  warning %s %s: %s\n", vin, x.Field, terminalSafe(x.Message))
	}
}

// renderDiagnostics is --diagnostics json's document: the render's diagnostics with the format's
// name, the lists never null.
type renderDiagnostics struct {
	Format string `json:"format"`
	transform.Diagnostics
	Excluded []transform.Exclusion `json:"excluded"`
	Warnings []transform.Warning   `json:"warnings"`
}

// writeDiagnosticsJSON writes the diagnostics as one JSON document (and a newline) for scripts.
func writeDiagnosticsJSON(w io.Writer, format string, d transform.Diagnostics) error {
	doc := renderDiagnostics{Format: format, Diagnostics: d, Excluded: d.Excluded, Warnings: d.Warnings}
	if doc.Excluded == nil {
		doc.Excluded = []transform.Exclusion{}
	}
	if doc.Warnings == nil {
		doc.Warnings = []transform.Warning{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// terminalSafe keeps text from the input (VINs, messages quoting it) from moving the cursor or
// changing colours on the terminal: control characters are dropped, line breaks folded.
func terminalSafe(s string) string {
	return transform.OneLine(transform.Clean(s))
}
