// Command feedgate is the inventory feed gateway: it serves a dealership's Hrizn inventory as
// marketplace, ad-platform and spreadsheet feeds and as a cached drop-in API.
//
// This file only dispatches subcommands; each lives in its own file as a runX function that
// takes its arguments and streams, so that it can be tested without a process.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/feedgate/feedgate/internal/buildinfo"
)

const usage = `feedgate — inventory feed gateway for Hrizn dealerships

Usage:
  feedgate serve   --config FILE            run the gateway
  feedgate demo                             the gateway with a simulated upstream and sample inventory
  feedgate render  --format NAME [--config FILE --tenant ID] [--in FILE]
                                            transform a Hrizn feed (JSON or XML) offline, to stdout
  feedgate check   --config FILE            validate a configuration and its templates
  feedgate keygen  [--name NAME]            print a new API key and the hash for the configuration
  feedgate formats [--templates DIR]        list the output formats
  feedgate version                          print the version, VCS revision and Go version (also --version)
  feedgate help                             show this message

Run "feedgate COMMAND -h" for a command's flags. Configuration: docs/configuration.md.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process's exit code: 0 done, 1 failed,
// 2 used wrongly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(rest, stdin, stdout, stderr)
	case "demo":
		return runDemo(rest, stdin, stdout, stderr)
	case "render":
		return runRender(rest, stdin, stdout, stderr)
	case "check":
		return runCheck(rest, stdin, stdout, stderr)
	case "keygen":
		return runKeygen(rest, stdin, stdout, stderr)
	case "formats":
		return runFormats(rest, stdin, stdout, stderr)
	case "version", "-version", "--version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "feedgate: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// parseFlags parses a subcommand's flags, which report to stderr, and refuses positional
// arguments with the one-line usage. done means the command ends here with exit: 0 after -h
// printed the flags, 2 when it was used wrongly.
func parseFlags(fs *flag.FlagSet, args []string, usageLine string, stderr io.Writer) (exit int, done bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: "+usageLine)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: "+usageLine)
		return 2, true
	}
	return 0, false
}

// runVersion prints the build: version, VCS revision and time, Go version.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedgate version", flag.ContinueOnError)
	if code, done := parseFlags(fs, args, "feedgate version", stderr); done {
		return code
	}
	fmt.Fprint(stdout, buildinfo.Read())
	return 0
}
