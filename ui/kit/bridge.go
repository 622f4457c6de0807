// Package kit holds what every FleetDesk screen shares: the per-page Runner that does background
// work and hands results to the UI goroutine (FyneDo is the only call of fyne.Do), dialog
// tracking so Esc can close the top dialog, the health colours, and number formatting.
package kit

import (
	"sync"

	"github.com/fleetdesk/fleetdesk/app/session"
)

// merger forwards a session's changes to the UI goroutine (Runner.Subscribe): changes that arrive
// while one is still pending are merged into it, so a burst of sync pages costs one refresh.
type merger struct {
	fn      func(session.Change)
	do      func(func())
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
	cp.Commands = append([]string(nil), c.Commands...)
	m.pending = &cp
	m.mu.Unlock()
	// Outside the lock: a driver may run flush before Do returns (the test driver does).
	m.do(m.flush)
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

// merge folds b into a, so a burst reaches the page as one change that says everything its parts
// said; an All change makes the device list moot (the command logs are kept: All is about the
// fleet).
func merge(a *session.Change, b session.Change) {
	a.All = a.All || b.All
	a.Status = a.Status || b.Status
	a.Rollouts = a.Rollouts || b.Rollouts
	a.Tokens = a.Tokens || b.Tokens
	a.Commands = append(a.Commands, b.Commands...)
	if a.All {
		a.Devices = nil
		return
	}
	a.Devices = append(a.Devices, b.Devices...)
}
