//go:build unix

package benchcpu

import (
	"syscall"
	"time"
)

const supported = true

// Clock is a CPU-time reading taken by Start.
type Clock struct {
	start time.Duration
	wall  time.Time
}

func now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
