package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// signedInClient is a second client of the backend, as another person of the dealer's office:
// what it does reaches the backend without the replica under test knowing.
func signedInClient(t *testing.T, url string, acc sim.Account) *api.Client {
	t.Helper()
	plain, err := api.New(url, nil, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	as := auth.New(plain, &auth.Memory{}, "other")
	if err := as.SignIn(context.Background(), acc.Email, acc.Password); err != nil {
		t.Fatal(err)
	}
	return plain.WithTokens(as)
}

// advanceUntil moves the backend's clock in steps until cond holds, failing after limit of its
// time.
func advanceUntil(t *testing.T, srv *sim.Server, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for spent := time.Duration(0); !cond(); spent += 30 * time.Second {
		if spent > limit {
			t.Fatalf("%s did not happen within %s of the backend's time", what, limit)
		}
		srv.Advance(30 * time.Second)
	}
}

// The count the dealer agreed to is the count deployed. Between the sync the confirmation was
// computed on and the deploy, the backend's fleet moves on: a unit that was installing comes
// back (the backend alone would add it: "98" confirmed, "99" deployed), and a confirmed unit
// starts installing something else (the backend alone would drop it). The rollout goes to
// exactly the confirmed units, or is refused with both counts and nothing sent.
func TestMyFleetDeploysExactlyTheConfirmedUnits(t *testing.T) {
	cfg := sim.Config{Devices: 400, Dealers: 1, Seed: 5, ManualClock: true, AccessTTL: 72 * time.Hour,
		OTAFails: func(string) bool { return false }}
	srv := startOn(t, "127.0.0.1:0", cfg)
	acc := srv.Accounts[0]
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: srv.URL, CacheDir: t.TempDir(), Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other := signedInClient(t, srv.URL, acc)
	srv.Advance(time.Hour)
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rels, err := s.Releases(ctx, fleet.ConsoleUnified)
	if err != nil {
		t.Fatal(err)
	}
	rollout.SortReleases(rels)
	// The newest D180 WiFi release, and the D180 WiFi units online on another version.
	var rel, older rollout.Release
	for _, r := range rels {
		if r.Model == fleet.ModelD180 && r.Transport == fleet.TransportWiFi {
			if rel.ID == "" {
				rel = r
			} else if older.ID == "" {
				older = r
			}
		}
	}
	var units []fleet.Device
	for _, d := range s.Fleet().Devices() {
		if rollout.Matches(rel, *d) && d.Firmware != rel.Version && d.Firmware != older.Version && d.Reachable(s.Now()) {
			units = append(units, *d)
		}
	}
	if rel.ID == "" || older.ID == "" || len(units) < 6 {
		t.Fatalf("release %q, older %q, %d D180 WiFi units to update: a useless probe", rel.ID, older.ID, len(units))
	}
	test, back, busy := units[0], units[1], units[2]
	backend := func(id string) fleet.Device {
		d, err := other.Device(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// Validate on a test unit; then someone else sends another release to unit "back".
	cmd, err := s.SendCommand(ctx, fleet.CommandRequest{DeviceID: test.ID, Action: fleet.ActionFWUpdate, ReleaseID: rel.ID})
	if err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, srv, time.Hour, "the test unit's install", func() bool {
		d := backend(test.ID)
		return d.Online && d.Firmware == rel.Version
	})
	if c, err := s.Command(ctx, cmd.ID); err != nil || c.Status != fleet.CommandDone { // as its Manage page follows it
		t.Fatalf("the test unit's FW Update: %+v, %v", c, err)
	}
	if _, err := other.SendCommand(ctx, back.ID, api.CommandRequest{Action: fleet.ActionForceOTA, ReleaseID: older.ID}, api.NewIdempotencyKey()); err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, srv, time.Minute, back.ID+" to start installing", func() bool { return !backend(back.ID).Online })
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// The confirmation, on the synced fleet: "back" is installing, so it is not among them.
	confirmed := rollout.Eligible(rel, s.Fleet().Devices(), s.Actor(), s.Now()).IDs()
	if slices.Contains(confirmed, back.ID) || !slices.Contains(confirmed, busy.ID) {
		t.Fatalf("confirmed %v: want %s out and %s in", confirmed, back.ID, busy.ID)
	}
	req := rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport,
		Target: rollout.TargetMyFleet, Threshold: rollout.DefaultThreshold, Devices: confirmed}

	// A confirmed unit starts installing another release before the deploy: refused, both counts.
	if _, err := other.SendCommand(ctx, busy.ID, api.CommandRequest{Action: fleet.ActionForceOTA, ReleaseID: older.ID}, api.NewIdempotencyKey()); err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, srv, time.Minute, busy.ID+" to start installing", func() bool { return !backend(busy.ID).Online })
	_, err = s.CreateRollout(ctx, req)
	want := fmt.Sprintf("you confirmed %d units, but only %d of them can receive %s now (%s: offline",
		len(confirmed), len(confirmed)-1, rel.Label(), busy.ID)
	if api.CodeOf(err) != api.CodeUnitsChanged || !strings.Contains(err.Error(), want) {
		t.Fatalf("deploying with a confirmed unit busy: %v, want %s saying %q", err, api.CodeUnitsChanged, want)
	}
	if rs, err := other.Rollouts(ctx); err != nil || slices.ContainsFunc(rs, func(r rollout.Rollout) bool { return r.Target == rollout.TargetMyFleet }) {
		t.Fatalf("a refused deployment left a my_fleet rollout: %v %v", rs, err)
	}

	// Both are back; the backend by itself would now take "back" too. The deploy goes to the
	// confirmed units, no more and no fewer.
	advanceUntil(t, srv, time.Hour, "both installs", func() bool { return backend(back.ID).Online && backend(busy.ID).Online })
	all := backendFleet(t, srv.URL, acc)
	list := make([]*fleet.Device, 0, len(all))
	for _, d := range all {
		list = append(list, &d)
	}
	slices.SortFunc(list, func(a, b *fleet.Device) int { return strings.Compare(a.ID, b.ID) })
	own := rollout.Eligible(rel, list, s.Actor(), srv.Now()).IDs()
	// A unit of the confirmation that went quiet meanwhile would (rightly) stop the deployment,
	// as above: the dealer confirms the units that are still there.
	confirmed = slices.DeleteFunc(confirmed, func(id string) bool { return !slices.Contains(own, id) })
	req.Devices = confirmed
	if !slices.Contains(own, back.ID) || slices.Contains(confirmed, back.ID) || len(confirmed) < 3 {
		t.Fatalf("the backend's own pick %v is not the confirmed %v and %s: a useless probe", own, confirmed, back.ID)
	}
	ro, err := s.CreateRollout(ctx, req)
	var uc *rollout.UnitsChangedError
	if errors.As(err, &uc) || err != nil {
		t.Fatalf("deploying the confirmed units: %v", err)
	}
	var got []string
	for _, u := range ro.Units {
		got = append(got, u.DeviceID)
	}
	slices.Sort(got)
	if !slices.Equal(got, confirmed) {
		t.Fatalf("confirmed %d units %v, the backend deploys %d: %v", len(confirmed), confirmed, len(got), got)
	}
	if fresh, err := other.Rollout(ctx, ro.ID); err != nil || len(fresh.Units) != len(confirmed) {
		t.Fatalf("the backend's rollout %s: %d units, %v", ro.ID, len(fresh.Units), err)
	}
}
