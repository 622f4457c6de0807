package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// The window of a signed-in dealer while the fleet backend restarts under it (on its database, so
// the sign-in survives): within its health check the app notices the new backend state, syncs the
// whole fleet again, says so in the banner, and the Fleet Console then shows exactly the
// backend's fleet.
func TestWindowTellsAndResyncsAfterBackendRestart(t *testing.T) {
	tmp := t.TempDir()
	cfg := sim.Config{Devices: 150, Dealers: 1, Seed: 13, ManualClock: true, AccessTTL: 72 * time.Hour,
		DBPath: filepath.Join(tmp, "fleet.db")}
	ctx := context.Background()
	s1, err := sim.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	acc := s1.Accounts[0]
	svc, err := syncer.Open(ctx, syncer.Options{BackendURL: s1.URL, CacheDir: filepath.Join(tmp, "cache"), Email: acc.Email,
		Password: acc.Password, Store: &auth.Memory{}, Interval: time.Hour, HealthEvery: 50 * time.Millisecond,
		OfflineRetryMin: 50 * time.Millisecond, OfflineRetryMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	uitest.WaitFor(t, 30*time.Second, "the first sync", func() bool { return !svc.Status().LastSync.IsZero() })
	u := newUI(t)
	s := newShell(t, u, Options{})
	u.run(func() { s.Start(svc) })
	waitConsole(u, s)

	s1.Close()
	s2, err := sim.StartOn(ctx, strings.TrimPrefix(s1.URL, "http://"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	s2.Advance(2 * time.Hour) // the units report on: the cached fleet is out of date everywhere
	want := map[string]fleet.Device{}
	page, err := testfleet.SignedInClient(t, s2.URL, acc).Devices(ctx, "", 5000)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range page.Devices {
		want[d.ID] = d
	}

	const told = "The fleet backend was restarted"
	u.eventually(30*time.Second, "the banner to tell of the restart", func() bool {
		for _, l := range uitest.Texts(s.win.Canvas().Content()) {
			if strings.HasPrefix(l, told) && strings.Contains(l, "synced again") {
				return true
			}
		}
		return false
	})
	u.eventually(15*time.Second, "the console to show the backend's fleet", func() bool {
		view := s.FleetConsole().View()
		if len(view) != len(want) {
			return false
		}
		for _, d := range view {
			w, ok := want[d.ID]
			if !ok || w.Firmware != d.Firmware || w.Online != d.Online || !w.LastSeen.Equal(d.LastSeen) {
				return false
			}
		}
		return true
	})
	// The news has a banner row of its own (dismissable, apart from the other notices).
	u.run(func() {
		var row *widget.Label
		for _, o := range uitest.Objects(s.win.Canvas().Content()) {
			if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, told) && l.Visible() {
				row = l
			}
		}
		if row == nil || !s.banner.resync.box.Visible() {
			t.Fatal("no visible restart row in the banner")
		}
	})
}
