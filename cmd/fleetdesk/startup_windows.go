package main

import (
	"time"

	"golang.org/x/sys/windows"
)

// processStart is when Windows created this process (GetProcessTimes), so the figure includes
// loading the program and the Go runtime. (A path like /proc/self/stat would name a file on the
// current drive here; under Wine it reached the Linux /proc of another process.)
func processStart() time.Time {
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &created, &exited, &kernel, &user); err != nil {
		return mainStarted
	}
	t := time.Unix(0, created.Nanoseconds())
	if now := time.Now(); t.After(mainStarted) || now.Sub(t) > time.Hour {
		return mainStarted // not plausible: trust main's own clock
	}
	return t
}
