package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/feedgate/feedgate/config"
)

// runKeygen prints a new API key and the hash line to paste into the configuration.
func runKeygen(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedgate keygen", flag.ContinueOnError)
	name := fs.String("name", "", "also print a ready YAML key entry with this `NAME`")
	if code, done := parseFlags(fs, args, "feedgate keygen [--name NAME]", stderr); done {
		return code
	}
	key, hash, err := config.NewKey()
	if err != nil {
		fmt.Fprintf(stderr, "feedgate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "key:  %s\nhash: %s\n", key, hash)
	if *name != "" {
		fmt.Fprintf(stdout, "yaml: {name: %s, hash: %q}\n", strconv.Quote(*name), hash)
	}
	fmt.Fprintln(stderr, "Hand the key to whoever will use it now: only the hash goes in the configuration, and the key cannot be recovered from it.")
	return 0
}
