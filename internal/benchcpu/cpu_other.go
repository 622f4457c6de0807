//go:build !unix

package benchcpu

import "time"

const supported = false

// Clock is a CPU-time reading taken by Start; there is none to take without getrusage.
type Clock struct {
	start time.Duration
	wall  time.Time
}

func now() time.Duration { return 0 }
