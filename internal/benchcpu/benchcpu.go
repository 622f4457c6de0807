// Package benchcpu lets a benchmark report the process's CPU time next to the wall time, so a
// figure taken on a machine shared with other work still says what the operation itself cost.
// It is for benchmarks only and shared so each package does not keep its own copy.
package benchcpu

import (
	"testing"
	"time"
)

// Report adds the CPU milliseconds per operation spent since c started to b's results.
func (c Clock) Report(b *testing.B) {
	if !supported {
		return // where getrusage is missing the wall time still stands
	}
	b.ReportMetric(float64(now()-c.start)/float64(b.N)/1e6, "cpu-ms/op")
}

// Percent is the process's CPU time since c started over the wall time since then, in percent of
// one core: what following something at a steady rate costs (0 where getrusage is missing).
func (c Clock) Percent() float64 {
	wall := time.Since(c.wall)
	if !supported || wall <= 0 {
		return 0
	}
	return 100 * float64(now()-c.start) / float64(wall)
}

// Start begins measuring; call it right before the timed loop.
func Start() Clock { return Clock{start: now(), wall: time.Now()} }
