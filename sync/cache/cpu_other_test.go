//go:build !unix

package cache

import "testing"

// cpuClock reports nothing where getrusage is missing; the wall time still stands.
type cpuClock struct{}

func startCPU() cpuClock           { return cpuClock{} }
func (cpuClock) report(*testing.B) {}
