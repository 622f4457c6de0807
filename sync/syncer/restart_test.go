package syncer

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// restartCfg is a backend whose time moves only when the test says (so the fleet cannot change
// between the sync and the comparison), with access tokens that outlive the hours it is moved.
func restartCfg(db string) sim.Config {
	return sim.Config{Devices: 240, Dealers: 2, Seed: 11, ManualClock: true, AccessTTL: 72 * time.Hour,
		OTAFailureShare: 0.0001, DBPath: db}
}

// startOn starts the simulated backend on addr ("127.0.0.1:0" for any port); it stops at the
// test's end unless the test closes it first.
func startOn(t *testing.T, addr string, cfg sim.Config) *sim.Server {
	t.Helper()
	srv, err := sim.StartOn(context.Background(), addr, cfg)
	if err != nil {
		t.Fatalf("starting the backend on %s: %v", addr, err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// backendFleet is the dealer's fleet as the backend has it now, listed by a client of its own.
func backendFleet(t *testing.T, url string, acc sim.Account) map[string]fleet.Device {
	t.Helper()
	ctx := context.Background()
	c := signedInClient(t, url, acc)
	out := map[string]fleet.Device{}
	cursor := ""
	for {
		p, err := c.Devices(ctx, cursor, 5000)
		if err != nil {
			t.Fatalf("listing the backend's fleet: %v", err)
		}
		for _, d := range p.Devices {
			out[d.ID] = d
		}
		cursor = p.NextCursor
		if !p.HasMore {
			return out
		}
	}
}

// differences lists the units the replica shows otherwise than the backend has them (or not at
// restartAfterSync has an app sync a backend started with cfg, six of its units change and the app
// syncs again; then the backend restarts on the same address without its data and the dealer
// signs in again (the old backend's sessions are gone with it). It returns the app, not synced
// since the restart, and the restarted backend's fleet.
func restartAfterSync(t *testing.T, cfg sim.Config) (*Replica, map[string]fleet.Device) {
	t.Helper()
	s1 := startOn(t, "127.0.0.1:0", cfg)
	addr := strings.TrimPrefix(s1.URL, "http://")
	acc := s1.Accounts[0]
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *Replica {
		s, err := Open(ctx, Options{BackendURL: s1.URL, CacheDir: dir, Email: acc.Email, Password: acc.Password,
			Store: &auth.Memory{}, Manual: true, PageSize: 100, API: fastAPI()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	r1 := open()
	if _, err := r1.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	updateSome(t, s1, r1, 6)
	if _, err := r1.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	r1.Close()
	s1.Close()
	s2 := startOn(t, addr, cfg)
	want := backendFleet(t, s2.URL, acc)
	r2 := open()
	t.Cleanup(func() { r2.Close() })
	return r2, want
}

// all, or that the backend does not have).
func differences(s *Replica, want map[string]fleet.Device) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range s.Fleet().Devices() {
		seen[p.ID] = true
		w, ok := want[p.ID]
		switch {
		case !ok:
			out = append(out, p.ID+" (not on the backend)")
		case !sameDevice(*p, w):
			out = append(out, fmt.Sprintf("%s (shown %s online=%v seen %s; backend %s online=%v seen %s)", p.ID,
				p.Firmware, p.Online, p.LastSeen.Format(time.TimeOnly), w.Firmware, w.Online, w.LastSeen.Format(time.TimeOnly)))
		}
	}
	for id := range want {
		if !seen[id] {
			out = append(out, id+" (missing)")
		}
	}
	return out
}

// updateSome sends FW Update (2.4.1 or whatever the newest matching release is) to the first
// online units of the fleet and moves time on until they are back: the cached fleet then has
// units on versions the seeded backend never had.
func updateSome(t *testing.T, srv *sim.Server, s *Replica, n int) {
	t.Helper()
	ctx := context.Background()
	rels, err := s.Releases(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, d := range s.Fleet().Devices() {
		if sent == n {
			break
		}
		if !d.Online {
			continue
		}
		for _, r := range rels {
			if r.Model == d.Model && r.Transport == d.Transport && r.Version != d.Firmware && r.Version > d.Firmware {
				if _, err := s.SendCommand(ctx, fleet.CommandRequest{DeviceID: d.ID, Action: fleet.ActionForceOTA, ReleaseID: r.ID}); err == nil {
					sent++
				}
				break
			}
		}
	}
	if sent == 0 {
		t.Fatal("no unit took an update: a useless probe")
	}
	srv.Advance(3 * time.Hour)
}

// The backend restarts without its data (same seed, same port): the app's cursor is from a
// state that no longer exists. After the dealer signs in again, one sync lists the whole fleet,
// says so, and every unit shown is the backend's.
func TestRestartedBackendIsSyncedWholeInOneSync(t *testing.T) {
	r2, want := restartAfterSync(t, restartCfg(""))
	ctx := context.Background()
	if d := differences(r2, want); len(d) < 6 {
		t.Fatalf("before the sync only %d units differ from the restarted backend: a useless probe (%v)", len(d), d)
	}
	sum, err := r2.Sync(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := differences(r2, want); len(d) > 0 {
		t.Fatalf("after one sync %d units differ from the restarted backend: %v", len(d), d)
	}
	if !sum.Full || sum.Resync == "" || !strings.Contains(r2.Status().Resync, "restarted") {
		t.Fatalf("summary %+v, status %q: the resync is not told as such", sum, r2.Status().Resync)
	}
	// The next sync is a delta again.
	if sum, err := r2.Sync(ctx, nil); err != nil || sum.Full {
		t.Fatalf("the sync after the resync: %+v, %v", sum, err)
	}
}

// With --db, the backend is restored from a copy older than the app's cursor and has run on
// since, past the cursor's sequence number: one sync of the still signed-in app (its session is
// in the copy) makes every unit the backend's.
func TestRestoredBackendIsSyncedWholeInOneSync(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "fleet.db")
	cfg := restartCfg(db)
	s1 := startOn(t, "127.0.0.1:0", cfg)
	addr := strings.TrimPrefix(s1.URL, "http://")
	acc := s1.Accounts[0]
	ctx := context.Background()
	r, err := Open(ctx, Options{BackendURL: s1.URL, CacheDir: filepath.Join(tmp, "cache"), Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, PageSize: 100, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	backup := filepath.Join(tmp, "backup.db")
	copyFile(t, db, backup)

	s2 := startOn(t, addr, cfg)
	if sum, err := r.Sync(ctx, nil); err != nil || !sum.Full {
		t.Fatalf("the first sync after a restart on the same file: %+v, %v (a new backend state: want a full one)", sum, err)
	}
	updateSome(t, s2, r, 6)
	if _, err := r.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s2.Close()

	copyFile(t, backup, db)
	os.Remove(db + "-wal")
	os.Remove(db + "-shm")
	s3 := startOn(t, addr, cfg)
	s3.Advance(8 * time.Hour) // the restored backend runs on, its sequence past the app's cursor
	want := backendFleet(t, s3.URL, acc)
	if d := differences(r, want); len(d) < 6 {
		t.Fatalf("before the sync only %d units differ from the restored backend: a useless probe", len(d))
	}
	sum, err := r.Sync(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := differences(r, want); len(d) > 0 {
		t.Fatalf("after one sync %d units differ from the restored backend: %v", len(d), d)
	}
	if !sum.Full || sum.Resync == "" {
		t.Fatalf("summary %+v: the resync is not told as such", sum)
	}
}

// A backend that does not tell its states apart answers the old cursor 200 with nothing new (the
// fault fleetsim had): the app does not depend on the 410 alone, the state header is enough.
func TestStateHeaderAloneTriggersResync(t *testing.T) {
	cfg := restartCfg("")
	cfg.IgnoreCursorState = true
	r2, want := restartAfterSync(t, cfg)
	ctx := context.Background()
	sum, err := r2.Sync(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := differences(r2, want); len(d) > 0 {
		t.Fatalf("after one sync %d units differ from the restarted backend: %v", len(d), d)
	}
	if !sum.Full || sum.Resync == "" {
		t.Fatalf("summary %+v: no resync", sum)
	}
}

// A signed-in app with its background loop: the backend restarts on its database (sessions
// survive) and the app, without waiting for its sync interval, notices the new state, syncs the
// whole fleet again and says so.
func TestSignedInAppResyncsAfterBackendRestart(t *testing.T) {
	tmp := t.TempDir()
	cfg := restartCfg(filepath.Join(tmp, "fleet.db"))
	s1 := startOn(t, "127.0.0.1:0", cfg)
	addr := strings.TrimPrefix(s1.URL, "http://")
	acc := s1.Accounts[0]
	ctx := context.Background()
	r, err := Open(ctx, Options{BackendURL: s1.URL, CacheDir: filepath.Join(tmp, "cache"), Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Interval: time.Hour, HealthEvery: 50 * time.Millisecond, OfflineRetryMin: 50 * time.Millisecond,
		OfflineRetryMax: 200 * time.Millisecond, PageSize: 100, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	waitFor(t, "the first sync", func() bool { return !r.Status().LastSync.IsZero() && !r.Status().Syncing })
	var full atomic.Int32
	r.Subscribe(func(ch session.Change) {
		if ch.All {
			full.Add(1)
		}
	})
	s1.Close()
	s2 := startOn(t, addr, cfg)
	s2.Advance(30 * time.Minute)
	want := backendFleet(t, s2.URL, acc)
	waitFor(t, "the resync after the restart", func() bool {
		st := r.Status()
		return st.Resync != "" && !st.Syncing && strings.Contains(st.Resync, "synced again")
	})
	if d := differences(r, want); len(d) > 0 {
		t.Fatalf("after the resync %d units differ from the backend: %v", len(d), d)
	}
	if full.Load() == 0 {
		t.Fatal("the resync did not publish the whole fleet as changed")
	}
}

// A backend whose state header changes on every answer (a state per instance behind a load
// balancer) would restart the listing for ever: the sync gives up with the reason instead.
func TestFlappingStateStopsTheSync(t *testing.T) {
	fx := newFixture(t, 300, func(g int) (int, int) { return 0, 300 })
	var n atomic.Int32
	fx.fault = func(w http.ResponseWriter, r *http.Request, off int) bool {
		w.Header().Set(api.HeaderBackendState, fmt.Sprint("instance-", n.Add(1)))
		return false
	}
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: fx.url, CacheDir: t.TempDir(), Email: "dealer@fixture.example", Password: "fixture-pw",
		Store: &auth.Memory{}, Manual: true, PageSize: 50, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Sync(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "changed its state") {
		t.Fatalf("sync against a flapping state: %v", err)
	}
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

// The backend's clock three hours from the PC's: the replica's clock is the backend's to within
// seconds, from the answers alone; the sync time is on it; and the cache keeps the offset, so the
// fleet reviewed offline later (no backend, no answers) is still aged on the backend's clock.
func TestClockFollowsTheBackendAndIsKeptOffline(t *testing.T) {
	for _, off := range []time.Duration{3 * time.Hour, -3 * time.Hour} {
		t.Run(off.String(), func(t *testing.T) {
			srv := startOn(t, "127.0.0.1:0", sim.Config{Devices: 60, Dealers: 1, Seed: 2, ClockOffset: off})
			acc := srv.Accounts[0]
			dir := t.TempDir()
			ctx := context.Background()
			s, err := Open(ctx, Options{BackendURL: srv.URL, CacheDir: dir, Email: acc.Email, Password: acc.Password,
				Store: &auth.Memory{}, Manual: true, API: fastAPI()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Sync(ctx, nil); err != nil {
				t.Fatal(err)
			}
			near := func(what string, got, want time.Time) {
				t.Helper()
				if d := got.Sub(want); d < -2*time.Second || d > 2*time.Second {
					t.Fatalf("%s %s, the backend's clock %s: %s apart", what, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano), d)
				}
			}
			near("Now", s.Now(), srv.Now())
			near("LastSync", s.Status().LastSync, srv.Now())
			if d := s.Status().ClockOffset - off; d < -2*time.Second || d > 2*time.Second {
				t.Fatalf("ClockOffset %s, want about %s", s.Status().ClockOffset, off)
			}
			s.Close()
			srv.Close()

			c, err := OpenCached(ctx, Options{CacheDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			near("offline, Now", c.Now(), time.Now().Add(off))
			near("offline, OfflineSince", c.Status().UnreachableSince, time.Now().Add(off))
			if d := c.Status().ClockOffset - off; d < -2*time.Second || d > 2*time.Second {
				t.Fatalf("offline ClockOffset %s, want about %s", c.Status().ClockOffset, off)
			}
		})
	}
}
