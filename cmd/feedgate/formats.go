package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/feedgate/feedgate/templates"
	"github.com/feedgate/feedgate/transform"
)

// newRegistry is the one place the format registry is built: the built-in writers, the
// embedded template-defined channels, and the templates in templatesDir when it is set.
func newRegistry(templatesDir string) (*transform.Registry, error) {
	writers := transform.Builtins()
	embedded, err := transform.LoadTemplates(templates.FS())
	if err != nil {
		return nil, fmt.Errorf("embedded templates: %w", err)
	}
	writers = append(writers, embedded...)
	if templatesDir != "" {
		if _, err := os.Stat(templatesDir); err != nil {
			return nil, err
		}
		own, err := transform.LoadTemplates(os.DirFS(templatesDir))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", templatesDir, err)
		}
		writers = append(writers, own...)
	}
	return transform.NewRegistry(writers...)
}

// runFormats prints the registered formats as a table sorted by name.
func runFormats(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedgate formats", flag.ContinueOnError)
	dir := fs.String("templates", "", "also list the channels defined in this templates `DIR`")
	if code, done := parseFlags(fs, args, "feedgate formats [--templates DIR]", stderr); done {
		return code
	}
	reg, err := newRegistry(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCONTENT TYPE\tEXT\tDESCRIPTION")
	for _, w := range reg.Writers() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.Name(), w.ContentType(), w.Extension(), w.Description())
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	}
	return 0
}
