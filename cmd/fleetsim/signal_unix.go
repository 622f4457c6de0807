//go:build unix

package main

import (
	"os"
	"syscall"
)

// recoverySignals put `fleetsim unit` back into serial recovery (see runUnit).
var recoverySignals = []os.Signal{syscall.SIGUSR1}
