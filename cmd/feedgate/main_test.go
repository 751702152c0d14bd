package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/config"
)

// runCmd runs the command line args in-process and returns the exit code and both streams.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring the output must contain
		stderr string
	}{
		{"no command", nil, 2, "", "Usage:"},
		{"unknown", []string{"bogus"}, 2, "", "feedgate: unknown command \"bogus\"\n\nfeedgate — inventory"},
		{"help", []string{"help"}, 0, "feedgate keygen", ""},
		{"-h", []string{"-h"}, 0, "Usage:", ""},
		{"--help", []string{"--help"}, 0, "Usage:", ""},
		{"serve without --config", []string{"serve"}, 2, "", "usage: feedgate serve --config FILE"},
		{"serve with a missing file", []string{"serve", "--config", "x.yaml"}, 1, "", "x.yaml"},
		{"demo with an argument", []string{"demo", "extra"}, 2, "", "usage: feedgate demo"},
		// render belongs to its own file and tests; here only that it is reached.
		{"render", []string{"render", "--format", "csv"}, 2, "", "render"},
		{"check without --config", []string{"check"}, 2, "", "usage: feedgate check --config FILE"},
		{"check with a bad flag", []string{"check", "--nope"}, 2, "", "flag provided but not defined: -nope"},
		{"keygen with an argument", []string{"keygen", "extra"}, 2, "", "usage: feedgate keygen"},
		{"formats with an argument", []string{"formats", "extra"}, 2, "", "usage: feedgate formats"},
		{"version", []string{"version"}, 0, "feedgate devel\nrevision: ", ""},
		{"--version", []string{"--version"}, 0, "\ngo:       go1.", ""},
		{"version with an argument", []string{"version", "extra"}, 2, "", "usage: feedgate version"},
		{"serve -h", []string{"serve", "-h"}, 0, "", "usage: feedgate serve --config FILE"},
		{"demo -h", []string{"demo", "-h"}, 0, "", "-addr"},
		{"check -h", []string{"check", "-h"}, 0, "", "-allow-empty"},
		{"keygen -h", []string{"keygen", "--help"}, 0, "", "usage: feedgate keygen"},
		{"formats -h", []string{"formats", "-h"}, 0, "", "-templates"},
		{"version -h", []string{"version", "-h"}, 0, "", "usage: feedgate version"},
		{"render -h", []string{"render", "-h"}, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ⊇ %q, stderr ⊇ %q",
					code, tc.code, stdout, stderr, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestKeygen(t *testing.T) {
	code, stdout, stderr := runCmd(t, "keygen", "--name", "merchant-center")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`^key:  (fgk_\S+)\nhash: (sha256:[0-9a-f]{64})\nyaml: \{name: "merchant-center", hash: "(sha256:[0-9a-f]{64})"\}\n$`).
		FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("output not in the documented form:\n%s", stdout)
	}
	if !config.ValidKeyFormat(m[1]) || config.HashKey(m[1]) != m[2] || m[2] != m[3] {
		t.Errorf("key %q and hashes %q %q do not belong together", m[1], m[2], m[3])
	}
	if strings.Contains(stderr, m[1]) {
		t.Error("the key must only go to stdout")
	}
	_, again, _ := runCmd(t, "keygen")
	if strings.Contains(again, m[1]) || strings.Contains(again, "yaml:") {
		t.Errorf("a second keygen without --name: %s", again)
	}
}

func TestFormats(t *testing.T) {
	code, stdout, stderr := runCmd(t, "formats")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "CONTENT TYPE") {
		t.Errorf("header: %q", lines[0])
	}
	var names []string
	for _, l := range lines[1:] {
		names = append(names, strings.Fields(l)[0])
	}
	for _, want := range []string{"csv", "google-vehicle-ads", "dealer-csv"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("formats lacks %q: %v", want, names)
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("not sorted: %q before %q", names[i-1], names[i])
		}
	}

	dir := t.TempDir()
	writeTemplate(t, dir, "my-export")
	code, stdout, _ = runCmd(t, "formats", "--templates", dir)
	if code != 0 || !strings.Contains(stdout, "\nmy-export ") {
		t.Errorf("formats --templates: exit %d\n%s", code, stdout)
	}
	code, _, stderr = runCmd(t, "formats", "--templates", filepath.Join(dir, "missing"))
	if code != 1 || !strings.Contains(stderr, "missing") {
		t.Errorf("a missing templates dir: exit %d, %s", code, stderr)
	}
}

// writeTemplate copies the embedded dealer-csv channel into dir under a new name.
func writeTemplate(t *testing.T, dir, name string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "templates", "dealer-csv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(src), "\nname: dealer-csv\n", "\nname: "+name+"\n", 1)
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeRefusesABadConfig: serve exits 1 before listening, naming each bad key and why.
func TestServeRefusesABadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedgate.yaml")
	doc := "listen: \"127.0.0.1:0\"\nbogus: 1\ncache: {fresh_for: -1m}\ntenants:\n  - id: a\n    upstream_key: hzk_secret_value\n" +
		"    feeds: [{name: f, format: goggle, keys: [{name: k, hash: \"sha256:00\"}]}]\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "serve", "--config", path)
	if code != 1 || strings.Contains(stderr, "listening") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{
		"bogus: unknown key", "cache.fresh_for: must be more than 0 (line 3)",
		`tenants[0].feeds[0].format: unknown format "goggle"`, "tenants[0].feeds[0].keys[0].hash: must be",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout+stderr, "hzk_secret_value") {
		t.Error("the upstream key was printed")
	}
}
