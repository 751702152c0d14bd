package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	recorded := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/feedgate/feedgate", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-11-29T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name             string
		bi               *debug.BuildInfo
		version, rev, tm string
		want             Info
	}{
		{"recorded by the toolchain", recorded, "", "", "",
			Info{Version: "v1.4.0", Revision: "0123abcd", Time: "2026-11-29T10:00:00Z", Modified: true, GoVersion: "go1.26.0"}},
		{"stamped wins", recorded, "v1.5.0-rc1", "feedface", "2026-11-30T00:00:00Z",
			Info{Version: "v1.5.0-rc1", Revision: "feedface", Time: "2026-11-30T00:00:00Z", Modified: true, GoVersion: "go1.26.0"}},
		{"a plain go build", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, "", "", "",
			Info{Version: "devel", Revision: "unknown", GoVersion: "go1.26.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := From(tc.bi, tc.version, tc.rev, tc.tm); got != tc.want {
				t.Errorf("From = %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if got := From(nil, "", "", ""); got.Version != "devel" || got.GoVersion == "" {
		t.Errorf("without build info: %+v", got)
	}
	s := From(recorded, "", "", "").String()
	for _, want := range []string{"feedgate v1.4.0\n", "revision: 0123abcd (modified)\n", "time:     2026-11-29T10:00:00Z\n", "go:       go1.26.0\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
}
