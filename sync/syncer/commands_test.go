package syncer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// countingProxy stands between the session and the simulated backend and counts the commands
// that reach the backend: a refusal by the data layer must leave it at zero.
func countingProxy(t *testing.T, backend string) (string, *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	var posts atomic.Int32
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/commands") {
			posts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &posts
}

// startTwoDealers starts a simulated backend of 300 units shared by two dealers.
func startTwoDealers(t *testing.T) (*sim.Server, []sim.Account) {
	t.Helper()
	srv, _ := testsim.Start(context.Background(), t, sim.Config{Devices: 300, Dealers: 2, Seed: 7})
	dealers := testsim.Dealers(srv)
	if len(dealers) < 2 {
		t.Fatal("need two dealers")
	}
	return srv, dealers
}

func openSynced(t *testing.T, backendURL string, acc sim.Account) *Replica {
	t.Helper()
	s, err := Open(context.Background(), Options{BackendURL: backendURL, Profile: "p", CacheDir: t.TempDir(), Email: acc.Email,
		Password: acc.Password, Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSendCommandRefusesWhatTheRulesForbid calls the session directly, with no screen in the
// loop, and checks that each forbidden command is refused with the reason before it reaches the
// simulated backend: a unit outside the dealer's scope, a command the unit cannot take now (Start on a
// running unit, Stop on a stopped one, Start on an offline unit, Force OTA on an offline unit), and a
// release of another variant. The allowed twins of the same calls do reach the backend.
func TestSendCommandRefusesWhatTheRulesForbid(t *testing.T) {
	srv, dealers := startTwoDealers(t)
	proxied, posts := countingProxy(t, srv.URL)
	s := openSynced(t, proxied, dealers[0])
	other := openSynced(t, srv.URL, dealers[1])
	ctx := context.Background()

	find := func(what string, ok func(fleet.Device) bool) fleet.Device {
		t.Helper()
		for _, d := range s.Fleet().Devices() {
			if ok(*d) {
				return *d
			}
		}
		t.Fatalf("no unit in the simulated fleet is %s", what)
		return fleet.Device{}
	}
	running := find("online and running", func(d fleet.Device) bool { return d.Online && d.RunState == fleet.RunRunning })
	stopped := find("online and stopped", func(d fleet.Device) bool { return d.Online && d.RunState == fleet.RunStopped })
	offline := find("offline", func(d fleet.Device) bool { return !d.Online && d.RunState != fleet.RunRunning })
	foreign := other.Fleet().Devices()[0]
	if _, ok := s.Fleet().Get(foreign.ID); ok {
		t.Fatalf("%s is in both dealers' fleets", foreign.ID)
	}

	rels, err := s.Releases(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// Two wrong releases, each required: one of another console, and the close miss, one of the
	// unit's own console built for another engine or transport.
	release := func(what string, ok func(rollout.Release) bool) rollout.Release {
		t.Helper()
		for _, r := range rels {
			if ok(r) {
				return r
			}
		}
		t.Fatalf("no release is %s: the probe cannot be made", what)
		return rollout.Release{}
	}
	own := fleet.ConsoleFor(stopped.Model)
	otherConsole := release("of another console", func(r rollout.Release) bool { return r.Console != own })
	otherVariant := release("of the unit's console for another variant", func(r rollout.Release) bool {
		return r.Console == own && !rollout.Matches(r, stopped)
	})
	// An online unit with an older and a newer release of its variant, for the consent rule.
	var unit fleet.Device
	var older, same rollout.Release
	for _, p := range s.Fleet().Devices() {
		if !p.Online {
			continue
		}
		older, same = rollout.Release{}, rollout.Release{}
		for _, r := range rollout.ReleasesFor(*p, rels) {
			switch rollout.DirectionOf(r, *p) {
			case fleet.Downgrade:
				older = r
			case fleet.Reinstall:
				same = r
			}
		}
		if older.ID != "" {
			unit = *p
			break
		}
	}
	if unit.ID == "" {
		t.Fatal("no online unit of the simulated fleet runs newer firmware than some release of its variant")
	}
	queued, ok := rollout.NewestFor(offline, rels)
	if !ok {
		t.Fatalf("no newer release for the offline unit %s (%s)", offline.ID, offline.Firmware)
	}

	type refusal struct {
		name   string
		req    fleet.CommandRequest
		reason scope.Reason
		words  string
	}
	refusals := []refusal{
		{"another dealer's unit", fleet.CommandRequest{DeviceID: foreign.ID, Action: fleet.ActionReboot}, scope.ReasonNotInFleet, "not in your fleet"},
		{"Start on a running unit", fleet.CommandRequest{DeviceID: running.ID, Action: fleet.ActionStart}, scope.ReasonAlreadyRunning, "already running"},
		{"Stop on a stopped unit", fleet.CommandRequest{DeviceID: stopped.ID, Action: fleet.ActionStop}, scope.ReasonAlreadyStopped, "already stopped"},
		{"Start on an offline unit", fleet.CommandRequest{DeviceID: offline.ID, Action: fleet.ActionStart}, scope.ReasonUnitOffline, "is offline"},
		{"Force OTA on an offline unit", fleet.CommandRequest{DeviceID: offline.ID, Action: fleet.ActionForceOTA, ReleaseID: queued.ID}, scope.ReasonUnitOffline, "needs " + offline.ID + " online"},
		{"FW Update without a release", fleet.CommandRequest{DeviceID: stopped.ID, Action: fleet.ActionFWUpdate}, scope.ReasonNoRelease, "needs a firmware release"},
		{"a release of another console", fleet.CommandRequest{DeviceID: stopped.ID, Action: fleet.ActionFWUpdate, ReleaseID: otherConsole.ID}, scope.ReasonUnknownRelease, "not in the"},
		{"a release of another variant on the same console", fleet.CommandRequest{DeviceID: stopped.ID, Action: fleet.ActionForceOTA, ReleaseID: otherVariant.ID}, scope.ReasonWrongVariant, "is built for"},
		{"a downgrade without consent", fleet.CommandRequest{DeviceID: unit.ID, Action: fleet.ActionFWUpdate, ReleaseID: older.ID}, scope.ReasonNotConsented, "downgrade"},
		{"a downgrade with only a reinstall's consent", fleet.CommandRequest{DeviceID: unit.ID, Action: fleet.ActionForceOTA, ReleaseID: older.ID, Consent: fleet.Reinstall}, scope.ReasonNotConsented, "downgrade"},
		{"an unknown action", fleet.CommandRequest{DeviceID: unit.ID, Action: "self_destruct"}, scope.ReasonUnknownAction, "unknown action"},
	}
	if same.ID != "" {
		refusals = append(refusals, refusal{"a reinstall without consent",
			fleet.CommandRequest{DeviceID: unit.ID, Action: fleet.ActionFWUpdate, ReleaseID: same.ID}, scope.ReasonNotConsented, "installs it again"})
	}
	for _, c := range refusals {
		_, err := s.SendCommand(ctx, c.req)
		var denied *scope.DeniedError
		if !errors.As(err, &denied) || denied.Reason != c.reason || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: got %v, want a %s refusal saying %q", c.name, err, c.reason, c.words)
		}
	}
	if n := posts.Load(); n != 0 {
		t.Fatalf("%d refused commands reached the backend", n)
	}

	// The allowed twins go through: the checks refuse only what the rules forbid.
	for name, req := range map[string]fleet.CommandRequest{
		"Start on a stopped unit":              {DeviceID: stopped.ID, Action: fleet.ActionStart},
		"FW Update queued for an offline unit": {DeviceID: offline.ID, Action: fleet.ActionFWUpdate, ReleaseID: queued.ID},
		"a downgrade the dealer consented to":  {DeviceID: unit.ID, Action: fleet.ActionFWUpdate, ReleaseID: older.ID, Consent: fleet.Downgrade},
	} {
		if _, err := s.SendCommand(ctx, req); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if n := posts.Load(); n != 3 {
		t.Fatalf("%d commands reached the backend, want the 3 allowed ones", n)
	}
}
