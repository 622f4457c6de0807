package sim

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// headers is the answer's headers to an authenticated GET.
func (c *client) headers(path string) http.Header {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header
}

// aheadOf is the cursor of the same state n changes further than cursor.
func aheadOf(t *testing.T, cursor string, n uint64) string {
	t.Helper()
	state, seq, ok := strings.Cut(cursor, ".")
	v, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil {
		t.Fatalf("cursor %q is not state.seq", cursor)
	}
	return state + "." + strconv.FormatUint(v+n, 10)
}

func since(cursor string) string { return api.PathDevices + "?since=" + url.QueryEscape(cursor) }

// A cursor this state never handed out is expired, even one that names this state: a client
// that saw sequence 900 of a backend now at 500 holds changes this backend does not.
func TestCursorAheadOfTheStateIsExpired(t *testing.T) {
	s := startSim(t, Config{Devices: 60, Dealers: 1, ManualClock: true})
	c := newClient(t, s, newValidator(t))
	c.login(account(t, s, "dealer", ""))
	_, cursor, _ := listAll(t, c, "", 100)
	c.mustJSON("GET", since(cursor), nil, 200, nil)
	c.mustErr("GET", since(aheadOf(t, cursor, 1)), nil, 410, api.CodeCursorExpired)
	c.mustErr("GET", since(aheadOf(t, cursor, 1_000_000)), nil, 410, api.CodeCursorExpired)
}

// fleetsim restarted without its database, on the same seed, seeds the same fleet again: but it
// is another backend state, and a cursor of the one before must not be answered as a delta.
func TestRestartWithoutDatabaseExpiresCursors(t *testing.T) {
	cfg := Config{Devices: 80, Dealers: 1, Seed: 3, ManualClock: true, AccessTTL: simDayTTL}
	s1, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c1 := newClient(t, s1, nil)
	c1.login(account(t, s1, "dealer", ""))
	s1.Advance(2 * time.Hour) // heartbeats: the first backend's sequence runs well ahead of a fresh one's
	_, cursor, _ := listAll(t, c1, "", 100)
	state1 := c1.headers(api.PathMe).Get(api.HeaderBackendState)
	s1.Close()

	s2 := startSim(t, cfg)
	c2 := newClient(t, s2, newValidator(t))
	c2.login(account(t, s2, "dealer", ""))
	if state2 := c2.headers(api.PathMe).Get(api.HeaderBackendState); state1 == "" || state2 == "" || state1 == state2 {
		t.Fatalf("%s before the restart %q, after %q: want two different states", api.HeaderBackendState, state1, state2)
	}
	c2.mustErr("GET", since(cursor), nil, 410, api.CodeCursorExpired)
	// Even once the new backend's counter has passed the old cursor's.
	s2.Advance(6 * time.Hour)
	_, fresh, _ := listAll(t, c2, "", 100)
	if seqOf(t, fresh) <= seqOf(t, cursor) {
		t.Fatalf("the new backend's sequence %s did not pass the old cursor %s: a useless probe", fresh, cursor)
	}
	c2.mustErr("GET", since(cursor), nil, 410, api.CodeCursorExpired)
	c2.mustJSON("GET", since(fresh), nil, 200, nil)
}

func seqOf(t *testing.T, cursor string) uint64 {
	t.Helper()
	_, seq, _ := strings.Cut(cursor, ".")
	v, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		t.Fatalf("cursor %q", cursor)
	}
	return v
}

