// Package notify decides which desktop notifications FleetDesk shows: what a dealer waits for
// while working in another window. It only decides (no Fyne, no D-Bus): ui/notify delivers, and
// only when the window is not focused and the kind is switched on in Settings.
//
// The kinds:
//   - a rollout finished or paused itself (decided by app/rollout's procedure, which emits
//     rollout.Notify effects; they arrive here as Rollout notes),
//   - a unit of the fleet went offline or raised a new alarm (Decider.Fleet),
//   - a flash on the Recovery page completed or failed (Flash),
//   - a sync failed after having worked (Decider.Status).
package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/session"
)

// Kind is a notification kind the dealer can switch off.
type Kind string

// The kinds, in the order Settings lists them.
const (
	KindRollout Kind = "rollout" // a rollout finished or paused itself
	KindOffline Kind = "offline" // a unit went offline
	KindAlarm   Kind = "alarm"   // a unit raised an alarm
	KindFlash   Kind = "flash"   // a flash completed or failed
	KindSync    Kind = "sync"    // a sync failed after having worked
)

// Kinds lists every kind with the words Settings shows.
var Kinds = []struct {
	Kind  Kind
	Label string
}{
	{KindRollout, "A rollout finished or paused itself"},
	{KindOffline, "A unit went offline"},
	{KindAlarm, "A unit raised an alarm"},
	{KindFlash, "A flash on the Recovery page completed or failed"},
	{KindSync, "Syncing with the backend stopped working"},
}

// Note is one notification to show.
type Note struct {
	Kind  Kind
	Title string
	Body  string
}

// manyUnits: above this many units in one sync, one summary replaces a note per unit, so a
// backend outage that takes 300 units offline is one notification, not 300.
const manyUnits = 3

// Decider turns what the session reports into notes. It remembers the last state it saw, so a
// note says what changed, never what merely is (opening the app shows no "offline" flood).
// Not safe for concurrent use: feed it from one goroutine.
type Decider struct {
	// The fleet as last seen, in ID order: the previous snapshot's device list, whose records
	// the current snapshot shares, so remembering it costs a slice of pointers, not a copy.
	last    []*fleet.Device
	primed  bool
	synced  bool // a sync has worked since the start (or since the last failure)
	failing bool
}

// Fleet looks at the units a change names (every unit when ch.All or on the first call) in the
// fleet ix and returns the notes for units that went offline or raised a new alarm.
func (d *Decider) Fleet(ix *fleet.Index, ch session.Change) []Note {
	before := d.last
	d.last = ix.Devices()
	if !d.primed || ch.All {
		// The first view, or a replaced fleet (first sync, rebuilt cache): learn, do not notify.
		d.primed = ix.Len() > 0
		return nil
	}
	var offline, alarmed []fleet.Device
	var newAlarms []string
	for _, id := range ch.Devices {
		dev, ok := ix.Get(id)
		if !ok {
			continue
		}
		i, known := fleet.IndexOf(before, id)
		if !known {
			continue // a unit new to the fleet: nothing went wrong with it yet
		}
		was := before[i]
		if was.Online && !dev.Online {
			offline = append(offline, dev)
		}
		var fresh []string
		for _, a := range dev.Alarms {
			if !slices.Contains(was.Alarms, a) {
				fresh = append(fresh, a)
			}
		}
		if len(fresh) > 0 {
			alarmed = append(alarmed, dev)
			newAlarms = append(newAlarms, strings.Join(fresh, ", "))
		}
	}
	var out []Note
	switch {
	case len(offline) == 1:
		out = append(out, Note{KindOffline, name(offline[0]) + " went offline", "No contact from " + offline[0].ID + " since the last sync."})
	case len(offline) > manyUnits:
		out = append(out, Note{KindOffline, fmt.Sprintf("%d units went offline", len(offline)), "Including " + names(offline[:manyUnits]) + "."})
	case len(offline) > 1:
		out = append(out, Note{KindOffline, fmt.Sprintf("%d units went offline", len(offline)), names(offline) + "."})
	}
	switch {
	case len(alarmed) == 1:
		out = append(out, Note{KindAlarm, name(alarmed[0]) + " raised an alarm", newAlarms[0]})
	case len(alarmed) > manyUnits:
		out = append(out, Note{KindAlarm, fmt.Sprintf("%d units raised alarms", len(alarmed)), "Including " + names(alarmed[:manyUnits]) + "."})
	case len(alarmed) > 1:
		out = append(out, Note{KindAlarm, fmt.Sprintf("%d units raised alarms", len(alarmed)), names(alarmed) + "."})
	}
	return out
}

// Status returns a note when syncing stops working after it had worked: once per outage.
// A backend that was never reached since the start is the sign-in screen's business, not a
// notification's.
func (d *Decider) Status(st session.Status) []Note {
	if st.Reachable && !st.LastSync.IsZero() {
		d.synced, d.failing = true, false
		return nil
	}
	if st.Reachable || st.Syncing || !d.synced || d.failing {
		return nil
	}
	d.failing = true
	why := st.UnreachableWhy
	if why == "" {
		why = "The backend did not answer."
	}
	return []Note{{KindSync, "FleetDesk cannot sync", why + " The fleet shown is from the last sync; FleetDesk keeps trying."}}
}

// Rollout is the note for a notification app/rollout's procedure emitted (finished, paused
// itself, stopped).
func Rollout(title, body string) Note { return Note{KindRollout, title, body} }

// Flash is the note for a flash attempt the Recovery page logged; ok is false for entries that
// are not the end of a flash (a refusal before any byte was sent, a cancel).
func Flash(e recovery.ServiceLogEntry) (Note, bool) {
	who := e.UnitSerial
	if who == "" {
		who = "the unit on " + e.Port
	}
	switch e.Result {
	case recovery.ResultOK:
		return Note{KindFlash, "Flash completed", fmt.Sprintf("%s now runs %s.", who, or(e.VersionAfter, e.ImageVersion))}, true
	case recovery.ResultFailed:
		return Note{KindFlash, "Flash failed", fmt.Sprintf("%s: %s", who, or(e.Error, "the flash did not complete"))}, true
	}
	return Note{}, false
}

func name(d fleet.Device) string { return or(d.Name, d.ID) }

func names(ds []fleet.Device) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = name(d)
	}
	return strings.Join(s, ", ")
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
