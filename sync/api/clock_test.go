package api

import (
	"net/http"
	"testing"
	"time"
)

// manualNow is a local clock a test moves by hand.
type manualNow struct{ t time.Time }

func (m *manualNow) now() time.Time { return m.t }

// One answer says the backend's clock read [Date, Date+1s) somewhere between sending and
// receiving; a few answers with different latencies pin it far tighter than any one of them.
func TestBackendClockNarrowsWithAnswers(t *testing.T) {
	pc := &manualNow{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	c := newBackendClock(pc.now)
	if c.Known() || !c.Now().Equal(pc.t) || c.Offset() != 0 {
		t.Fatalf("a clock that saw nothing: known %v, now %s, offset %s", c.Known(), c.Now(), c.Offset())
	}
	// The backend is 3 h 0 min 0.4 s ahead of the PC.
	const truth = 3*time.Hour + 400*time.Millisecond
	answer := func(latency, serverAt time.Duration) {
		sent := pc.t
		server := sent.Add(serverAt).Add(truth)
		pc.t = pc.t.Add(latency)
		c.Observe(server.Format(http.TimeFormat), sent, pc.t)
		pc.t = pc.t.Add(5 * time.Second)
	}
	answer(800*time.Millisecond, 100*time.Millisecond)
	if d := c.Offset() - truth; d < -1500*time.Millisecond || d > 1500*time.Millisecond {
		t.Fatalf("after one answer the offset is %s, want within 1.5 s of %s", c.Offset(), truth)
	}
	for i, lat := range []time.Duration{300, 120, 900, 50, 70, 400, 60} {
		answer(lat*time.Millisecond, lat*time.Millisecond/2)
		_ = i
	}
	if d := c.Offset() - truth; d < -150*time.Millisecond || d > 150*time.Millisecond {
		t.Fatalf("after eight answers the offset is %s, want within 150 ms of %s", c.Offset(), truth)
	}
	if got := c.Now().Sub(pc.t); got != c.Offset() {
		t.Fatalf("Now - PC = %s but Offset = %s", got, c.Offset())
	}
	// The backend's clock is set back an hour: the old bounds cannot hold, the new answer wins.
	sent := pc.t
	pc.t = pc.t.Add(100 * time.Millisecond)
	c.Observe(sent.Add(2*time.Hour).Format(http.TimeFormat), sent, pc.t)
	if d := c.Offset() - 2*time.Hour; d < -time.Second || d > 1100*time.Millisecond {
		t.Fatalf("after the backend's clock moved, offset %s, want about 2h", c.Offset())
	}
	// Answers without a Date, or with junk, change nothing.
	before := c.Offset()
	c.Observe("", sent, pc.t)
	c.Observe("yesterday-ish", sent, pc.t)
	c.Observe(sent.Format(http.TimeFormat), pc.t, sent) // received before sent: not a reading
	if c.Offset() != before {
		t.Fatalf("junk moved the offset from %s to %s", before, c.Offset())
	}
}

// Assume starts from an offset kept from an earlier run; an answer overrides it, and an
// assumption never overrides an answer.
func TestBackendClockAssume(t *testing.T) {
	pc := &manualNow{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	c := newBackendClock(pc.now)
	pc.t = pc.t.Add(time.Minute)
	c.Assume(-3 * time.Hour)
	if !c.Known() || c.Offset() != -3*time.Hour || !c.Now().Equal(pc.t.Add(-3*time.Hour)) {
		t.Fatalf("assumed -3h: known %v offset %s now %s", c.Known(), c.Offset(), c.Now())
	}
	pc.t = pc.t.Add(10 * time.Minute)
	if !c.Now().Equal(pc.t.Add(-3 * time.Hour)) {
		t.Fatalf("the estimate did not run with the PC's clock: %s at PC %s", c.Now(), pc.t)
	}
	// The first answer replaces the assumption, even one that agrees with it to the second.
	sent := pc.t
	c.Observe(pc.t.Add(-3*time.Hour+2500*time.Millisecond).Format(http.TimeFormat), sent, pc.t)
	if d := c.Offset() - (-3*time.Hour + 2500*time.Millisecond); d < -time.Second || d > time.Second {
		t.Fatalf("after an answer, offset %s, want about -2h59m57.5s", c.Offset())
	}
	c2 := newBackendClock(pc.now)
	c2.Observe(pc.t.Add(time.Hour).Format(http.TimeFormat), pc.t, pc.t)
	c2.Assume(-3 * time.Hour)
	if d := c2.Offset() - time.Hour; d < 0 || d > time.Second {
		t.Fatalf("an assumption overrode an answer: offset %s", c2.Offset())
	}
}
