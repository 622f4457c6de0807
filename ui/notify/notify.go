// Package notify shows app/notify's notes as desktop notifications (on Linux through
// org.freedesktop.Notifications on the session D-Bus, on Windows as toasts, on macOS through the
// notification centre: Fyne's App.SendNotification). A note is shown only when its kind is on in
// Settings and the FleetDesk window is not focused: a dealer looking at the window sees the news
// there already.
package notify

import (
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/app/notify"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// Desktop delivers notes for one app. Show may be called from any goroutine.
type Desktop struct {
	prefs   prefs.Store
	send    func(*fyne.Notification)
	focused atomic.Bool
}

// New follows the app's focus (Fyne reports a window gaining or losing focus as entering or
// leaving the foreground) and sends through the app. Until the window is first focused the app
// counts as not focused, so a start in the background still notifies.
func New(a fyne.App, p prefs.Store) *Desktop {
	d := &Desktop{prefs: p, send: a.SendNotification}
	lc := a.Lifecycle()
	lc.SetOnEnteredForeground(func() { d.focused.Store(true) })
	lc.SetOnExitedForeground(func() { d.focused.Store(false) })
	return d
}

// Show sends the note if its kind is on and the window is not focused, and reports whether it
// did.
func (d *Desktop) Show(n notify.Note) bool {
	if d == nil || d.focused.Load() || !d.prefs.Notify(n.Kind) {
		return false
	}
	d.send(fyne.NewNotification(n.Title, n.Body))
	return true
}

// Watch decides notes from a session's changes until the returned stop is called: units that
// went offline or raised an alarm, and a sync that failed after having worked.
func (d *Desktop) Watch(svc session.Fleet) (stop func()) {
	var dec notify.Decider
	dec.Fleet(svc.Fleet(), session.Change{All: true})
	dec.Status(svc.Status())
	// The notes go to the desktop, not to a widget, so any goroutine would do; but the changes may
	// arrive on several at once (fyne.Do runs its function on the caller's goroutine under Fyne's
	// test driver), and the Decider remembers what it has seen: one change at a time.
	var mu sync.Mutex
	r := kit.NewRunner(nil)
	r.Subscribe(svc, func(ch session.Change) {
		mu.Lock()
		defer mu.Unlock()
		var notes []notify.Note
		if len(ch.Devices) > 0 || ch.All {
			notes = append(notes, dec.Fleet(svc.Fleet(), ch)...)
		}
		if ch.Status || ch.All {
			notes = append(notes, dec.Status(svc.Status())...)
		}
		for _, n := range notes {
			d.Show(n)
		}
	})
	return r.Close
}

// Rollouts is the Rollouts page's Notify option: the procedure's "Rollout finished" and
// "Rollout paused itself" notifications, as the rollout kind.
func (d *Desktop) Rollouts(n *fyne.Notification) { d.Show(notify.Rollout(n.Title, n.Content)) }

// FlashLog wraps the Recovery page's service log: every completed or failed flash it records is
// also a flash notification.
func (d *Desktop) FlashLog(log recovery.ServiceLog) recovery.ServiceLog { return flashLog{d, log} }

type flashLog struct {
	d    *Desktop
	next recovery.ServiceLog
}

func (f flashLog) Record(e recovery.ServiceLogEntry) error {
	var err error
	if f.next != nil {
		err = f.next.Record(e)
	}
	if n, ok := notify.Flash(e); ok {
		f.d.Show(n)
	}
	return err
}
