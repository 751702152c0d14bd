package localstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustGet(t *testing.T, s *Store, tenant, name string) ([]byte, bool) {
	t.Helper()
	b, ok, err := s.Get(tenant, name)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", tenant, name, err)
	}
	return b, ok
}

func TestRoundTrip(t *testing.T) {
	s := open(t)
	if _, ok := mustGet(t, s, "sunset-honda", "snapshot"); ok {
		t.Fatal("a new store has a record")
	}
	for _, data := range [][]byte{[]byte("first"), {}, bytes.Repeat([]byte{0, 1, 2, 0xff}, 10_000)} {
		if err := s.Put("sunset-honda", "snapshot", data); err != nil {
			t.Fatal(err)
		}
		got, ok := mustGet(t, s, "sunset-honda", "snapshot")
		if !ok || !bytes.Equal(got, data) {
			t.Fatalf("Get = %d bytes, %v; want the %d bytes put", len(got), ok, len(data))
		}
	}
	if err := s.Put("other", "held", []byte("h")); err != nil {
		t.Fatal(err)
	}
	tenants, err := s.Tenants()
	if err != nil || !slices.Equal(tenants, []string{"other", "sunset-honda"}) {
		t.Fatalf("Tenants = %v, %v", tenants, err)
	}
	if err := s.Delete("sunset-honda", "snapshot"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("sunset-honda", "snapshot"); err != nil {
		t.Fatalf("deleting a missing record: %v", err)
	}
	if _, ok := mustGet(t, s, "sunset-honda", "snapshot"); ok {
		t.Fatal("record still there after Delete")
	}
	if got, ok := mustGet(t, s, "other", "held"); !ok || string(got) != "h" {
		t.Fatal("Delete touched another tenant")
	}
	if err := s.DeleteTenant("other"); err != nil {
		t.Fatal(err)
	}
	if tenants, _ := s.Tenants(); slices.Contains(tenants, "other") {
		t.Fatalf("Tenants after DeleteTenant = %v", tenants)
	}
	if left := leftovers(t, s); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

// leftovers lists temporary files in the store.
func leftovers(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestOpenDefaultDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("os.UserCacheDir follows XDG_CACHE_HOME on Linux only")
	}
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", base)
	s, err := Open("", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(base, "feedgate")
	if s.Dir() != want {
		t.Fatalf("Dir = %s, want %s", s.Dir(), want)
	}
	info, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Fatalf("store directory mode %o, want 700 (records hold dealers' inventory)", perm)
	}
}

func TestBadNames(t *testing.T) {
	s := open(t)
	for _, name := range []string{"", "snap.shot", "../x", "Snapshot", "a/b", strings.Repeat("n", 65)} {
		if err := s.Put("t", name, nil); err == nil {
			t.Errorf("Put with record name %q: no error", name)
		}
		if _, _, err := s.Get("t", name); err == nil {
			t.Errorf("Get with record name %q: no error", name)
		}
	}
	if err := s.Put("", "snapshot", nil); err == nil {
		t.Error("Put with an empty tenant id: no error")
	}
	if err := s.Put(strings.Repeat("é", 50), "snapshot", nil); err == nil {
		t.Error("Put with a tenant id too long for a directory name: no error")
	}
}

// writeRaw replaces the record's file with b, as a crash, a disk error or another program would.
func writeRaw(t *testing.T, s *Store, tenant, name string, b []byte) string {
	t.Helper()
	path, err := s.path(tenant, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func goodFile(t *testing.T, s *Store, tenant, name string, data []byte) []byte {
	t.Helper()
	if err := s.Put(tenant, name, data); err != nil {
		t.Fatal(err)
	}
	path, _ := s.path(tenant, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantCorrupt(t *testing.T, s *Store, tenant, name, path, reason string) *CorruptError {
	t.Helper()
	data, ok, err := s.Get(tenant, name)
	var cerr *CorruptError
	if !errors.As(err, &cerr) {
		t.Fatalf("Get = %q, %v, %v; want a *CorruptError", data, ok, err)
	}
	if ok || data != nil {
		t.Fatalf("Get returned data (%q, %v) with a CorruptError", data, ok)
	}
	if cerr.Path != path {
		t.Fatalf("CorruptError.Path = %s, want %s", cerr.Path, path)
	}
	if !strings.Contains(cerr.Reason, reason) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q: want the path and a reason containing %q", err, reason)
	}
	return cerr
}

func TestTruncationAtEveryByteIsDetected(t *testing.T) {
	s := open(t)
	full := goodFile(t, s, "t", "snapshot", []byte(`{"tenant":"t","vehicles":[{"vin":"1HGCM82633A004352"}]}`))
	for n := 0; n < len(full); n++ {
		path := writeRaw(t, s, "t", "snapshot", full[:n])
		reason := "truncated"
		if n == 0 {
			reason = "empty"
		}
		wantCorrupt(t, s, "t", "snapshot", path, reason)
	}
	path := writeRaw(t, s, "t", "snapshot", append(slices.Clip(full), 'x'))
	wantCorrupt(t, s, "t", "snapshot", path, "after the")
	writeRaw(t, s, "t", "snapshot", full)
	if _, ok := mustGet(t, s, "t", "snapshot"); !ok {
		t.Fatal("the whole file no longer reads")
	}
}

func TestFlippedByteIsDetected(t *testing.T) {
	s := open(t)
	full := goodFile(t, s, "t", "held", []byte("a held-back snapshot of 42 vehicles"))
	for i := range full {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := slices.Clone(full)
			b[i] ^= mask
			path := writeRaw(t, s, "t", "held", b)
			wantCorrupt(t, s, "t", "held", path, "")
		}
	}
}

func TestForeignVersionIsDetected(t *testing.T) {
	s := open(t)
	full := goodFile(t, s, "t", "marks", []byte("vins"))
	b := slices.Clone(full)
	binary.BigEndian.PutUint16(b[4:], formatVersion+1)
	path := writeRaw(t, s, "t", "marks", b)
	wantCorrupt(t, s, "t", "marks", path, "format version 2")

	path = writeRaw(t, s, "t", "marks", []byte(`{"not":"ours"}`))
	wantCorrupt(t, s, "t", "marks", path, "bad magic")
}

func TestOversizeIsRefused(t *testing.T) {
	s, err := Open(t.TempDir(), Options{MaxSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("t", "snapshot", make([]byte, 17)); err == nil {
		t.Fatal("Put over MaxSize: no error")
	}
	// A file that claims a huge payload is reported before anything is allocated for it.
	hdr := encode(make([]byte, 8))
	binary.BigEndian.PutUint64(hdr[8:], 1<<40)
	if err := s.Put("t", "snapshot", []byte("ok")); err != nil {
		t.Fatal(err)
	}
	path := writeRaw(t, s, "t", "snapshot", hdr)
	wantCorrupt(t, s, "t", "snapshot", path, "over the limit")
}

func TestQuarantine(t *testing.T) {
	s := open(t)
	full := goodFile(t, s, "t", "snapshot", []byte("good"))
	path := writeRaw(t, s, "t", "snapshot", full[:len(full)-1])
	cerr := wantCorrupt(t, s, "t", "snapshot", path, "truncated")
	dst, err := s.Quarantine(cerr)
	if err != nil {
		t.Fatal(err)
	}
	if dst != strings.TrimSuffix(path, ".rec")+".corrupt" {
		t.Fatalf("quarantined to %s", dst)
	}
	if b, err := os.ReadFile(dst); err != nil || !bytes.Equal(b, full[:len(full)-1]) {
		t.Fatalf("quarantined file: %v", err)
	}
	if _, ok := mustGet(t, s, "t", "snapshot"); ok {
		t.Fatal("the quarantined record still reads")
	}

	// A newer good record written after the bad read is never moved aside.
	writeRaw(t, s, "t", "snapshot", []byte("junk"))
	cerr = wantCorrupt(t, s, "t", "snapshot", path, "bad magic")
	if err := s.Put("t", "snapshot", []byte("newer")); err != nil {
		t.Fatal(err)
	}
	if dst, err := s.Quarantine(cerr); err != nil || dst != "" {
		t.Fatalf("Quarantine of a replaced file = %q, %v; want nothing done", dst, err)
	}
	if got, ok := mustGet(t, s, "t", "snapshot"); !ok || string(got) != "newer" {
		t.Fatalf("Get = %q, %v after Quarantine of a replaced file", got, ok)
	}
}

// TestConcurrentPutGetNeverTorn runs writers replacing one record with payloads of different sizes
// while readers read it: every read must be one whole payload, never a mix or a CorruptError.
func TestConcurrentPutGetNeverTorn(t *testing.T) {
	s := open(t)
	payloads := [][]byte{
		bytes.Repeat([]byte("a"), 64<<10),
		bytes.Repeat([]byte("b"), 100<<10),
		bytes.Repeat([]byte("c"), 3),
	}
	if err := s.Put("t", "snapshot", payloads[0]); err != nil {
		t.Fatal(err)
	}
	const writes, reads = 60, 300
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 2 {
		wg.Go(func() {
			for i := range writes {
				if err := s.Put("t", "snapshot", payloads[(i+w)%len(payloads)]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			for range reads {
				got, ok, err := s.Get("t", "snapshot")
				if err != nil {
					errs <- err
					return
				}
				if !ok || !slices.ContainsFunc(payloads, func(p []byte) bool { return bytes.Equal(p, got) }) {
					errs <- errors.New("read a record that no Put wrote")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if left := leftovers(t, s); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

func TestHostileTenantIDsStayInside(t *testing.T) {
	s := open(t)
	hostile := []string{
		"..", ".", "../escape", "../../etc/passwd", "/abs", "a/b", `a\b`, "..\\win", "%2e%2e",
		"%", "A", "a", "%41", "nul\x00byte", "über", "con", "-", "_", strings.Repeat(".", 80),
		"{tenant}", "t:1", " space", "~",
	}
	for i, id := range hostile {
		if err := s.Put(id, "snapshot", []byte{byte(i)}); err != nil {
			t.Fatalf("Put(%q): %v", id, err)
		}
	}
	outside := filepath.Dir(s.Dir())
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("the store's parent holds %d entries, want only the store", len(entries))
	}
	err = filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.Dir(), p)
		parts := strings.Split(rel, string(filepath.Separator))
		switch {
		case d.IsDir() && len(parts) > 2:
			t.Errorf("directory %s nested below a tenant", rel)
		case !d.IsDir() && (len(parts) != 3 || parts[0] != "tenants" || parts[2] != "snapshot.rec"):
			t.Errorf("file %s is not tenants/<tenant>/snapshot.rec", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range hostile {
		got, ok := mustGet(t, s, id, "snapshot")
		if !ok || !bytes.Equal(got, []byte{byte(i)}) {
			t.Errorf("Get(%q) = %v, %v: tenants share a file", id, got, ok)
		}
	}
	tenants, err := s.Tenants()
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(hostile))
	if !slices.Equal(tenants, want) {
		t.Fatalf("Tenants =\n%q\nwant\n%q", tenants, want)
	}
}

func TestTenantsSkipsStrangers(t *testing.T) {
	s := open(t)
	if err := s.Put("real", "snapshot", nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"UPPER", "%2", "%61", "a.b"} {
		if err := os.Mkdir(filepath.Join(s.Dir(), "tenants", d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "tenants", "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Tenants(); err != nil || !slices.Equal(got, []string{"real"}) {
		t.Fatalf("Tenants = %q, %v", got, err)
	}
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	s := open(t)
	if err := s.Put("t", "snapshot", []byte("x")); err != nil {
		t.Fatal(err)
	}
	tdir, _ := s.tenantDir("t")
	stale := filepath.Join(tdir, ".snapshot.tmp-123")
	fresh := filepath.Join(tdir, ".snapshot.tmp-456")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(s.Dir(), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a temporary file left by a crash long ago survived Open: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("Open removed a temporary file that a running write may own: %v", err)
	}
	if got, ok := mustGet(t, s, "t", "snapshot"); !ok || string(got) != "x" {
		t.Fatal("Open lost the record")
	}
}

func FuzzEscapeTenant(f *testing.F) {
	for _, s := range []string{"sunset-honda", "..", "a/b", "%41", "ü", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		seg, err := escapeTenant(id)
		if err != nil {
			return
		}
		if strings.ContainsAny(seg, `/\.`) || seg == "" {
			t.Fatalf("escapeTenant(%q) = %q", id, seg)
		}
		back, ok := unescapeTenant(seg)
		if !ok || back != id {
			t.Fatalf("unescapeTenant(escapeTenant(%q)) = %q, %v", id, back, ok)
		}
	})
}
