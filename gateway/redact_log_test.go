package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// percentAll encodes every byte of s as %XX, the way a client hiding a key from naive filters
// would.
func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// TestNoSpellingOfAKeyIsLogged sends a configured key in every spelling of the key parameter,
// as a bare value, in the path, in headers and as the method, and wants none of it in the
// access log, an error body or a metric label. One key is shaped like a generated key (fgk_),
// one is not and is recognised only by its hash, one is a tenant's upstream key. It runs through
// the logger and through the LogWriter, which masks the records in its own goroutine.
func TestNoSpellingOfAKeyIsLogged(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) { noSpellingOfAKeyIsLogged(t, async) })
	}
}

func noSpellingOfAKeyIsLogged(t *testing.T, async bool) {
	e := newEnvWith(t, 0, envSetup{async: async})
	k := newKeys(t)
	k["export"] = "plain-office-secret-0042" // a configured key that is not shaped like fgk_…
	if err := e.srv.Reload(parseConfig(t, k.config(0), e.formats)); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"generated": k["google"], "plain": k["export"], "upstream": "hzk_sim_rw"}
	for kind, key := range secrets {
		t.Run(kind, func(t *testing.T) {
			before := len(e.logs.String())
			feed := "/feeds/sunset/export"
			if kind == "generated" {
				feed = "/feeds/sunset/google"
			}
			enc := url.QueryEscape(key)
			targets := []string{
				feed + "?k%65y=" + enc,
				feed + "?key[]=" + enc,
				feed + "?%20key=" + enc,
				feed + "?key%00=" + enc,
				feed + "?KeY=" + enc + "&download=1",
				feed + "?key=" + percentAll(key),
				feed + "?key=+" + enc,
				feed + "?k%2565y=" + url.QueryEscape(percentAll(key)),
				feed + "?x=" + enc,
				feed + "?" + enc,
				"/feeds/" + url.PathEscape(key) + "/export",
				"/feeds/sunset/" + url.PathEscape(key),
				"/" + percentAll(key),
			}
			served := 0
			for _, target := range targets {
				rec := e.do("GET", target, "X-API-Key", k["reader"])
				if rec.Code == 200 {
					served++
				}
				if strings.Contains(rec.Body.String(), key) {
					t.Errorf("%s: the body echoes the key", target)
				}
			}
			if served == 0 {
				t.Error("no request was served; the test proves nothing")
			}
			rec := e.do(key, feed, "X-Request-ID", key, "User-Agent", "probe/1.0 (+"+key+")")
			if rec.Code != http.StatusMethodNotAllowed || strings.Contains(rec.Body.String(), key) || rec.Header().Get("X-Request-ID") == key {
				t.Errorf("a key as method: %d %s %v", rec.Code, rec.Body.String(), rec.Header())
			}
			if async {
				if err := e.logWriter.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			logs := e.logs.String()[before:]
			for _, leak := range []string{key, key[4:], percentAll(key), enc} {
				if strings.Contains(logs, leak) {
					t.Fatalf("the log holds %q:\n%s", leak, logs)
				}
			}
			if n := strings.Count(logs, `"msg":"request"`); n != len(targets)+1 {
				t.Errorf("%d access log lines, want %d", n, len(targets)+1)
			}
			if m := e.do("GET", "/metrics").Body.String(); strings.Contains(m, key) || strings.Contains(m, key[4:]) {
				t.Error("a metric label holds the key")
			}
		})
	}
}

// TestLogMasksWithTheServedConfiguration: the LogWriter masks a record after the request, in its
// own time. A reload between the two must not unmask it: a key the served configuration knew
// only by its hash, sent in the path and then removed from the configuration, stays masked.
func TestLogMasksWithTheServedConfiguration(t *testing.T) {
	e := newEnvWith(t, 0, envSetup{async: true, interval: time.Hour})
	k := newKeys(t)
	k["export"] = "plain-office-secret-0042" // recognised only by its hash
	if err := e.srv.Reload(parseConfig(t, k.config(0), e.formats)); err != nil {
		t.Fatal(err)
	}
	if rec := e.do("GET", "/feeds/sunset/"+k["export"], "X-API-Key", k["reader"]); rec.Code != http.StatusNotFound {
		t.Fatalf("a key as the feed's name: %d", rec.Code)
	}
	k["export"] = "another-office-secret-0043" // the first is no longer configured
	if err := e.srv.Reload(parseConfig(t, k.config(0), e.formats)); err != nil {
		t.Fatal(err)
	}
	if err := e.logWriter.Flush(); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"path":"/feeds/sunset/REDACTED"`) || strings.Contains(logs, "plain-office-secret-0042") {
		t.Fatalf("the key removed by the reload was logged unmasked:\n%s", logs)
	}
}
