package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// permissiveBackend stands in front of the simulated backend and accepts every rollout creation
// it is sent, as a backend with a bug (or a different vendor's) might: whatever the session lets
// through reaches units. It counts the creations it was sent.
type permissiveBackend struct {
	creates atomic.Int32
	url     string
}

func newPermissiveBackend(t *testing.T, target string) *permissiveBackend {
	u, _ := url.Parse(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &permissiveBackend{url: "http://" + ln.Addr().String()}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == api.PathRollouts {
			p.creates.Add(1)
			var req rollout.CreateRequest
			json.NewDecoder(r.Body).Decode(&req)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(rollout.Rollout{ID: "ro-accepted", Console: req.Console, ReleaseID: req.ReleaseID,
				Model: req.Model, Transport: req.Transport, Target: req.Target, Status: rollout.StatusRunning})
			return
		}
		proxy.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

// TestCreateRolloutRefusesWhatTheRulesForbid calls the session directly, no screen in the loop,
// over a backend that would accept anything: a release of another variant and a my_fleet
// deployment before any unit was validated are refused before the backend hears of them.
func TestCreateRolloutRefusesWhatTheRulesForbid(t *testing.T) {
	srv := startSim(t, 300)
	acc := testsim.Dealer(t, srv)
	back := newPermissiveBackend(t, srv.URL)
	s, err := Open(context.Background(), Options{BackendURL: back.url, Profile: "p", CacheDir: t.TempDir(), Email: acc.Email,
		Password: acc.Password, Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rels, err := s.Releases(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// A release no unit of the fleet runs yet, an online unit of its variant and a unit of
	// another variant of the same console.
	var rel rollout.Release
	var unit, other fleet.Device
	for _, r := range rels {
		ev, err := s.RolloutEvidence(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, validated := rollout.ValidatedBy(r, s.Fleet().Devices(), s.Actor(), ev); validated {
			continue
		}
		unit, other = fleet.Device{}, fleet.Device{}
		for _, p := range s.Fleet().Devices() {
			d := *p
			switch {
			case rollout.Matches(r, d) && d.Online && d.Firmware != r.Version && unit.ID == "":
				unit = d
			case fleet.ConsoleFor(d.Model) == r.Console && !rollout.Matches(r, d) && other.ID == "":
				other = d
			}
		}
		if unit.ID != "" && other.ID != "" {
			rel = r
			break
		}
	}
	if rel.ID == "" {
		t.Fatal("the seeded fleet has no release with a unit to test on and a unit of another variant")
	}
	req := func(target rollout.Target) rollout.CreateRequest {
		return rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport,
			Target: target, Threshold: rollout.DefaultThreshold}
	}
	lying := req(rollout.DeviceTarget(other.ID))
	lying.Model, lying.Transport = other.Model, other.Transport // the request claims the unit's variant

	for name, r := range map[string]rollout.CreateRequest{
		"a unit of another variant":              req(rollout.DeviceTarget(other.ID)),
		"a request that misnames the variant":    lying,
		"my_fleet before any unit was validated": req(rollout.TargetMyFleet),
		"an unknown release":                     {Console: rel.Console, ReleaseID: "rel-nope", Model: rel.Model, Transport: rel.Transport, Target: rollout.TargetMyFleet},
	} {
		if _, err := s.CreateRollout(ctx, r); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
	}
	if n := back.creates.Load(); n != 0 {
		t.Fatalf("%d forbidden rollouts reached the backend", n)
	}
	// The same session sends what the rules allow: the test device of the release's variant.
	if _, err := s.CreateRollout(ctx, req(rollout.DeviceTarget(unit.ID))); err != nil {
		t.Fatalf("test deployment to %s refused: %v", unit.ID, err)
	}
	if n := back.creates.Load(); n != 1 {
		t.Fatalf("%d creations reached the backend, want 1", n)
	}
}
