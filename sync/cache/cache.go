// Package cache is FleetDesk's offline cache: one SQLite file per backend profile holding the
// fleet, positions, firmware releases (and downloaded images), rollouts, token metadata, the
// command log, the service log and the sync cursor. Each sync batch is one transaction, so a crash
// or a bad answer mid-sync leaves the previous consistent state. A corrupt or foreign file is
// moved aside at open and a fresh cache takes its place. Secrets are never stored here.
package cache

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// applicationID marks a SQLite file as a FleetDesk cache ("FLDS"), so a foreign database that
// happens to sit at the path is told apart from ours.
const applicationID = 0x464C4453

// RebuiltError tells the caller the file at Path could not be used and was moved to MovedTo; the
// cache is now empty and will be filled by the next sync. The user should be told (Notice).
type RebuiltError struct {
	Path    string
	MovedTo string
	Reason  string
}

func (e *RebuiltError) Error() string {
	return fmt.Sprintf("the offline cache %s was unusable (%s); it was moved to %s and a fresh cache was started", e.Path, e.Reason, e.MovedTo)
}

// Notice is the sentence shown to the user.
func (e *RebuiltError) Notice() string {
	return fmt.Sprintf("The offline cache was damaged (%s) and has been rebuilt; the old file was kept as %s.", e.Reason, filepath.Base(e.MovedTo))
}

// Cache is an open cache file. Writes go through one connection (SQLite has one writer anyway;
// queuing them in Go avoids busy errors); reads use a separate pool that sees WAL snapshots.
type Cache struct {
	path    string
	w       *sql.DB
	r       *sql.DB
	rebuilt *RebuiltError
}

var profileRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckProfile accepts profile names that are safe as file names.
func CheckProfile(profile string) error {
	if !profileRE.MatchString(profile) || strings.Contains(profile, "..") {
		return fmt.Errorf("profile name %q: use letters, digits, '.', '_' or '-' (at most 64)", profile)
	}
	return nil
}

// DefaultDir is where caches live: the user's cache directory/fleetdesk.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory: %w", err)
	}
	return filepath.Join(d, "fleetdesk"), nil
}

// PathFor is the cache file of profile in dir ("" for DefaultDir).
func PathFor(dir, profile string) (string, error) {
	if err := CheckProfile(profile); err != nil {
		return "", err
	}
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, profile+".db"), nil
}

// DemoPath is the demo session's cache file in dir ("" for DefaultDir). Its name begins with an
// underscore, which no profile name can, so a real profile called "demo" (or "Demo", on a file
// system that ignores case) never shares it.
func DemoPath(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, DemoProfile+".db"), nil
}

// DemoProfile is the demo session's name where a profile's goes (its cache file, its keyring
// account): no profile can have it (CheckProfile wants a letter or digit first).
const DemoProfile = "_demo"

// uriPath escapes what a SQLite URI would read as syntax: a user directory such as
// C:\Users\Ann #2 or /home/50%off must name the file, not start the query or an escape.
// Spaces and non-ASCII letters pass as they are (SQLite takes UTF-8).
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
}

func dsn(path string, readOnly bool) string {
	v := "file:" + uriPath(path) + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	if readOnly {
		// Readers mostly scan the devices table once, when a session opens; a page cache of the
		// default 2 MB each would only keep those pages resident afterwards.
		v += "&_pragma=query_only(1)&_pragma=cache_size(-256)"
	} else {
		// A multi-row upsert inside a transaction keeps a statement journal of the pages it
		// touches; in a temp file that is a write system call per page, most of what a live
		// update's delta costs the writer (issue 23). It holds one statement's pages: memory.
		v += "&_pragma=temp_store(MEMORY)"
	}
	return v
}

