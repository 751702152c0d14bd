// Package buildinfo says which build of feedgate is running: the version and VCS revision
// stamped at build time (make build, the Dockerfile) or else recorded by the Go toolchain, the
// revision's time, and the Go version.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time with -ldflags "-X github.com/feedgate/feedgate/internal/buildinfo.version=v1.2.3"
// (and .revision, .revisionTime); empty otherwise. They are variables only because -X needs
// them; nothing writes them at run time.
var (
	version      string
	revision     string
	revisionTime string
)

// Info describes a build.
type Info struct {
	Version   string // the stamped version, else the module's ("devel" for a plain go build)
	Revision  string // the VCS revision, "unknown" when neither stamped nor recorded
	Time      string // the revision's commit time (RFC 3339), "" when unknown
	Modified  bool   // the work tree had uncommitted changes (as recorded by the Go toolchain)
	GoVersion string // the Go toolchain that built the binary
}

// Read is the running binary's build.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return From(bi, version, revision, revisionTime)
}

// From is the build described by bi (nil when the binary carries none) and what was stamped
// with -ldflags -X, which wins over what the toolchain recorded.
func From(bi *debug.BuildInfo, stampedVersion, stampedRevision, stampedTime string) Info {
	info := Info{Version: stampedVersion, Revision: stampedRevision, Time: stampedTime, GoVersion: runtime.Version()}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Revision == "" {
					info.Revision = s.Value
				}
			case "vcs.time":
				if info.Time == "" {
					info.Time = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Revision == "" {
		info.Revision = "unknown"
	}
	return info
}

// String is the build on a few lines, for `feedgate version`.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "feedgate %s\nrevision: %s", i.Version, i.Revision)
	if i.Modified {
		b.WriteString(" (modified)")
	}
	if i.Time != "" {
		fmt.Fprintf(&b, "\ntime:     %s", i.Time)
	}
	fmt.Fprintf(&b, "\ngo:       %s\n", i.GoVersion)
	return b.String()
}
