package main

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/fleetconsole"
)

// measureStartup is --measure-startup: once the Fleet Console's first rows are in its table, paint
// the window once more into an image (so what was measured is what the screen shows: the rows),
// print the time since the process started, and quit. scripts/cold-start.sh runs it against a big
// cache.
func measureStartup(win fyne.Window, c *fleetconsole.Page, svc session.Session) {
	c.WhenLoaded(func() {
		win.Canvas().Capture()
		el := time.Since(processStart())
		fmt.Printf("first rows painted %d ms after process start (%d units in the cache, %s)\n",
			el.Milliseconds(), svc.Fleet().Len(), c.CountText())
		fyne.CurrentApp().Quit()
	})
}
