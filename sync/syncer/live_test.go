package syncer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// liveCfg is a backend whose time moves only when the test says, with tokens that outlive it.
func liveCfg(devices int) sim.Config {
	return sim.Config{Devices: devices, Dealers: 2, Seed: 23, ManualClock: true, AccessTTL: 72 * time.Hour,
		EventHeartbeat: 100 * time.Millisecond, OTAFails: func(string) bool { return false }}
}

// listingCounter stands between the app and the backend and counts device listings (GET
// /v1/devices) and command polls (GET /v1/commands/{id}): with the stream, neither may happen
// after the first sync.
type listingCounter struct {
	url       string
	listings  atomic.Int32
	polls     atomic.Int32
	streamsIn atomic.Int32
	rollouts  atomic.Int32 // GET /v1/rollouts/{id}
}

func newListingCounter(t *testing.T, backend string) *listingCounter {
	u, _ := url.Parse(backend)
	rp := httputil.NewSingleHostReverseProxy(u)
	lc := &listingCounter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == api.PathDevices:
			lc.listings.Add(1)
		case r.Method == http.MethodGet && len(r.URL.Path) > len("/v1/commands/") && r.URL.Path[:len("/v1/commands/")] == "/v1/commands/":
			lc.polls.Add(1)
		case r.URL.Path == api.PathEvents:
			lc.streamsIn.Add(1)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/rollouts/"):
			lc.rollouts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	lc.url = srv.URL
	return lc
}

