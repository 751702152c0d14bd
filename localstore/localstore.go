// Package localstore keeps each tenant's durable records (its last good snapshot, shrink-guard
// state, refresh marks, change log) as small files on local disk, for the embedded default that
// runs without Redis.
//
// Every record is its own file, written to a temporary file, synced, renamed over the old one and
// made durable by syncing the directory, so a crash mid-write leaves either the old record or the
// new one, never a mix. Each file starts with a header (magic, format version, payload length,
// CRC-32C), so a file that is truncated, corrupted or written by a future format is reported as a
// *CorruptError instead of being read back.
//
// Layout under the store's directory:
//
//	tenants/<escaped tenant>/<name>.rec       a record
//	tenants/<escaped tenant>/.<name>.tmp-*    a write in progress (or left by a crash)
//	tenants/<escaped tenant>/<name>.corrupt   a record moved aside by Quarantine
package localstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// DefaultMaxSize bounds the payload of one record when Options.MaxSize is zero.
const DefaultMaxSize = 512 << 20

// staleTemp is how old a temporary file must be before Open removes it as left by a crash; a
// younger one may belong to a write still running in another process.
const staleTemp = time.Hour

// Options configures a Store.
type Options struct {
	// MaxSize bounds a record's payload in bytes (default DefaultMaxSize): Put refuses a larger
	// one, and Get reports a file claiming more as corrupt instead of allocating for it.
	MaxSize int64
}

// Store is a directory of per-tenant record files. It is safe for concurrent use, also by
// several goroutines writing the same record (the last rename wins; a reader sees one whole
// version or the other).
type Store struct {
	dir     string
	tenants string
	maxSize int64
}

// Open returns the store in dir, creating it (mode 0700) if needed. An empty dir means
// os.UserCacheDir()/feedgate ($XDG_CACHE_HOME/feedgate or ~/.cache/feedgate on Linux). Temporary
// files left by a crash more than an hour ago are removed.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("localstore: no cache directory (set cache.dir): %w", err)
		}
		dir = filepath.Join(base, "feedgate")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("localstore: %w", err)
	}
	s := &Store{dir: dir, tenants: filepath.Join(dir, "tenants"), maxSize: opts.MaxSize}
	if s.maxSize <= 0 {
		s.maxSize = DefaultMaxSize
	}
	if err := os.MkdirAll(s.tenants, 0o700); err != nil {
		return nil, fmt.Errorf("localstore: create %s: %w", s.tenants, err)
	}
	if err := s.removeStaleTemps(time.Now().Add(-staleTemp)); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is the store's directory (absolute).
func (s *Store) Dir() string { return s.dir }

