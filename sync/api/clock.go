package api

import (
	"net/http"
	"sync"
	"time"
)

// BackendClock estimates the backend's clock from the Date header of its answers, so that ages,
// health thresholds and "since" times are read on the clock the backend wrote last_seen with,
// never on this PC's, which can be hours off (never synced, a wrong time zone setting).
//
// Date has whole seconds and arrives after a network delay, so one answer only says that the
// backend's clock read [Date, Date+1s) at some moment between sending the request and receiving
// the answer. The clock keeps the intersection of those bounds over the answers it has seen (as
// NTP keeps the tightest sample): after a few answers the estimate is within a fraction of a
// second, whatever the latency. An answer that contradicts the bounds (the backend's clock was
// set, or this PC's jumped while asleep) starts them afresh. Between answers the estimate runs on
// the monotonic clock, so a PC clock changed while FleetDesk runs does not move it.
type BackendClock struct {
	mu     sync.Mutex
	base   time.Time     // a local reading with its monotonic part: the anchor of the estimate
	wall   time.Time     // base's wall-clock reading
	lo, hi time.Duration // backend time = wall + (local time since base) + offset, offset in [lo, hi]
	known  bool
	// assumed says the estimate is an offset kept from an earlier run, not a measurement: the
	// first answer replaces it rather than narrowing it.
	assumed bool
	now     func() time.Time
}

// NewBackendClock is a clock that knows nothing until it observes an answer (or is told an
// offset with Assume).
func NewBackendClock() *BackendClock { return newBackendClock(time.Now) }

func newBackendClock(now func() time.Time) *BackendClock {
	b := now()
	return &BackendClock{base: b, wall: b.Round(0), now: now}
}

// Observe takes one answer's Date header, read between sent and received (local readings taken
// around the request). An answer without a usable Date is ignored.
func (c *BackendClock) Observe(date string, sent, received time.Time) {
	if date == "" || received.Before(sent) {
		return
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e0, e1 := sent.Sub(c.base), received.Sub(c.base)
	lo := t.Sub(c.wall) - e1
	hi := t.Add(time.Second).Sub(c.wall) - e0
	if !c.known || c.assumed || lo > c.hi || hi < c.lo {
		c.lo, c.hi, c.known, c.assumed = lo, hi, true, false
		return
	}
	c.lo, c.hi = max(c.lo, lo), min(c.hi, hi)
}

// Assume starts the estimate from an offset measured earlier (backend minus PC, as Offset
// reports it), until an answer says better: the offline cache keeps the last one, so a fleet
// reviewed with no connection is aged on the backend's clock too.
func (c *BackendClock) Assume(offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known {
		return
	}
	// Measured against the PC's wall clock now: backend = PC + offset.
	n := c.now()
	o := n.Round(0).Add(offset).Sub(c.wall) - n.Sub(c.base)
	c.lo, c.hi, c.known, c.assumed = o, o, true, true
}

// Known reports whether the clock has an estimate (from an answer or Assume).
func (c *BackendClock) Known() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.known
}

// Now is the backend's time by the estimate; the PC's time while nothing is known.
func (c *BackendClock) Now() time.Time {
	n := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		return n.Round(0)
	}
	return c.wall.Add(n.Sub(c.base) + (c.lo+c.hi)/2)
}

// Offset is how far the backend's clock is ahead of this PC's (negative: behind); zero while
// nothing is known.
func (c *BackendClock) Offset() time.Duration {
	n := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		return 0
	}
	return c.wall.Add(n.Sub(c.base) + (c.lo+c.hi)/2).Sub(n.Round(0))
}
