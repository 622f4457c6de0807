package rollouts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// With the PC's clock hours off the backend's, the wizard decides on the backend's clock: which
// units a release would reach and why the others are left out ("offline, last seen 2 h ago", not
// "just now"), and, monitoring a running rollout, which installing units are overdue (none that
// started a minute ago; with the PC three hours ahead every one of them looked "not returned").
func TestRolloutWizardOnTheBackendsClock(t *testing.T) {
	for _, off := range []time.Duration{3 * time.Hour, -3 * time.Hour} {
		t.Run(fmt.Sprint("backend ", off), func(t *testing.T) {
			ctx := context.Background()
			svc, srv := testfleet.StartSkewed(ctx, t, sim.Config{Devices: 400, Dealers: 1, Seed: 41,
				OTAFails: func(string) bool { return false }}, off, 8*time.Hour)
			synced := time.Now()
			now := srv.Now().Local()
			rel, offline := wifiReleaseWithOfflineUnits(t, svc, now)

			h := openPageWith(t, svc, 100*time.Millisecond)
			h.tap(rel.Console.DisplayName())
			h.pick(rel.Model.DisplayName())
			h.pick(rel.Transport.DisplayName())
			h.tap("Next: choose the release")
			h.q.until(t, "releases", func() bool { return h.wizard().cat.loaded })
			h.pick(rel.Version)
			h.tap("Next: validate on a test device")
			if !testfleet.ShownOnBackendClock(srv, synced, func(at time.Time) bool {
				return h.has("After validation: " + rollout.Eligible(rel, svc.Fleet().Devices(), svc.Actor(), at).Summary())
			}) {
				t.Errorf("the plan is not the backend clock's %q:\n%s", rollout.Eligible(rel, svc.Fleet().Devices(), svc.Actor(), now).Summary(), h.text())
			}
			why := h.testStep().why.text.Text
			for _, d := range offline {
				if !testfleet.ShownOnBackendClock(srv, synced, func(at time.Time) bool {
					return strings.Contains(why, fmt.Sprintf("    %s (last seen %s)\n", d.ID, fleet.Ago(at, d.LastSeen)))
				}) {
					t.Errorf("%s, last seen %s, is not listed as offline since then on the backend's clock:\n%s", d.ID, fleet.Ago(now, d.LastSeen), why)
				}
			}

			// A running my_fleet rollout, its first wave installing for a minute of the backend's
			// time, opened from the past rollouts.
			ro := startRollout(t, srv, svc, rel)
			srv.Advance(time.Minute)
			if _, err := svc.Sync(ctx, nil); err != nil {
				t.Fatal(err)
			}
			m := openPageWith(t, svc, 100*time.Millisecond)
			m.q.until(t, "the past rollouts", func() bool { return len(m.page.pastRows) > 0 })
			i := slices.IndexFunc(m.page.pastRows, func(r rollout.Rollout) bool { return r.ID == ro.ID })
			m.page.openPast(i)
			m.q.until(t, "the monitor's counts", func() bool { return strings.Contains(m.monCounts(), "installing") })
			m.q.drain()
			counts := m.monCounts()
			if !strings.Contains(counts, "not returned 0") || strings.Contains(counts, "installing 0") {
				t.Fatalf("a minute into the installs the monitor says %q", counts)
			}
		})
	}
}

// wifiReleaseWithOfflineUnits picks a WiFi variant of the dealer's fleet with units offline for a
// while (by the backend's clock) and several to update, and its newest release.
func wifiReleaseWithOfflineUnits(t *testing.T, svc *syncer.Replica, now time.Time) (rollout.Release, []fleet.Device) {
	t.Helper()
	rels, err := svc.Releases(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	rollout.SortReleases(rels)
	for _, r := range rels {
		if r.Transport != fleet.TransportWiFi || r.Console == fleet.ConsoleUltra {
			continue
		}
		var offline []fleet.Device
		e := rollout.Eligible(r, svc.Fleet().Devices(), svc.Actor(), now)
		for _, x := range e.Excluded {
			if x.Reason == rollout.ReasonOffline && now.Sub(x.Device.LastSeen) > 10*time.Minute {
				offline = append(offline, x.Device)
			}
		}
		if len(offline) > 0 && len(e.Eligible) >= 4 {
			return r, offline
		}
	}
	t.Fatal("no WiFi variant with units offline for 10 min and 4 to update: a useless probe")
	return rollout.Release{}, nil
}

// startRollout validates rel through FW Update on one unit, as from its Manage page, then deploys
// it to the rest of my_fleet through the data layer and returns the rollout.
func startRollout(t *testing.T, srv *sim.Server, svc *syncer.Replica, rel rollout.Release) rollout.Rollout {
	t.Helper()
	ctx := context.Background()
	e := rollout.Eligible(rel, svc.Fleet().Devices(), svc.Actor(), svc.Now())
	cmd, err := svc.SendCommand(ctx, fleet.CommandRequest{DeviceID: e.Eligible[0].ID, Action: fleet.ActionFWUpdate, ReleaseID: rel.ID})
	if err != nil {
		t.Fatal(err)
	}
	for spent := time.Duration(0); ; spent += 30 * time.Second {
		if spent > time.Hour {
			t.Fatal("the FW Update did not finish within an hour of the backend's time")
		}
		srv.Advance(30 * time.Second)
		if c, err := svc.Command(ctx, cmd.ID); err == nil && c.Status == fleet.CommandDone {
			break
		}
	}
	if _, err := svc.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	units := rollout.Eligible(rel, svc.Fleet().Devices(), svc.Actor(), svc.Now()).IDs()
	ro, err := svc.CreateRollout(ctx, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model,
		Transport: rel.Transport, Target: rollout.TargetMyFleet, Threshold: rollout.DefaultThreshold, Devices: units})
	if err != nil {
		t.Fatal(err)
	}
	return ro
}
