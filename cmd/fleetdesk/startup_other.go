//go:build !windows

package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

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
