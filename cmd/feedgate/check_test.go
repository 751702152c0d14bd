package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func setExampleEnv(t *testing.T) {
	t.Setenv("SUNSET_HONDA_HRIZN_KEY", "hzk_a")
	t.Setenv("SUNSET_HONDA_WEBHOOK_SECRET", "whsec_b")
	t.Setenv("LAKESIDE_AUTO_HRIZN_KEY", "hzk_c")
}

func TestCheckExample(t *testing.T) {
	setExampleEnv(t)
	code, stdout, stderr := runCmd(t, "check", "--config", "../../examples/feedgate.yaml")
	if code != 0 || stdout != "ok: 2 tenants, 5 feeds\n" {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "hzk_a") {
		t.Error("check printed an upstream key")
	}
}

func TestCheck(t *testing.T) {
	const hash = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct {
		name      string
		doc       string
		templates string // a template name to put in templates_dir, "" for none
		code      int
		stdout    string
		stderr    []string
	}{
		{"an empty file is refused", "", "", 1, "",
			[]string{"feedgate.yaml: 1 problem:\n  tenants: no tenant is configured", "--allow-empty"}},
		{"no tenants is refused", "listen: \":9000\"\ntenants: []\n", "", 1, "", []string{"  tenants: no tenant is configured"}},
		{"empty with --allow-empty is valid with a warning", "", "", 0, "ok: 0 tenants, 0 feeds\n",
			[]string{"warning: tenants: none configured"}},
		{"every problem listed", "listen: nope\ntenants:\n  - id: Bad\n    feeds: [{name: f, format: goggle, keys: [{name: k, hash: " + hash + "}]}]\n", "", 1, "",
			[]string{
				"feedgate.yaml: 4 problems:\n",
				"  listen: \"nope\" is not host:port",
				"  tenants[0].id: \"Bad\" must be lower-case",
				"  tenants[0].upstream_key: is required (line 3)\n",
				"  tenants[0].feeds[0].format: unknown format \"goggle\" (known: atom, csv, dealer-csv, ",
			}},
		{"templates_dir adds formats", "templates_dir: tpl\ntenants: [{id: a, upstream_key: k, feeds: [{name: f, format: my-export, keys: [{name: k, hash: " + hash + "}]}]}]\n",
			"my-export", 0, "ok: 1 tenant, 1 feed\n", nil},
		{"a broken templates_dir", "templates_dir: nowhere\n", "", 1, "",
			[]string{"  templates_dir: ", "nowhere"}},
		{"a feed whose dealer section lacks what its channel needs", "tenants:\n  - id: sunset\n    upstream_key: k\n" +
			"    dealer: {name: Sunset, vdp_url: \"https://s.example/{vin}\", address: {street: 1 Main, city: X, region: IL, postal_code: \"1\", country: US}}\n" +
			"    feeds:\n      - {name: export, format: csv, keys: [{name: a, hash: " + hash + "}]}\n" +
			"      - {name: google, format: google-vehicle-ads, keys: [{name: b, hash: " + strings.Replace(hash, "0000", "1111", 1) + "}]}\n",
			"", 1, "", []string{
				"feedgate.yaml: 1 problem:\n",
				"  tenants[0].feeds[1] (sunset/google): dealer.store_code: missing",
				"(line 7)\n",
			}},
		{"a YAML syntax error", "tenants: [\n", "", 1, "", []string{"feedgate: config: ", "feedgate.yaml: line 2: YAML syntax error at tenants: did not find expected node content"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.templates != "" {
				if err := os.Mkdir(filepath.Join(dir, "tpl"), 0o700); err != nil {
					t.Fatal(err)
				}
				writeTemplate(t, filepath.Join(dir, "tpl"), tc.templates)
			}
			path := filepath.Join(dir, "feedgate.yaml")
			if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"check", "--config", path}
			if strings.Contains(tc.name, "--allow-empty") {
				args = append(args, "--allow-empty")
			}
			code, stdout, stderr := runCmd(t, args...)
			if code != tc.code || stdout != tc.stdout {
				t.Errorf("exit %d (want %d)\nstdout: %q (want %q)\nstderr: %s", code, tc.code, stdout, tc.stdout, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
	code, _, stderr := runCmd(t, "check", "--config", filepath.Join(t.TempDir(), "absent.yaml"))
	if code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("a missing file: exit %d, %s", code, stderr)
	}
}

// TestCheckDeployedConfigs: the configurations shipped under deploy/ pass check with the
// environment their manifests give them (secrets as _FILE files in Kubernetes).
func TestCheckDeployedConfigs(t *testing.T) {
	dir := t.TempDir()
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	raw, err := os.ReadFile("../../deploy/kubernetes/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	k8s := filepath.Join(dir, "feedgate.yaml")
	if err := os.WriteFile(k8s, []byte(cm.Data["feedgate.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hrizn-key", "webhook-secret"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("FEEDGATE_REDIS_URL", "redis://feedgate-redis:6379/0")
	t.Setenv("SUNSET_HONDA_HRIZN_KEY_FILE", filepath.Join(dir, "hrizn-key"))
	t.Setenv("SUNSET_HONDA_WEBHOOK_SECRET_FILE", filepath.Join(dir, "webhook-secret"))
	t.Setenv("FEEDGATE_UPSTREAM_URL", "http://hriznsim:9090/v1")
	t.Setenv("DEMO_MOTORS_HRIZN_KEY", "hzk_sim_rw")
	for _, path := range []string{k8s, "../../deploy/feedgate.yaml"} {
		if code, stdout, stderr := runCmd(t, "check", "--config", path); code != 0 || !strings.HasPrefix(stdout, "ok: 1 tenant") {
			t.Errorf("%s: exit %d\n%s%s", path, code, stdout, stderr)
		}
	}
}
