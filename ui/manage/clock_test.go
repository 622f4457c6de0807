package manage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
)

// onBackendClock reports whether text is what f gives on the skewed backend's clock (see
// testfleet.ShownOnBackendClock), and what it gives at the backend's now.
func onBackendClock(srv *sim.Server, synced time.Time, text string, f func(time.Time) string) (bool, string) {
	return testfleet.ShownOnBackendClock(srv, synced, func(at time.Time) bool { return f(at) == text }), f(srv.Now().Local())
}

// With the PC's clock hours off the backend's, the Manage page reads the unit on the backend's
// clock: an offline unit is "Offline since …, last seen 2 h ago" (not "just now"), its refusal
// says when it was last seen, a unit reporting normally is not "Lost contact", and the location's
// fix age is the backend's.
func TestManageOnTheBackendsClock(t *testing.T) {
	for _, off := range []time.Duration{3 * time.Hour, -3 * time.Hour} {
		t.Run(fmt.Sprint("backend ", off), func(t *testing.T) {
			test.NewTempApp(t)
			svc, srv := testfleet.StartSkewed(context.Background(), t,
				sim.Config{Devices: 160, Dealers: 1, Seed: 23}, off, 6*time.Hour)
			synced := time.Now()
			now := srv.Now().Local()
			var offline, live fleet.Device
			for _, p := range svc.Fleet().Devices() {
				d := *p
				switch {
				case offline.ID == "" && !d.Online && d.GPS != nil && now.Sub(d.LastSeen) > 20*time.Minute:
					offline = d
				case live.ID == "" && d.HealthAt(now) == fleet.HealthLive && d.GPS != nil && now.Sub(d.LastSeen) > 2*time.Minute:
					live = d
				}
			}
			if offline.ID == "" || live.ID == "" {
				t.Fatalf("no offline unit silent for 20 min (%q) or live unit (%q): a useless probe", offline.ID, live.ID)
			}
			for _, d := range []fleet.Device{offline, live} {
				h := openPage(t, svc, d.ID, Options{})
				h.eventually(t, d.ID+"'s status", func() bool { return field(h.page.Content(), "Connection") != "" })
				h.do(func() {
					root := h.page.Content()
					st := svc.Status()
					if ok, want := onBackendClock(srv, synced, field(root, "Connection"), func(at time.Time) string {
						return connection(d, st, at)
					}); !ok {
						t.Errorf("%s: Connection %q, on the backend's clock %q", d.ID, field(root, "Connection"), want)
					}
					loc := field(root, "Last known location")
					if ok, want := onBackendClock(srv, synced, loc, func(at time.Time) string {
						return fmt.Sprintf("%.5f, %.5f (fix %s)", d.GPS.Lat, d.GPS.Lon, fleet.Ago(at, d.GPS.FixTime))
					}); !ok {
						t.Errorf("%s: Last known location %q, on the backend's clock %q", d.ID, loc, want)
					}
					if d.ID != offline.ID {
						return
					}
					all := text(root)
					i := strings.Index(all, d.ID+" is offline (last seen ")
					if i < 0 {
						t.Fatalf("the offline unit's actions do not say why:\n%s", all)
					}
					said := all[i+len(d.ID+" is offline (last seen "):]
					said = said[:strings.Index(said, ")")]
					if ok, want := onBackendClock(srv, synced, said, func(at time.Time) string { return fleet.Ago(at, d.LastSeen) }); !ok {
						t.Errorf("the refusal says last seen %q, on the backend's clock %q", said, want)
					}
				})
			}
		})
	}
}