// Open opens (creating if needed) the cache at path. A corrupt or foreign file is moved aside and
// replaced by an empty cache; Rebuilt then says so.
func Open(ctx context.Context, path string) (*Cache, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the cache directory: %w", err)
	}
	reason := sniff(path)
	var c *Cache
	if reason == "" {
		var err error
		c, err = open(ctx, path)
		if err != nil {
			var ue *unusableError
			if !errors.As(err, &ue) {
				return nil, err
			}
			reason = ue.reason
		}
	}
	if reason == "" {
		return c, nil
	}
	moved, err := moveAside(path)
	if err != nil {
		return nil, fmt.Errorf("the offline cache %s is unusable (%s) and could not be moved aside: %w", path, reason, err)
	}
	c, err = open(ctx, path)
	if err != nil {
		return nil, err
	}
	c.rebuilt = &RebuiltError{Path: path, MovedTo: moved, Reason: reason}
	return c, nil
}

// Rebuilt is non-nil when Open had to replace an unusable file.
func (c *Cache) Rebuilt() *RebuiltError { return c.rebuilt }

// Path is the cache file.
func (c *Cache) Path() string { return c.path }

// Close closes the file (checkpointing the WAL).
func (c *Cache) Close() error {
	err1 := c.r.Close()
	err2 := c.w.Close()
	return errors.Join(err1, err2)
}

type unusableError struct{ reason string }

func (e *unusableError) Error() string { return e.reason }

// sniff looks at the first bytes: anything but an empty file or a SQLite header is not ours.
func sniff(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 16)
	n, err := io.ReadFull(f, head)
	if n == 0 {
		return ""
	}
	if err != nil || !bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return "not a SQLite database"
	}
	return ""
}

func moveAside(path string) (string, error) {
	to := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405.000"))
	if err := os.Rename(path, to); err != nil {
		return "", err
	}
	for _, suf := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suf); err == nil {
			if err := os.Rename(path+suf, to+suf); err != nil {
				return "", err
			}
		}
	}
	return to, nil
}

func isCorruption(err error) bool {
	if err == nil {
		return false
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "malformed") || strings.Contains(s, "not a database") || strings.Contains(s, "corrupt") ||
		strings.Contains(s, "disk image")
}

func open(ctx context.Context, path string) (*Cache, error) {
	// Created private before SQLite sees it: the cache holds customer e-mail addresses. SQLite gives
	// the -wal and -shm files the same mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		f.Close()
	} else {
		return nil, fmt.Errorf("opening the cache file: %w", err)
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	c := &Cache{path: path, w: w}
	if err := c.check(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := c.migrate(ctx); err != nil {
		w.Close()
		if isCorruption(err) {
			return nil, &unusableError{reason: "damaged: " + err.Error()}
		}
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	c.r = r
	return c, nil
}

// check tells our cache from a damaged or foreign one.
func (c *Cache) check(ctx context.Context) error {
	var appID, version int
	if err := c.w.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		if isCorruption(err) {
			return &unusableError{reason: "damaged: " + err.Error()}
		}
		return fmt.Errorf("reading the cache file: %w", err)
	}
	if err := c.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return &unusableError{reason: "damaged: " + err.Error()}
	}
	var tables int
	if err := c.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return &unusableError{reason: "damaged: " + err.Error()}
	}
	switch {
	case appID == 0 && tables == 0 && version == 0:
		return nil // a new, empty file
	case appID != applicationID:
		return &unusableError{reason: "it is not a FleetDesk cache"}
	case version > len(migrationNames()):
		return &unusableError{reason: fmt.Sprintf("it was written by a newer FleetDesk (schema %d)", version)}
	}
	var res string
	if err := c.w.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res); err != nil {
		return &unusableError{reason: "damaged: " + err.Error()}
	}
	if res != "ok" {
		return &unusableError{reason: "damaged: " + res}
	}
	return nil
}

