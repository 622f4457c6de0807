package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/console"
)

// mainStarted is the fallback start time where the process's own start cannot be read.
var mainStarted = time.Now()

// measureStartup is --measure-startup: once the Fleet Console's first rows are in its table, paint
// the window once more into an image (so what was measured is what the screen shows: the rows),
// print the time since the process started, and quit. scripts/cold-start.sh runs it against a big
// cache.
func measureStartup(win fyne.Window, c *console.Console, svc session.Session) {
	c.WhenLoaded(func() {
		win.Canvas().Capture()
		el := time.Since(processStart())
		fmt.Printf("first rows painted %d ms after process start (%d units in the cache, %s)\n",
			el.Milliseconds(), svc.Fleet().Len(), c.CountText())
		fyne.CurrentApp().Quit()
	})
}

// processStart reads when the kernel started this process (Linux: /proc/self/stat's start time
// and /proc/uptime, both in seconds since boot to 10 ms), so the figure includes loading the
// binary and the Go runtime; elsewhere it is when main's package initialised.
func processStart() time.Time {
	now := time.Now()
	stat, err1 := os.ReadFile("/proc/self/stat")
	up, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return mainStarted
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	f := strings.Fields(string(up))
	if len(rest) < 20 || len(f) < 1 {
		return mainStarted
	}
	ticks, err1 := strconv.ParseInt(rest[19], 10, 64) // field 22: starttime, in clock ticks
	uptime, err2 := strconv.ParseFloat(f[0], 64)
	if err1 != nil || err2 != nil {
		return mainStarted
	}
	const clkTck = 100 // USER_HZ on Linux
	age := time.Duration((uptime - float64(ticks)/clkTck) * float64(time.Second))
	if age < now.Sub(mainStarted) || age > time.Hour {
		return mainStarted // not plausible: trust main's own clock
	}
	return now.Add(-age)
}
