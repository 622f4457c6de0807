package fleetconsole

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
)

// skews are the PC clocks the clock tests run with: three hours behind the backend's, and three
// hours ahead of it.
var skews = []time.Duration{3 * time.Hour, -3 * time.Hour}

// With the PC's clock hours off the backend's, every row's health, "Online / Offline since" and
// "last seen" are read on the backend's clock: a unit silent for 20 minutes is not "just now"
// (PC behind) nor lost for three hours (PC ahead).
func TestConsoleAgesOnTheBackendsClock(t *testing.T) {
	for _, off := range skews {
		t.Run(fmt.Sprint("backend ", off), func(t *testing.T) {
			test.NewTempApp(t)
			svc, srv := testfleet.StartSkewed(context.Background(), t,
				sim.Config{Devices: 70, Dealers: 1, Seed: 21}, off, 5*time.Hour)
			synced := time.Now()
			now := srv.Now().Local()
			byHealth := map[fleet.Health]int{}
			older := 0
			for _, d := range svc.Fleet().Devices() {
				byHealth[d.HealthAt(now)]++
				if now.Sub(d.LastSeen) > 10*time.Minute {
					older++
				}
			}
			if byHealth[fleet.HealthLive] == 0 || byHealth[fleet.HealthLost] == 0 || older == 0 {
				t.Fatalf("the fleet has %v by health and %d units silent over 10 min: a useless probe", byHealth, older)
			}
			// Tall enough for every row to be on screen.
			p := newPage(t, svc, Options{}, fyne.NewSize(1500, 4200))
			p.run(t, func() {
				checked := map[Column]int{}
				for _, cl := range cellsOnScreen(p.w) {
					if cl.col != ColLastSeen && cl.col != ColConnection && cl.col != ColHealth {
						continue
					}
					d := p.c.View()[cl.row]
					if !testfleet.ShownOnBackendClock(srv, synced, func(at time.Time) bool { return cellText(cl.col, &d, at, false) == cl.full }) {
						t.Errorf("%s, column %d: shows %q, on the backend's clock it is %q", d.ID, cl.col, cl.full, cellText(cl.col, &d, now, false))
					}
					checked[cl.col]++
				}
				if checked[ColLastSeen] < 70 || checked[ColHealth] < 70 || checked[ColConnection] < 70 {
					t.Fatalf("only %v cells checked of 70 rows", checked)
				}
			})
		})
	}
}