func migrationNames() []string {
	ents, _ := migrationFS.ReadDir("migrations")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// migrate applies the embedded migrations the file has not seen, each in its own transaction
// together with the user_version bump.
func (c *Cache) migrate(ctx context.Context) error {
	var version int
	if err := c.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	for i, name := range migrationNames() {
		if i < version {
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return err
		}
		tx, err := c.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("cache migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// schemaVersion is the file's PRAGMA user_version.
func (c *Cache) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := c.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Meta keys.
const (
	keyCursor   = "cursor"
	keyLastSync = "last_sync"
	keyTotal    = "total"
	keyBackend  = "backend"
	keyAccount  = "account"
	keyMe       = "me"
	keyState    = "backend_state"
	// keyClockOffset is the backend's clock minus this PC's at the last sync, in nanoseconds.
	keyClockOffset = "clock_offset"
)

// Meta reads one value of the meta table ("" when unset).
func (c *Cache) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := c.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta writes one value of the meta table.
func (c *Cache) SetMeta(ctx context.Context, key, value string) error {
	_, err := c.w.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

// SyncState is where the device sync stands.
type SyncState struct {
	Cursor   string
	LastSync time.Time // last complete sync (backend time); zero when never
	Total    int       // devices in scope at the last page
	State    string    // the backend state Cursor belongs to; "" when unknown
	// ClockOffset is the backend's clock minus this PC's at the last sync; ClockKnown says
	// whether one was recorded.
	ClockOffset time.Duration
	ClockKnown  bool
}

// SyncState reads the cursor and the last good sync time.
func (c *Cache) SyncState(ctx context.Context) (SyncState, error) {
	var st SyncState
	rows, err := c.r.QueryContext(ctx, "SELECT key, value FROM meta WHERE key IN (?, ?, ?, ?, ?)",
		keyCursor, keyLastSync, keyTotal, keyState, keyClockOffset)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, err
		}
		switch k {
		case keyCursor:
			st.Cursor = v
		case keyLastSync:
			st.LastSync, _ = time.Parse(time.RFC3339Nano, v)
		case keyTotal:
			st.Total, _ = strconv.Atoi(v)
		case keyState:
			st.State = v
		case keyClockOffset:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				st.ClockOffset, st.ClockKnown = time.Duration(n), true
			}
		}
	}
	return st, rows.Err()
}

// Owner is who the cached data belongs to; a cache is wiped when another account or backend
// takes over the profile.
type Owner struct {
	Backend string
	Account string // e-mail
	Me      string // the api.Me JSON, for offline start
}

// Owner reads the owner.
func (c *Cache) Owner(ctx context.Context) (Owner, error) {
	var o Owner
	var err error
	if o.Backend, err = c.Meta(ctx, keyBackend); err != nil {
		return o, err
	}
	if o.Account, err = c.Meta(ctx, keyAccount); err != nil {
		return o, err
	}
	o.Me, err = c.Meta(ctx, keyMe)
	return o, err
}

// SetOwner records the owner.
func (c *Cache) SetOwner(ctx context.Context, o Owner) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, v := range map[string]string{keyBackend: o.Backend, keyAccount: o.Account, keyMe: o.Me} {
		if _, err := tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Reset forgets all fleet data and the sync cursor (a new account took over the profile, or the
// backend asked for a full resync). Service log entries not yet uploaded are kept: they are a
// technician's work.
func (c *Cache) Reset(ctx context.Context) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		"DELETE FROM devices", "DELETE FROM releases", "DELETE FROM rollouts",
		"DELETE FROM tokens", "DELETE FROM commands", "DELETE FROM service_log WHERE pending = 0",
		"DELETE FROM meta WHERE key IN ('cursor', 'last_sync', 'total', 'me', 'backend_state', 'clock_offset')",
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ResetDevices forgets the fleet and the cursor but keeps everything else: the backend asked for a
// sync from scratch.
func (c *Cache) ResetDevices(ctx context.Context) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{"DELETE FROM devices", "DELETE FROM meta WHERE key IN ('cursor', 'total', 'backend_state')"} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}
