package syncer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

func startSim(t testing.TB, devices int) *sim.Server {
	t.Helper()
	srv, _ := testsim.Start(context.Background(), t, sim.Config{Devices: devices, Dealers: 2, Seed: 7})
	return srv
}

func fastAPI() api.Options {
	return api.Options{Timeout: 5 * time.Second, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, MaxAttempts: 2}
}

func TestFullThenDeltaSyncAgainstSim(t *testing.T) {
	srv := startSim(t, 600)
	acc := testsim.Dealer(t, srv)
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{BackendURL: srv.URL, Profile: "p1", CacheDir: dir, Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, PageSize: 100, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var changes []session.Change
	var mu sync.Mutex
	s.Subscribe(func(c session.Change) { mu.Lock(); changes = append(changes, c); mu.Unlock() })

	var prog [][2]int
	sum, err := s.Sync(context.Background(), func(done, total int) { prog = append(prog, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Full || sum.Total == 0 || sum.Cached != sum.Total || s.Fleet().Len() != sum.Total {
		t.Fatalf("summary %+v, index %d", sum, s.Fleet().Len())
	}
	if sum.Pages < 2 || len(prog) != sum.Pages || prog[len(prog)-1][0] != sum.Total {
		t.Errorf("progress %v for %d pages", prog, sum.Pages)
	}
	for i := 1; i < len(prog); i++ {
		if prog[i][0] < prog[i-1][0] || prog[i][0] > prog[i][1] {
			t.Errorf("progress went backwards: %v", prog)
		}
	}
	// Dealer scope: every synced device is the dealer's.
	for _, d := range s.Fleet().Devices() {
		if d.Dealer != acc.Dealer {
			t.Fatalf("device %s of dealer %s synced for %s", d.ID, d.Dealer, acc.Dealer)
		}
	}
	st := s.Status()
	if !st.Reachable || st.LastSync.IsZero() || st.UserEmail != acc.Email || s.Actor().Dealer != acc.Dealer || st.Notice != "" {
		t.Errorf("status %+v actor %+v", st, s.Actor())
	}
	mu.Lock()
	sawAll := false
	for _, c := range changes {
		sawAll = sawAll || c.All
	}
	mu.Unlock()
	if !sawAll {
		t.Error("the first sync did not publish Change.All")
	}
	// Releases and rollouts were cached.
	rels, err := s.cache.Releases(context.Background(), "")
	if err != nil || len(rels) == 0 {
		t.Errorf("cached releases: %d, %v", len(rels), err)
	}

	// A delta brings only what changed since the cursor.
	sum2, err := s.Sync(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Full || sum2.Changed >= sum.Total/2 {
		t.Errorf("second sync %+v is not a small delta", sum2)
	}
	if s.Fleet().Len() != sum.Total {
		t.Errorf("index %d after delta, want %d", s.Fleet().Len(), sum.Total)
	}

	// The same data comes back from the file with no network and no credentials.
	want := s.Fleet().Devices()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCached(context.Background(), Options{Profile: "p1", CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := c.Fleet().Devices()
	if len(got) != len(want) {
		t.Fatalf("cache holds %d devices, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameDevice(*got[i], *want[i]) {
			t.Fatalf("device %d differs after reopening:\n%+v\n%+v", i, *got[i], *want[i])
		}
	}
	if c.Actor().Dealer != acc.Dealer || c.Status().LastSync.IsZero() || c.Status().Reachable {
		t.Errorf("cache-only status %+v actor %+v", c.Status(), c.Actor())
	}
	if _, err := c.SendCommand(context.Background(), fleet.CommandRequest{DeviceID: want[0].ID, Action: fleet.ActionReboot}); !errors.Is(err, ErrOffline) {
		t.Errorf("command from a cache-only session: %v", err)
	}
	if rs, err := c.ListRollouts(context.Background()); err != nil {
		t.Errorf("offline rollouts: %v %v", rs, err)
	}
}

func sameDevice(a, b fleet.Device) bool {
	if a.ID != b.ID || a.Name != b.Name || a.CustomerEmail != b.CustomerEmail || a.Model != b.Model || a.Console != b.Console ||
		a.Transport != b.Transport || a.Firmware != b.Firmware || a.Online != b.Online || !a.LastSeen.Equal(b.LastSeen) ||
		a.RunState != b.RunState || a.Dealer != b.Dealer || !a.UpdatedAt.Equal(b.UpdatedAt) || len(a.Alarms) != len(b.Alarms) {
		return false
	}
	for i := range a.Alarms {
		if a.Alarms[i] != b.Alarms[i] {
			return false
		}
	}
	if (a.GPS == nil) != (b.GPS == nil) {
		return false
	}
	return a.GPS == nil || (a.GPS.Lat == b.GPS.Lat && a.GPS.Lon == b.GPS.Lon && a.GPS.FixTime.Equal(b.GPS.FixTime))
}

func TestCommandsReleasesAndServiceLogAgainstSim(t *testing.T) {
	srv := startSim(t, 200)
	acc := testsim.Dealer(t, srv)
	s, err := Open(context.Background(), Options{BackendURL: srv.URL, Profile: "p", CacheDir: t.TempDir(), Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var target fleet.Device
	for _, d := range s.Fleet().Devices() {
		if d.Online {
			target = *d
			break
		}
	}
	if target.ID == "" {
		t.Fatal("no online unit in the seeded fleet: the seed no longer fits this test")
	}
	cmd, err := s.SendCommand(ctx, fleet.CommandRequest{DeviceID: target.ID, Action: fleet.ActionReboot})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := s.CommandHistory(target.ID)
	if err != nil || len(hist) != 1 || hist[0].ID != cmd.ID || hist[0].Action != fleet.ActionReboot {
		t.Fatalf("command log %+v, %v", hist, err)
	}
	if _, err := s.Command(ctx, cmd.ID); err != nil {
		t.Errorf("command state: %v", err)
	}

	rels, err := s.Releases(ctx, target.Console)
	if err != nil || len(rels) == 0 {
		t.Fatalf("releases %v %v", rels, err)
	}
	img, err := s.ReleaseImage(ctx, rels[0].ID)
	if err != nil || int64(len(img)) != rels[0].Size && rels[0].Size != 0 {
		t.Fatalf("image %d bytes, release says %d: %v", len(img), rels[0].Size, err)
	}
	cached, sum, err := s.cache.Image(ctx, rels[0].ID)
	if err != nil || !bytes.Equal(cached, img) || sum != sha256Hex(img) {
		t.Fatalf("image not cached: %v", err)
	}

	e := recovery.LogRecord{ID: "svc-1", Technician: "t@example.com", ServiceLogEntry: recovery.ServiceLogEntry{UnitSerial: target.ID,
		Variant:      fleet.Variant{Console: fleet.ConsoleFor(target.Model), Model: target.Model, Transport: target.Transport},
		ImageVersion: rels[0].Version, Result: "ok", When: time.Now().UTC()}}
	if err := s.RecordServiceLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingServiceLog(ctx)
	if err != nil || len(pending) != 0 {
		t.Errorf("pending after an online upload: %v %v", pending, err)
	}
	// A resend after a lost answer is recognised, not recorded twice.
	if res, err := s.client.UploadServiceLog(ctx, []api.ServiceLogEntry{WireServiceLogEntry(e)}); err != nil || res.Duplicates != 1 || res.Accepted != 0 {
		t.Errorf("resend: %+v %v", res, err)
	}
	// The same Idempotency-Key (a retried POST) gets the first command back, not a second one.
	key := api.NewIdempotencyKey()
	c1, err := s.client.SendCommand(ctx, target.ID, api.CommandRequest{Action: fleet.ActionStop}, key)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s.client.SendCommand(ctx, target.ID, api.CommandRequest{Action: fleet.ActionStop}, key)
	if err != nil || c2.ID != c1.ID {
		t.Errorf("replayed command %q vs %q: %v", c2.ID, c1.ID, err)
	}
	found := false
	for _, got := range srv.Backend().ServiceLog(acc.Dealer) {
		found = found || got.ID == "svc-1"
	}
	if !found {
		t.Error("the backend did not receive the service log entry")
	}
}

// flakyProxy forwards to the simulator while up, and refuses connections while down.
type flakyProxy struct {
	ln    net.Listener
	up    atomic.Bool
	hits  atomic.Int32
	srv   *http.Server
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// down is the network going away: new connections are dropped and open ones (an event stream
// among them) are cut.
func (p *flakyProxy) down() {
	p.up.Store(false)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	u, _ := url.Parse(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, proxy: httputil.NewSingleHostReverseProxy(u), conns: map[net.Conn]bool{}}
	p.up.Store(true)
	p.srv = &http.Server{ConnState: func(c net.Conn, st http.ConnState) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if st == http.StateClosed || st == http.StateHijacked {
			delete(p.conns, c)
		} else {
			p.conns[c] = true
		}
	}, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if !p.up.Load() {
			// Drop the connection without an answer, like a dead network.
			hj, ok := w.(http.Hijacker)
			if ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		p.proxy.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	t.Cleanup(func() { p.srv.Close() })
	return p
}

func (p *flakyProxy) URL() string { return "http://" + p.ln.Addr().String() }

func TestOfflineThenBackOnline(t *testing.T) {
	srv := startSim(t, 150)
	acc := testsim.Dealer(t, srv)
	px := newFlakyProxy(t, srv.URL)
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{BackendURL: px.URL(), Profile: "p", CacheDir: dir, Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Interval: time.Hour, OfflineRetryMin: 50 * time.Millisecond, OfflineRetryMax: 200 * time.Millisecond, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	statusCh := make(chan session.Status, 100)
	s.Subscribe(func(c session.Change) {
		if c.Status {
			select {
			case statusCh <- s.Status():
			default:
			}
		}
	})
	waitFor(t, "first sync", func() bool { st := s.Status(); return !st.LastSync.IsZero() && st.Reachable && !st.Syncing })
	n := s.Fleet().Len()
	if n == 0 {
		t.Fatal("nothing synced")
	}
	before := s.Status().LastSync

	px.down()
	s.SyncNow()
	waitFor(t, "offline", func() bool { return !s.Status().Reachable })
	st := s.Status()
	if st.UnreachableWhy == "" || s.Fleet().Len() != n {
		t.Errorf("offline status %+v, fleet %d (want %d kept)", st, s.Fleet().Len(), n)
	}
	// Retries continue with backoff while offline.
	h := px.hits.Load()
	waitFor(t, "a retry while offline", func() bool { return px.hits.Load() > h })
	// Reads fall back to the cache.
	if _, err := s.ListRollouts(context.Background()); err != nil {
		t.Errorf("offline rollouts: %v", err)
	}
	px.up.Store(true)
	waitFor(t, "back online", func() bool { st := s.Status(); return st.Reachable && st.LastSync.After(before) })
	if s.Status().UnreachableWhy != "" {
		t.Errorf("still says why offline: %q", s.Status().UnreachableWhy)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpenWithoutSavedSignIn(t *testing.T) {
	srv := startSim(t, 20)
	_, err := Open(context.Background(), Options{BackendURL: srv.URL, Profile: "nobody", CacheDir: t.TempDir(), Store: &auth.Memory{}, Manual: true})
	if !errors.Is(err, auth.ErrNotSignedIn) {
		t.Errorf("err = %v, want ErrNotSignedIn", err)
	}
	if _, err := Open(context.Background(), Options{BackendURL: "http://fleet.example.com", CacheDir: t.TempDir()}); err == nil {
		t.Error("plain http to a remote backend accepted")
	}
}

func TestAccountSwitchWipesCache(t *testing.T) {
	srv := startSim(t, 100)
	dealers := testsim.Dealers(srv)
	if len(dealers) < 2 {
		t.Fatalf("the backend seeded %d dealers, this test needs two", len(dealers))
	}
	dir := t.TempDir()
	open := func(a sim.Account) *Replica {
		s, err := Open(context.Background(), Options{BackendURL: srv.URL, Profile: "shared", CacheDir: dir, Email: a.Email, Password: a.Password,
			Store: &auth.Memory{}, Manual: true, API: fastAPI()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sync(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := open(dealers[0])
	s1.Close()
	s2 := open(dealers[1])
	defer s2.Close()
	for _, d := range s2.Fleet().Devices() {
		if d.Dealer != dealers[1].Dealer {
			t.Fatalf("dealer %s sees %s's unit %s after switching accounts", dealers[1].Dealer, d.Dealer, d.ID)
		}
	}
}

func TestConfigFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cfg", "config.json")
	c, err := LoadConfig(p)
	if err != nil || len(c.Profiles) != 0 {
		t.Fatalf("missing config: %+v %v", c, err)
	}
	c.Profiles["work"] = Profile{Backend: "https://fleet.example.com", Email: "d@example.com"}
	c.Current = "work"
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v %v", fi.Mode(), err)
	}
	c2, err := LoadConfig(p)
	if err != nil || c2.Current != "work" || c2.Profiles["work"].Email != "d@example.com" {
		t.Errorf("reloaded %+v %v", c2, err)
	}
	if err := RememberProfile(p, "lab", Profile{Backend: "http://127.0.0.1:9000", Email: "t@example.com"}, false); err != nil {
		t.Fatal(err)
	}
	if c3, _ := LoadConfig(p); c3.Current != "work" || c3.Profiles["lab"].Backend != "http://127.0.0.1:9000" || c3.Profiles["work"].Email != "d@example.com" {
		t.Errorf("after RememberProfile: %+v", c3)
	}
	if RememberProfile(p, "x", Profile{Backend: "http://evil.example.com"}, true) == nil {
		t.Error("a plain-http remote backend was remembered")
	}
	for _, bad := range []string{`{"profiles":{"../x":{"backend":"https://a"}}}`, `{"profiles":{"a":{"backend":"http://evil.com"}}}`, `[]`, `{"profiles":5}`} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) accepted", bad)
		}
	}
}

func TestDataAge(t *testing.T) {
	now := time.Now()
	if DataAge(now, time.Time{}) != "never synced" || !strings.Contains(DataAge(now, now.Add(-3*time.Hour)), "3 h ago") {
		t.Error(DataAge(now, now.Add(-3*time.Hour)))
	}
}

var _ = cache.ErrNotCached

func TestCorruptCacheIsRebuiltAndTold(t *testing.T) {
	srv := startSim(t, 50)
	acc := testsim.Dealer(t, srv)
	dir := t.TempDir()
	p, _ := cache.PathFor(dir, "c")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(p, []byte("SQLite format 3\x00 but then nonsense, nonsense, nonsense"), 0o600)
	s, err := Open(context.Background(), Options{BackendURL: srv.URL, Profile: "c", CacheDir: dir, Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.Status().Notice; !strings.Contains(n, "rebuilt") {
		t.Errorf("notice %q", n)
	}
	if _, err := s.Sync(context.Background(), nil); err != nil || s.Fleet().Len() == 0 {
		t.Fatalf("rebuild by sync: %v, %d devices", err, s.Fleet().Len())
	}
	moved, _ := filepath.Glob(p + ".corrupt-*")
	if len(moved) != 1 {
		t.Errorf("moved-aside files %v", moved)
	}
}

// TestServiceLogQueuedOfflineUploadedInBatches records more entries than one upload may carry
// while the backend is unreachable, then lets the next sync upload them all.
func TestServiceLogQueuedOfflineUploadedInBatches(t *testing.T) {
	srv := startSim(t, 30)
	acc := testsim.Dealer(t, srv)
	px := newFlakyProxy(t, srv.URL)
	s, err := Open(context.Background(), Options{BackendURL: px.URL(), Profile: "svc", CacheDir: t.TempDir(), Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	px.down()
	const n = 1203
	for i := 0; i < n; i++ {
		e := recovery.LogRecord{ID: fmt.Sprintf("svc-%04d", i), ServiceLogEntry: recovery.ServiceLogEntry{UnitSerial: "GEN-1", Result: "ok", When: time.Now().UTC()}}
		if err := s.RecordServiceLog(ctx, e); err != nil {
			t.Fatalf("recording offline: %v", err)
		}
		if i == 0 && s.Status().Reachable {
			t.Error("still online with the backend down")
		}
	}
	if p, err := s.PendingServiceLog(ctx); len(p) != n {
		t.Fatalf("%d pending, want %d (%v)", len(p), n, err)
	}
	px.up.Store(true)
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PendingServiceLog(ctx); len(p) != 0 || err != nil {
		t.Errorf("%d still pending after the sync (%v)", len(p), err)
	}
	if got := len(srv.Backend().ServiceLog(acc.Dealer)); got != n {
		t.Errorf("backend holds %d entries, want %d", got, n)
	}
}