// With --db, a backend restored from an older copy of its database answers 410 to cursors it
// handed out after that copy was taken, however far it has run since; a restart on the same
// file is a new state too (fleetsim cannot tell the two apart), and its own cursors work.
func TestRestoredDatabaseExpiresCursors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleet.db")
	cfg := Config{Devices: 80, Dealers: 1, Seed: 4, DBPath: db, ManualClock: true, AccessTTL: simDayTTL}
	s1, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s1.Close()
	backup := filepath.Join(dir, "backup.db")
	copyFile(t, db, backup)

	s2, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, s2, nil)
	c2.login(account(t, s2, "dealer", ""))
	s2.Advance(3 * time.Hour)
	devs, cursor, _ := listAll(t, c2, "", 100)
	c2.mustJSON("POST", path(api.PathDeviceCommands, "id", devs[0].ID), api.CommandRequest{Action: fleet.ActionReboot}, 201, nil)
	s2.Close()

	// Restored: the state of the backup, with a cursor from later on.
	copyFile(t, backup, db)
	for _, f := range []string{db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	s3 := startSim(t, cfg)
	c3 := newClient(t, s3, newValidator(t))
	c3.login(account(t, s3, "dealer", ""))
	c3.mustErr("GET", since(cursor), nil, 410, api.CodeCursorExpired)
	s3.Advance(12 * time.Hour)
	_, fresh, _ := listAll(t, c3, "", 100)
	if seqOf(t, fresh) <= seqOf(t, cursor) {
		t.Fatalf("the restored backend's sequence %s did not pass the old cursor %s: a useless probe", fresh, cursor)
	}
	c3.mustErr("GET", since(cursor), nil, 410, api.CodeCursorExpired)
	c3.mustJSON("GET", since(fresh), nil, 200, nil)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A backend whose clock is not the PC's says so on every answer (Date) and writes every time in
// it: a unit that just reported was last seen at the backend's now, hours from the PC's.
func TestClockOffsetRunsTheBackendsClock(t *testing.T) {
	for _, off := range []time.Duration{-3 * time.Hour, 2 * time.Hour} {
		t.Run(off.String(), func(t *testing.T) {
			s := startSim(t, Config{Devices: 40, Dealers: 1, ClockOffset: off, ManualClock: true, AccessTTL: simDayTTL})
			pc := time.Now()
			if d := s.Now().Sub(pc) - off; d < -time.Minute || d > time.Minute {
				t.Fatalf("backend clock %s, PC %s: off by %s, want %s", s.Now(), pc, s.Now().Sub(pc), off)
			}
			c := newClient(t, s, newValidator(t))
			c.login(account(t, s, "dealer", ""))
			h := c.headers(api.PathMe)
			date, err := http.ParseTime(h.Get("Date"))
			if err != nil {
				t.Fatalf("Date header %q: %v", h.Get("Date"), err)
			}
			if d := date.Sub(s.Now()); d < -2*time.Second || d > time.Second {
				t.Fatalf("Date %s, backend clock %s: the header is not the backend's clock", date, s.Now())
			}
			s.Advance(20 * time.Minute)
			devs, _, _ := listAll(t, c, "", 100)
			latest := time.Time{}
			for _, d := range devs {
				if d.LastSeen.After(latest) {
					latest = d.LastSeen
				}
			}
			if d := s.Now().Sub(latest); d < 0 || d > 20*time.Minute {
				t.Fatalf("newest last_seen %s, backend now %s: not on the backend's clock", latest, s.Now())
			}
		})
	}
	if _, err := NewBackend(Config{Devices: 10, Dealers: 1, ClockOffset: 400 * 24 * time.Hour}); err == nil {
		t.Fatal("a clock offset of 400 days was accepted")
	}
}

// The fault mode of a backend that does not tell its states apart: the old state's cursor is
// answered as a delta of nothing with the same cursor back (what fleetsim did before), but the
// state header still changes, which is all a client has to go on then.
func TestIgnoreCursorStateAnswersAnyCursor(t *testing.T) {
	cfg := Config{Devices: 60, Dealers: 1, Seed: 3, ManualClock: true, AccessTTL: simDayTTL, IgnoreCursorState: true}
	s1, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c1 := newClient(t, s1, nil)
	c1.login(account(t, s1, "dealer", ""))
	s1.Advance(2 * time.Hour)
	_, cursor, _ := listAll(t, c1, "", 100)
	state1 := c1.headers(api.PathMe).Get(api.HeaderBackendState)
	s1.Close()
	s2 := startSim(t, cfg)
	c2 := newClient(t, s2, newValidator(t))
	c2.login(account(t, s2, "dealer", ""))
	var page api.DevicePage
	c2.mustJSON("GET", since(cursor), nil, 200, &page)
	if len(page.Devices) != 0 || seqOf(t, page.NextCursor) != seqOf(t, cursor) {
		t.Fatalf("the old cursor got %d devices and cursor %q back, want none and the same sequence as %q", len(page.Devices), page.NextCursor, cursor)
	}
	if state2 := c2.headers(api.PathMe).Get(api.HeaderBackendState); state2 == state1 {
		t.Fatal("the state header did not change across the restart")
	}
}
