package fleetconsole

import (
	"runtime/debug"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// BenchmarkLiveConsole100k (issue 23) is the Fleet Console following a live fleet at the issue's
// load: fleetsim in its own process with 100,000 units changing 1,000 times a second, the app's
// data layer watching its stream, the console in a 1300x800 window. Latency is from fleetsim's
// change to the console showing the snapshot that holds it (searched, sorted, the visible cells
// redrawn); frames are the console's jobs on the UI goroutine; cpu-% is this process (data layer
// and page; fleetsim apart) over the wall time, in percent of one core. One op watches 5 s.
func BenchmarkLiveConsole100k(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(50)) // the window's GC target (cmd/fleetdesk)
	test.NewTempApp(b)
	s := testfleet.OpenLive(b, testsim.StartProcess(b, testfleet.LiveLoad...), 100000)
	m := testfleet.NewLiveMeter(b, s)
	loop := uitest.NewLoop(b)
	var c *Page
	ui := m.UI(loop.Do, func() *fleet.Index {
		if c.sel.Current() {
			return c.v.ix
		}
		return nil
	})
	loop.Run(func() {
		c = New(s, Options{UI: ui})
		w := test.NewTempWindow(b, c.Content())
		w.Resize(fyne.NewSize(1300, 800))
	})
	b.Cleanup(c.Close)
	m.Watch(b, 3*time.Second) // the first search and the backlog since the listing
}
