// Package kit holds what every FleetDesk screen shares: the bridge that turns background events
// into UI-goroutine calls (the only place in ui/ that calls fyne.Do), dialog tracking so Esc can
// close the top dialog, the health colours, and number formatting.
package kit

import (
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/app/session"
)

// uiMu makes UI work run one at a time even where the driver does not. The desktop driver runs
// every fyne.Do on its one UI goroutine, so the lock is never contended there; Fyne's test driver
// runs fyne.Do inline on the calling goroutine, and tests hold the same lock (through Do) while
// they tap and read, so the race detector sees the order the real app guarantees.
var uiMu sync.Mutex

func locked(f func()) func() {
	return func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		f()
	}
}

// Do runs f on the UI goroutine. Everything a background goroutine wants from a widget goes
// through here, so a missed fyne.Do is a one-file review. Never call Do from inside a Do'd
// function and wait for it: the test driver would deadlock on uiMu.
func Do(f func()) { fyne.Do(locked(f)) }

// Go runs work off the UI goroutine and hands its result to done on the UI goroutine. Use it for
// anything that may touch the network or the cache, so a tap never waits on either.
func Go[T any](work func() T, done func(T)) {
	go func() {
		v := work()
		Do(func() { done(v) })
	}()
}

// Subscribe registers fn for the service's changes and calls it on the UI goroutine. Changes that
// arrive while a call is still pending are merged into it: a burst of sync pages costs the UI one
// refresh, not one per page.
func Subscribe(svc session.Fleet, fn func(session.Change)) (cancel func()) {
	m := &merger{fn: fn}
	stop := svc.Subscribe(m.add)
	return func() {
		m.mu.Lock()
		m.stopped = true
		m.mu.Unlock()
		stop()
	}
}

type merger struct {
	fn      func(session.Change)
	mu      sync.Mutex
	pending *session.Change
	stopped bool
}

func (m *merger) add(c session.Change) {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	if m.pending != nil {
		merge(m.pending, c)
		m.mu.Unlock()
		return
	}
	cp := c
	cp.Devices = append([]string(nil), c.Devices...)
	m.pending = &cp
	m.mu.Unlock()
	// Outside the lock: a driver may run flush before Do returns (the test driver does).
	Do(m.flush)
}

func (m *merger) flush() {
	m.mu.Lock()
	c := m.pending
	m.pending = nil
	stopped := m.stopped
	m.mu.Unlock()
	if c != nil && !stopped {
		m.fn(*c)
	}
}

// merge folds b into a; an All change makes the device list moot.
func merge(a *session.Change, b session.Change) {
	a.All = a.All || b.All
	a.Status = a.Status || b.Status
	a.Rollouts = a.Rollouts || b.Rollouts
	a.Tokens = a.Tokens || b.Tokens
	if a.All {
		a.Devices = nil
		return
	}
	a.Devices = append(a.Devices, b.Devices...)
}

// Ticker calls fn on the UI goroutine every period until the returned stop is called. Used for
// the clocks on screen ("synced 12 s ago", "last seen 2 min ago").
func Ticker(period time.Duration, fn func()) (stop func()) {
	return TickerOn(Do, period, fn)
}

// TickerOn is Ticker for a page whose UI goroutine is do (tests hand pages their own); a tick
// already queued when stop is called does not run fn.
func TickerOn(do func(func()), period time.Duration, fn func()) (stop func()) {
	t := time.NewTicker(period)
	done := make(chan struct{})
	var once sync.Once
	go func() {
		for {
			select {
			case <-t.C:
				do(func() {
					select {
					case <-done:
					default:
						fn()
					}
				})
			case <-done:
				return
			}
		}
	}()
	return func() {
		once.Do(func() {
			t.Stop()
			close(done)
		})
	}
}

// After calls fn once on the UI goroutine after d, unless the returned stop is called first
// (the search box's debounce). Stop also drops a call whose time has come but that still waits
// for the UI goroutine: a keystroke or SetFilter after it must win, not be overwritten by it.
func After(d time.Duration, fn func()) (stop func() bool) {
	var once sync.Once
	gone := make(chan struct{})
	t := time.AfterFunc(d, func() {
		Do(func() {
			select {
			case <-gone:
			default:
				fn()
			}
		})
	})
	return func() bool {
		once.Do(func() { close(gone) })
		return t.Stop()
	}
}

// Lock makes the calling goroutine the UI goroutine until Unlock: tests hold it while they tap
// and read widgets, and release it while they wait for background work (see uiMu). App code never
// needs it.
func Lock() { uiMu.Lock() }

// Unlock ends Lock.
func Unlock() { uiMu.Unlock() }