// openLive opens a Replica with its background loop (list, then watch) and waits until it is
// live. Its interval is an hour: any change that shows came through the stream.
func openLive(t *testing.T, backendURL string, acc sim.Account, dir string, tune func(*Options)) *Replica {
	t.Helper()
	o := Options{BackendURL: backendURL, Profile: "p", CacheDir: dir, Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Interval: time.Hour, OfflineRetryMin: 50 * time.Millisecond, OfflineRetryMax: 200 * time.Millisecond,
		Coalesce: 50 * time.Millisecond, API: fastAPI()}
	if tune != nil {
		tune(&o)
	}
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// equalsBackend waits until the replica shows exactly the backend's fleet of the dealer now
// (the backend's time stands still meanwhile); the wait is a hang guard, not a timing claim.
func equalsBackend(t *testing.T, s *Replica, srv *sim.Server, acc sim.Account) {
	t.Helper()
	want := backendFleet(t, srv.URL, acc)
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := differences(s, want)
		if len(d) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d units differ from the backend: %v", len(d), d[:min(len(d), 5)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cacheEqualsBackend closes the replica and checks that its cache file holds the backend's fleet.
func cacheEqualsBackend(t *testing.T, s *Replica, dir string, srv *sim.Server, acc sim.Account) {
	t.Helper()
	s.Close()
	c, err := OpenCached(context.Background(), Options{CacheDir: dir, Profile: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if d := differences(c, backendFleet(t, srv.URL, acc)); len(d) > 0 {
		t.Fatalf("the cache file: %d units differ from the backend: %v", len(d), d[:min(len(d), 5)])
	}
}

func waitLive(t *testing.T, s *Replica) {
	t.Helper()
	waitFor(t, "live updates", func() bool {
		st := s.Status()
		return st.Updates == session.UpdatesLive && !st.Syncing && !st.LastSync.IsZero()
	})
}

// List, then watch: after the first sync the fleet follows the backend through the stream alone
// (no listing, with an interval of an hour), the changes applied in a few deltas, each published
// as one Change, and the cache file ends equal to the backend.
func TestLiveFollowsTheBackend(t *testing.T) {
	srv := startOn(t, "127.0.0.1:0", liveCfg(400))
	acc := srv.Accounts[0]
	lc := newListingCounter(t, srv.URL)
	dir := t.TempDir()
	s := openLive(t, lc.url, acc, dir, func(o *Options) { o.Coalesce = 300 * time.Millisecond })
	waitLive(t, s)
	var mu sync.Mutex
	var deltas [][]string
	s.Subscribe(func(ch session.Change) {
		if len(ch.Devices) > 0 {
			mu.Lock()
			deltas = append(deltas, ch.Devices)
			mu.Unlock()
		}
	})
	listed := lc.listings.Load()
	srv.Advance(20 * time.Minute) // a burst of a few thousand changes at once
	equalsBackend(t, s, srv, acc)
	if n := lc.listings.Load(); n != listed {
		t.Fatalf("%d device listings after the first sync: the changes were polled", n-listed)
	}
	mu.Lock()
	n, units := len(deltas), 0
	for _, d := range deltas {
		seen := map[string]bool{}
		for _, id := range d {
			if seen[id] {
				t.Fatalf("one delta names %s twice", id)
			}
			seen[id] = true
		}
		units += len(d)
	}
	mu.Unlock()
	if n == 0 || n > 10 || units < 100 {
		t.Fatalf("%d units changed in %d published deltas: want the burst coalesced into a few", units, n)
	}
	if st := s.Status(); st.Updates != session.UpdatesLive || st.UpdatesWhy != "" || st.SyncEvery != time.Hour {
		t.Fatalf("status %v %q every %s", st.Updates, st.UpdatesWhy, st.SyncEvery)
	}
	cacheEqualsBackend(t, s, dir, srv, acc)
}

// A command is followed through the stream: its transitions reach the command log without a
// poll, each announced; a rollout's progress reaches the cached rollout without a listing.
func TestLiveFollowsCommandsAndRollouts(t *testing.T) {
	srv := startOn(t, "127.0.0.1:0", liveCfg(200))
	acc := srv.Accounts[0]
	lc := newListingCounter(t, srv.URL)
	s := openLive(t, lc.url, acc, t.TempDir(), nil)
	waitLive(t, s)
	ctx := context.Background()
	var unit fleet.Device
	for _, d := range s.Fleet().Devices() {
		if d.Online && d.Transport == fleet.TransportWiFi && d.RunState == fleet.RunStopped && len(d.Alarms) == 0 {
			unit = *d
			break
		}
	}
	var announced atomic.Int32
	s.Subscribe(func(ch session.Change) {
		for _, id := range ch.Commands {
			if id == unit.ID {
				announced.Add(1)
			}
		}
	})
	cmd, err := s.SendCommand(ctx, fleet.CommandRequest{DeviceID: unit.ID, Action: fleet.ActionStart})
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Minute)
	waitFor(t, "the command's end in the log", func() bool {
		c, err := s.cache.Command(ctx, cmd.ID)
		return err == nil && c.Status == fleet.CommandDone
	})
	waitFor(t, "the unit running", func() bool { d, _ := s.Fleet().Get(unit.ID); return d.RunState == fleet.RunRunning })
	if lc.polls.Load() != 0 {
		t.Fatalf("the command was polled %d times", lc.polls.Load())
	}
	if announced.Load() < 2 {
		t.Fatalf("the command's log changed %d times as announced: want the send and its end at least", announced.Load())
	}

	rels, err := s.Releases(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var test fleet.Device
	var rel rollout.Release
	for _, d := range s.Fleet().Devices() {
		for _, r := range rels {
			if d.ID != unit.ID && d.Online && rollout.Matches(r, *d) && r.Version != d.Firmware && fleet.CompareVersions(r.Version, d.Firmware) > 0 {
				test, rel = *d, r
			}
		}
	}
	if test.ID == "" {
		t.Fatal("no unit to validate on")
	}
	ro, err := s.CreateRollout(ctx, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport,
		Target: rollout.DeviceTarget(test.ID)})
	if err != nil {
		t.Fatal(err)
	}
	listed := lc.listings.Load()
	advanceUntil(t, srv, 2*time.Hour, "the validation to finish", func() bool {
		r, err := s.cache.Rollout(ctx, ro.ID)
		return err == nil && r.Status == rollout.StatusFinished
	})
	r, _ := s.cache.Rollout(ctx, ro.ID)
	if len(r.Units) != 1 || r.Units[0].Stage != rollout.StageConfirmed || r.Units[0].Firmware != rel.Version {
		t.Fatalf("the cached rollout %+v", r)
	}
	waitFor(t, "the unit back on the release", func() bool { d, _ := s.Fleet().Get(test.ID); return d.Online && d.Firmware == rel.Version })
	if lc.listings.Load() != listed {
		t.Fatal("the rollout was followed by listing the fleet")
	}
	// The rollout monitor's question, while live, is answered from what the stream brought.
	got, err := s.Rollout(ctx, ro.ID)
	if err != nil || got.Status != rollout.StatusFinished || len(got.Units) != 1 || got.Units[0].Stage != rollout.StageConfirmed {
		t.Fatalf("Rollout while live: %+v %v", got, err)
	}
	if n := lc.rollouts.Load(); n != 0 {
		t.Fatalf("the rollout was fetched %d times while the stream brought it", n)
	}
}

// A backend without the stream (404): the replica asks for deltas at the interval instead, and
// says so; the fleet still follows the backend.
func TestLiveFallsBackToPolling(t *testing.T) {
	cfg := liveCfg(200)
	cfg.NoEvents = true
	srv := startOn(t, "127.0.0.1:0", cfg)
	acc := srv.Accounts[0]
	s := openLive(t, srv.URL, acc, t.TempDir(), func(o *Options) { o.Interval = 200 * time.Millisecond; o.HealthEvery = -1 })
	waitFor(t, "polling", func() bool {
		st := s.Status()
		return st.Updates == session.UpdatesPolling && st.UpdatesWhy == whyNoStream && !st.LastSync.IsZero()
	})
	srv.Advance(10 * time.Minute)
	equalsBackend(t, s, srv, acc)
	if st := s.Status(); st.SyncEvery != 200*time.Millisecond {
		t.Fatalf("SyncEvery %s", st.SyncEvery)
	}
}

// Options.Polling keeps to deltas whatever the backend offers.
func TestLivePollingByChoice(t *testing.T) {
	srv := startOn(t, "127.0.0.1:0", liveCfg(100))
	acc := srv.Accounts[0]
	lc := newListingCounter(t, srv.URL)
	s := openLive(t, lc.url, acc, t.TempDir(), func(o *Options) { o.Polling = true; o.Interval = 100 * time.Millisecond })
	waitFor(t, "a few syncs", func() bool { return lc.listings.Load() >= 3 })
	if st := s.Status(); st.Updates != session.UpdatesPolling || st.UpdatesWhy != whyTurnedOff || lc.streamsIn.Load() != 0 {
		t.Fatalf("status %v %q, %d streams opened", st.Updates, st.UpdatesWhy, lc.streamsIn.Load())
	}
}

// The backend restarts without its data: the stream drops, its cursor answers 410 on the way
// back, and the replica lists the whole fleet again through the sync's path, says so, and is
// live again, equal to the new backend.
func TestLiveResyncsAfterBackendRestart(t *testing.T) {
	cfg := liveCfg(300)
	s1 := startOn(t, "127.0.0.1:0", cfg)
	addr := s1.URL[len("http://"):]
	acc := s1.Accounts[0]
	dir := t.TempDir()
	s := openLive(t, s1.URL, acc, dir, nil)
	waitLive(t, s)
	updateSome(t, s1, s, 5) // the cached fleet has units on versions the seeded backend never had
	equalsBackend(t, s, s1, acc)
	s1.Close()
	cfg.DBPath = "" // same seed, no data: a new state
	s2 := startOn(t, addr, cfg)
	// The dealer's session died with the old backend; the replica signs in again (the saved
	// sign-in is in memory here, so reopen as the app would after "Sign in").
	s.Close()
	s = openLive(t, s2.URL, acc, dir, nil)
	waitFor(t, "the resync", func() bool { st := s.Status(); return st.Resync != "" && !st.Syncing })
	waitLive(t, s)
	equalsBackend(t, s, s2, acc)
	cacheEqualsBackend(t, s, dir, s2, acc)
}

// The applied cursor is the stream's: a replica closed while live and opened again resumes from
// it (a delta listing of only what it missed), not from the first sync's.
func TestLiveCursorIsKept(t *testing.T) {
	srv := startOn(t, "127.0.0.1:0", liveCfg(200))
	acc := srv.Accounts[0]
	dir := t.TempDir()
	s := openLive(t, srv.URL, acc, dir, nil)
	waitLive(t, s)
	before, _ := s.cache.SyncState(context.Background())
	srv.Advance(5 * time.Minute)
	equalsBackend(t, s, srv, acc)
	waitFor(t, "the cursor to move", func() bool {
		st, _ := s.cache.SyncState(context.Background())
		return st.Cursor != before.Cursor
	})
	s.Close()
	c, err := cache.Open(context.Background(), dir+"/p.db")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.SyncState(context.Background())
	c.Close()
	var page api.DevicePage
	cl := signedInClient(t, srv.URL, acc)
	page, err = cl.Devices(context.Background(), st.Cursor, 5000)
	if err != nil || len(page.Devices) != 0 {
		t.Fatalf("the kept cursor %s still has %d changes to list (%v): the stream's deltas did not move it", st.Cursor, len(page.Devices), err)
	}
}
