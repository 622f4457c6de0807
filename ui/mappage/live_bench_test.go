package mappage

import (
	"runtime/debug"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// BenchmarkLiveMap100k (issue 23) is the Fleet Map following a live fleet at the load:
// fleetsim in its own process with 100,000 units changing 1,000 times a second, the app's data
// layer watching its stream, the map page (offline basemap) in a 1280x800 window fed every change
// as the app feeds it (ui/desk). Latency is from fleetsim's change to the map showing the
// snapshot that holds it (markers built, projected, clustered); frames are the page's jobs on the
// UI goroutine; cpu-% is this process (data layer and page; fleetsim apart) in percent of one
// core. One op watches 5 s.
func BenchmarkLiveMap100k(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(50)) // the window's GC target (cmd/fleetdesk)
	test.NewTempApp(b)
	l, err := tiles.Open(tiles.Config{Kind: tiles.KindBasemap})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	s := testfleet.OpenLive(b, testsim.StartProcess(b, testfleet.LiveLoad...), 100000)
	m := testfleet.NewLiveMeter(b, s)
	loop := uitest.NewLoop(b)
	var page *Page
	ui := m.UI(loop.Do, func() *fleet.Index {
		if page.upToDate() {
			return page.ix
		}
		return nil
	})
	loop.Run(func() {
		page = New(Options{Loader: l, UI: ui})
		w := test.NewTempWindow(b, page.Content())
		w.Resize(fyne.NewSize(1280, 800))
		page.SetFleet(s.Fleet(), s.Now())
	})
	b.Cleanup(func() { loop.Run(func() { page.Close() }) })
	defer s.Subscribe(func(ch session.Change) {
		if len(ch.Devices) > 0 {
			ui(func() { page.SetFleet(s.Fleet(), s.Now()) })
		}
	})()
	m.Watch(b, 3*time.Second) // the first markers and the backlog since the listing
}
