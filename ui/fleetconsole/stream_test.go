package fleetconsole

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// TestUnitBackOnlineShownThroughTheStream (issue 23): a unit rebooted goes offline and returns,
// and the Fleet Console shows both through the event stream alone: the session's sync interval is
// an hour and nothing calls Sync, so the backend's changes can reach the page no other way.
func TestUnitBackOnlineShownThroughTheStream(t *testing.T) {
	test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, acct := testsim.Start(ctx, t, sim.Config{Devices: 200, Dealers: 1, Seed: 3, ManualClock: true, AccessTTL: 48 * time.Hour,
		EventHeartbeat: 200 * time.Millisecond})
	svc, err := syncer.Open(ctx, syncer.Options{BackendURL: srv.URL, CacheDir: t.TempDir(), Email: acct.Email, Password: acct.Password,
		Store: &auth.Memory{}, Interval: time.Hour, Now: srv.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	direct := testfleet.SignedInClient(t, srv.URL, acct)
	deadline := time.Now().Add(30 * time.Second)
	for svc.Status().Updates != session.UpdatesLive {
		if time.Now().After(deadline) {
			t.Fatalf("never live: %+v", svc.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var unit fleet.Device
	for _, d := range svc.Fleet().Devices() {
		if d.Online && d.Transport == fleet.TransportWiFi && len(d.Alarms) == 0 {
			unit = *d
			break
		}
	}
	if unit.ID == "" {
		t.Fatal("no online WiFi unit")
	}
	p := newPage(t, svc, Options{Debounce: 5 * time.Millisecond}, fyne.NewSize(1300, 600))
	shown := func() fleet.Device { d, _ := p.c.v.ix.Get(unit.ID); return d }
	if _, err := svc.SendCommand(ctx, fleet.CommandRequest{DeviceID: unit.ID, Action: fleet.ActionReboot}); err != nil {
		t.Fatal(err)
	}
	// Simulated time moves until the backend (asked straight) has the unit in the state wanted;
	// the page must then show it, from the stream.
	until := func(what string, online bool) {
		t.Helper()
		for spent := time.Duration(0); ; spent += time.Second {
			d, err := direct.Device(ctx, unit.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Online == online {
				break
			}
			if spent > time.Hour {
				t.Fatalf("%s: not within an hour of simulated time", what)
			}
			srv.Advance(time.Second)
		}
		p.waitView(t, what, func() bool { return shown().Online == online })
	}
	until("the rebooting unit shown offline", false)
	until("the unit shown back online", true)
	if st := svc.Status(); st.Updates != session.UpdatesLive {
		t.Fatalf("the stream was lost: %+v", st)
	}
}
