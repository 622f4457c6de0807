//go:build !unix

package main

import "os"

// recoverySignals: Windows has no SIGUSR1, so there the unit re-enters recovery only at start.
var recoverySignals []os.Signal
