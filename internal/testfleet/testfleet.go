// Package testfleet gives tests real data layers: a simulated backend (package sim) with a
// signed-in syncer.Replica in front of it, or a Replica opened offline on a SQLite cache filled
// with a generated fleet. Nothing here is a stand-in: the code under test talks to the same types
// the app uses. Only tests import it, so the production import graph never reaches sim.
package testfleet

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// Live is a simulated backend and a dealer signed in to it.
type Live struct {
	Server  *sim.Server
	Session *syncer.Replica
	Account sim.Account
	// Client is a second, independent client signed in as the same dealer: tests ask the backend
	// through it what really happened, not the session under test.
	Client *api.Client
}

// StartLive starts a simulated backend, signs the first dealer account in with a background-
// syncing session, and waits for the first full sync. Everything stops at the test's end.
func StartLive(t testing.TB, cfg sim.Config) *Live {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, acct := testsim.Start(ctx, t, cfg)
	s, err := syncer.Open(ctx, syncer.Options{
		BackendURL: srv.URL,
		CacheDir:   t.TempDir(),
		Email:      acct.Email,
		Password:   acct.Password,
		Store:      &auth.Memory{},
		Interval:   300 * time.Millisecond,
		Now:        srv.Now,
	})
	if err != nil {
		t.Fatalf("syncer.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	waitFor(t, 30*time.Second, "the first sync", func() bool { return !s.Status().LastSync.IsZero() })
	return &Live{Server: srv, Session: s, Account: acct, Client: SignedInClient(t, srv.URL, acct)}
}

// SignedInClient is a client of the backend at url signed in as acc, independent of any session
// under test (its sign-in is kept in memory): what a test asks it is what the backend really has.
func SignedInClient(t testing.TB, url string, acc sim.Account) *api.Client {
	t.Helper()
	plain, err := api.New(url, nil, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	as := auth.New(plain, &auth.Memory{}, "check")
	if err := as.SignIn(context.Background(), acc.Email, acc.Password); err != nil {
		t.Fatalf("signing a checking client in to %s: %v", url, err)
	}
	return plain.WithTokens(as)
}

// Dealer is the dealer every generated device belongs to.
const Dealer = "dealer-gen"

// GenerateFleet makes n plausible devices for dealer Dealer, reproducibly from seed: IDs like
// "D180-00412", customer emails, names, every model, both transports, a spread of last-seen times
// around now so every health state occurs, and a GPS fix on most.
func GenerateFleet(n int, seed uint64, now time.Time) []fleet.Device {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	firms := []string{"2.3.0", "2.4.1", "2.5.0", "3.0.2", "3.1.0"}
	first := []string{"Ada", "Bram", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun"}
	last := []string{"Hartley", "Okafor", "Lindqvist", "Moreau", "Castillo", "Nakamura", "Brennan", "Kowalski"}
	sites := []string{"Quarry", "Farm", "Clinic", "Tower", "Pump", "Depot", "Camp", "Mill"}
	out := make([]fleet.Device, n)
	for i := range out {
		m := fleet.AllModels[r.IntN(len(fleet.AllModels))]
		tr := fleet.AllTransports[r.IntN(2)]
		th := fleet.ThresholdsFor(tr)
		var silent time.Duration
		switch x := r.IntN(100); {
		case x < 70:
			silent = time.Duration(r.Int64N(int64(th.LiveFor)))
		case x < 85:
			silent = th.LiveFor + time.Duration(r.Int64N(int64(th.LostAfter-th.LiveFor)))
		default:
			silent = th.LostAfter + time.Duration(r.Int64N(int64(72*time.Hour)))
		}
		fn, ln := first[r.IntN(len(first))], last[r.IntN(len(last))]
		d := fleet.Device{
			ID:            fmt.Sprintf("%s-%05d", m, i),
			Name:          fmt.Sprintf("%s %s %d", ln, sites[r.IntN(len(sites))], i%97),
			CustomerEmail: fmt.Sprintf("%s.%s%d@example.com", lower(fn), lower(ln), i%1000),
			Model:         m,
			Console:       fleet.ConsoleFor(m),
			Transport:     tr,
			Firmware:      firms[r.IntN(len(firms))],
			Online:        silent < th.LiveFor*2,
			LastSeen:      now.Add(-silent),
			RunState:      []fleet.RunState{fleet.RunRunning, fleet.RunStopped, fleet.RunStopped}[r.IntN(3)],
			Dealer:        Dealer,
			UpdatedAt:     now.Add(-silent),
		}
		if r.IntN(20) == 0 {
			d.Alarms = []string{"low fuel"}
		}
		if r.IntN(10) < 8 {
			d.GPS = &fleet.Position{Lat: -40 + r.Float64()*90, Lon: -120 + r.Float64()*200, FixTime: d.LastSeen}
		}
		out[i] = d
	}
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FillCache writes devices into a fresh cache for profile "default" under dir, as a completed sync
// at syncedAt, owned by a dealer account of Dealer, the way a previous online run leaves it.
func FillCache(ctx context.Context, dir string, devs []fleet.Device, syncedAt time.Time) error {
	path, err := cache.PathFor(dir, syncer.DefaultProfile)
	if err != nil {
		return err
	}
	c, err := cache.Open(ctx, path)
	if err != nil {
		return err
	}
	defer c.Close()
	me, _ := json.Marshal(api.Me{ID: "u-gen", Email: "dealer@example.com", Name: "Gen Dealer", Role: "dealer",
		Dealer: Dealer, DealerName: "Generated Power Co."})
	if err := c.SetOwner(ctx, cache.Owner{Backend: "http://127.0.0.1:1", Account: "dealer@example.com", Me: string(me)}); err != nil {
		return err
	}
	const page = 5000
	for i := 0; i < len(devs); i += page {
		j := min(i+page, len(devs))
		b := cache.Batch{Devices: devs[i:j], Cursor: fmt.Sprint(j), Total: len(devs)}
		if j == len(devs) {
			b.Complete = syncedAt
		}
		if err := c.ApplyBatch(ctx, b); err != nil {
			return err
		}
	}
	if len(devs) == 0 {
		return c.MarkSynced(ctx, syncedAt)
	}
	return nil
}

// OpenOffline opens a cache-only session (no backend, no credentials) over dir, with a clock fixed
// at now so health and "last seen" are reproducible.
func OpenOffline(ctx context.Context, dir string, now time.Time) (*syncer.Replica, error) {
	return syncer.OpenCached(ctx, syncer.Options{CacheDir: dir, Now: func() time.Time { return now }})
}

// Offline fills a cache with n generated devices and opens it offline; it closes at the test's end.
func Offline(t testing.TB, n int, now time.Time) (*syncer.Replica, []fleet.Device) {
	t.Helper()
	dir := t.TempDir()
	devs := GenerateFleet(n, 42, now)
	keep := append([]fleet.Device(nil), devs...)
	if err := FillCache(context.Background(), dir, devs, now.Add(-5*time.Minute)); err != nil {
		t.Fatalf("filling the cache: %v", err)
	}
	s, err := OpenOffline(context.Background(), dir, now)
	if err != nil {
		t.Fatalf("opening the cache: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, keep
}

// StartSim starts a simulated backend only (for sign-in tests) and returns it with a dealer
// account; it stops at the test's end.
func StartSim(t testing.TB, cfg sim.Config) (*sim.Server, sim.Account) {
	t.Helper()
	return testsim.Start(context.Background(), t, cfg)
}

// SignIn is the sign-in the app's window uses, against a fresh cache under dir with an in-memory
// credential store (tests must not touch the user's keyring).
func SignIn(dir string, now func() time.Time) func(ctx context.Context, backendURL, email, password string) (*syncer.Replica, error) {
	return func(ctx context.Context, backendURL, email, password string) (*syncer.Replica, error) {
		return syncer.Open(ctx, syncer.Options{BackendURL: backendURL, CacheDir: dir, Email: email, Password: password,
			Store: &auth.Memory{}, Interval: 300 * time.Millisecond, Now: now})
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartManual starts a simulated backend and signs its first dealer in with a replica that syncs
// only when the test calls Sync (no background loop), so the test decides when the fleet arrives.
// Everything stops at the test's end.
func StartManual(ctx context.Context, t testing.TB, cfg sim.Config) (*syncer.Replica, *sim.Server, sim.Account) {
	t.Helper()
	srv, acct := testsim.Start(ctx, t, cfg)
	s, err := syncer.Open(ctx, syncer.Options{BackendURL: srv.URL, Email: acct.Email, Password: acct.Password,
		CacheDir: t.TempDir(), Store: &auth.Memory{}, Manual: true})
	if err != nil {
		t.Fatalf("syncer.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, srv, acct
}

// StartSkewed starts a simulated backend whose clock runs offset from this PC's (3h: the backend is
// three hours ahead, the PC behind) and stands still between the test's Advance calls, lets its
// units report for span of its time, and signs its first dealer in with a Replica that is given
// no clock: it knows the backend's time only from the backend's answers, as with a real backend.
// The fleet is synced once; the Replica syncs again only when the test calls Sync. Everything
// stops at the test's end.
func StartSkewed(ctx context.Context, t testing.TB, cfg sim.Config, offset, span time.Duration) (*syncer.Replica, *sim.Server) {
	t.Helper()
	// The backend starts span earlier, so that once its units have reported for span its clock
	// is offset from the PC's.
	cfg.ClockOffset, cfg.ManualClock = offset-span, true
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = span + 24*time.Hour // the sign-in lives on the backend's clock too
	}
	s, srv, _ := StartManual(ctx, t, cfg)
	srv.Advance(span)
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatalf("syncing the skewed backend: %v", err)
	}
	return s, srv
}

// ShownOnBackendClock reports whether what a screen shows (f at some moment) is what the skewed
// backend's clock gives. A Replica of StartSkewed learns the backend's time from its answers and
// runs on with the real time since the last one, while the test's backend clock stands still;
// so the screen's "now" lies between the backend's clock and that plus the real time since the
// test's last sync (synced), give or take a few seconds, never hours away as the PC's clock is.
func ShownOnBackendClock(srv *sim.Server, synced time.Time, f func(at time.Time) bool) bool {
	now := srv.Now().Local()
	limit := time.Since(synced) + 5*time.Second
	for d := -2 * time.Second; d <= limit; d += time.Second {
		if f(now.Add(d)) {
			return true
		}
	}
	return false
}