// Put stores data as the tenant's record name, replacing any earlier one atomically and durably:
// when Put returns nil the record survives a crash or power loss.
func (s *Store) Put(tenant, name string, data []byte) error {
	if int64(len(data)) > s.maxSize {
		return fmt.Errorf("localstore: record %s/%s has %d bytes, over the limit of %d", tenant, name, len(data), s.maxSize)
	}
	tdir, err := s.tenantDir(tenant)
	if err != nil {
		return err
	}
	if err := checkName(name); err != nil {
		return err
	}
	if err := s.ensureDir(tdir); err != nil {
		return err
	}
	f, err := os.CreateTemp(tdir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(encode(data)); err != nil {
		return fmt.Errorf("localstore: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("localstore: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("localstore: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(tdir, name+recExt)); err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	done = true
	return syncDir(tdir)
}

// Get returns the tenant's record name. A missing record is (nil, false, nil). A file that is
// truncated, corrupted or of another format version is never returned: Get reports it as a
// *CorruptError (with the file's path and the reason), which the caller logs and treats as a
// miss, and may pass to Quarantine.
func (s *Store) Get(tenant, name string) ([]byte, bool, error) {
	path, err := s.path(tenant, name)
	if err != nil {
		return nil, false, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("localstore: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("localstore: %w", err)
	}
	corrupt := func(reason string) error {
		return &CorruptError{Path: path, Reason: reason, info: info}
	}
	if info.Size() > s.maxSize+headerSize {
		return nil, false, corrupt(fmt.Sprintf("%d bytes, over the limit of %d", info.Size(), s.maxSize))
	}
	// The size comes from the open file, so a concurrent Put (a rename) cannot change what is read.
	buf := make([]byte, info.Size())
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) { // a file cut short is decode's to report
		return nil, false, fmt.Errorf("localstore: read %s: %w", path, err)
	}
	data, reason := decode(buf[:n], s.maxSize)
	if reason != "" {
		return nil, false, corrupt(reason)
	}
	return data, true, nil
}

// Delete removes the tenant's record name; a missing record is not an error.
func (s *Store) Delete(tenant, name string) error {
	path, err := s.path(tenant, name)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("localstore: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// DeleteTenant removes all of a tenant's records, e.g. after the tenant left the configuration.
func (s *Store) DeleteTenant(tenant string) error {
	tdir, err := s.tenantDir(tenant)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(tdir); err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	return syncDir(s.tenants)
}

// Tenants lists the tenants that have a directory in the store, sorted. Entries that are not
// tenant directories (a stray file, a name that is not an escaped tenant id) are skipped.
func (s *Store) Tenants() ([]string, error) {
	entries, err := os.ReadDir(s.tenants)
	if err != nil {
		return nil, fmt.Errorf("localstore: %w", err)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if t, ok := unescapeTenant(e.Name()); ok {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Quarantine moves the file a Get reported as corrupt aside, to "<name>.corrupt" beside it
// (replacing an earlier one), so it is kept for a person to inspect but not read again. It does
// nothing, and returns "", if the file was replaced since (a newer Put wrote a good record).
func (s *Store) Quarantine(cerr *CorruptError) (string, error) {
	if cerr == nil || cerr.info == nil {
		return "", errors.New("localstore: quarantine needs a *CorruptError from Get")
	}
	if !strings.HasPrefix(cerr.Path, s.tenants+string(filepath.Separator)) {
		return "", fmt.Errorf("localstore: %s is not in this store", cerr.Path)
	}
	now, err := os.Stat(cerr.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("localstore: %w", err)
	}
	if !os.SameFile(now, cerr.info) {
		return "", nil
	}
	dst := strings.TrimSuffix(cerr.Path, recExt) + ".corrupt"
	if err := os.Rename(cerr.Path, dst); err != nil {
		return "", fmt.Errorf("localstore: quarantine: %w", err)
	}
	return dst, syncDir(filepath.Dir(dst))
}

// CorruptError reports a record file that cannot be trusted: truncated, altered, not written by
// this package, or written in a format version this build does not read.
type CorruptError struct {
	// Path is the file's path, for the log line.
	Path string
	// Reason says what is wrong with it.
	Reason string

	info os.FileInfo // the file as read, so Quarantine never moves a newer good record
}

// Error is the message for the log: the path and the reason.
func (e *CorruptError) Error() string {
	return "localstore: ignoring corrupt record " + e.Path + ": " + e.Reason
}

const recExt = ".rec"

func (s *Store) path(tenant, name string) (string, error) {
	tdir, err := s.tenantDir(tenant)
	if err != nil {
		return "", err
	}
	if err := checkName(name); err != nil {
		return "", err
	}
	return filepath.Join(tdir, name+recExt), nil
}

func (s *Store) tenantDir(tenant string) (string, error) {
	seg, err := escapeTenant(tenant)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.tenants, seg), nil
}

// ensureDir creates a tenant's directory on its first record and makes the new entry durable.
func (s *Store) ensureDir(tdir string) error {
	err := os.Mkdir(tdir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	return syncDir(s.tenants)
}

// removeStaleTemps deletes temporary files older than before: a crash between create and rename
// leaves one, and nothing else would ever remove it.
func (s *Store) removeStaleTemps(before time.Time) error {
	tdirs, err := os.ReadDir(s.tenants)
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	for _, td := range tdirs {
		if !td.IsDir() {
			continue
		}
		dir := filepath.Join(s.tenants, td.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			continue // a directory we cannot read hurts only its own tenant, reported by Get
		}
		for _, f := range files {
			if !strings.HasPrefix(f.Name(), ".") || !strings.Contains(f.Name(), ".tmp-") {
				continue
			}
			if info, err := f.Info(); err == nil && info.ModTime().Before(before) {
				_ = os.Remove(filepath.Join(dir, f.Name()))
			}
		}
	}
	return nil
}

// checkName accepts the record names the callers choose: 1 to 64 of [a-z0-9_-]. Names are
// constants in code, so anything else is a programming error, not data to escape.
func checkName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("localstore: record name %q must have 1 to 64 characters", name)
	}
	for i := 0; i < len(name); i++ {
		if !plain(name[i]) {
			return fmt.Errorf("localstore: record name %q may hold only a-z, 0-9, '_' and '-'", name)
		}
	}
	return nil
}

// syncDir makes the directory's entries (a rename, a new file or directory) durable. Windows
// cannot open a directory for syncing; there the rename alone has to do.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("localstore: sync %s: %w", dir, err)
	}
	return nil
}
