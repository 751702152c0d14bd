// Package cli holds what the bench programs share: running a command that writes JSON result
// lines, and the units those lines use.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Main runs a bench program's run function with the process's arguments and stdout, and exits
// 1 with its error on stderr when it fails (2 for a flag error, already reported by flag).
func Main(run func(args []string, stdout io.Writer) error) {
	err := run(os.Args[1:], os.Stdout)
	switch {
	case err == nil:
		return
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Millis is d in milliseconds with microsecond precision, the unit of every result line.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
