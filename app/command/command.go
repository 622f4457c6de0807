// Package command follows the commands a dealer sends to one unit (from its Manage page) as a
// pure state machine, the way rollout.Procedure runs the safe OTA procedure: events in (a send
// asked for, the backend's answer, a command's new state, why its state could not be read),
// effects out (post this request, the busy actions changed). It holds no clock, no goroutine and
// no widget; the page carries out the effects and draws the state.
//
// Whether an action is in flight is derived from the commands being sent or followed, never
// counted up and down, so no path through the events can leave a button disabled for good.
//
// A command's progress reaches the tracker as Updated events: the data layer follows every
// command it sent until it ends (through the backend's event stream, or by reading it while
// there is none) and announces each new status, so neither the tracker nor the page polls.
package command

import (
	"errors"
	"slices"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Tracker is the state of the commands sent from one page. The zero value is not ready: use New.
// It is not safe for concurrent use; the page applies every event on its UI goroutine.
type Tracker struct {
	seq     int                      // sends so far; each send is known by its number
	sending map[int]fleet.Action     // sends not answered yet
	pending map[string]fleet.Command // sent and not final, by ID
	last    Last
	// early keeps updates of unknown commands while a send is unanswered: an event stream may
	// report a command before the POST that created it has answered. Emptied once nothing is
	// being sent, so commands sent from elsewhere are not kept.
	early map[string]fleet.Command
}

// New is a tracker with nothing sent.
func New() *Tracker {
	return &Tracker{sending: map[int]fleet.Action{}, pending: map[string]fleet.Command{}, early: map[string]fleet.Command{}}
}

// Last is the newest command sent from the page, as its "Last command" card shows it. Older
// commands still in flight are followed too, but never drawn over it.
type Last struct {
	Seq     int // 0: nothing sent yet
	Action  fleet.Action
	Sending bool          // asked for, the backend has not answered
	Command fleet.Command // the backend's record of it, once answered (its ID is set)
	NotSent error         // the send failed: nothing reached the unit
	// CheckErr is why the last progress check failed; the tracker keeps following the command.
	CheckErr error
}

// Event is something that happened: the dealer asked, the backend answered, time passed.
type Event interface{ isEvent() }

// Send is the dealer's request to send a command.
type Send struct{ Request fleet.CommandRequest }

// Answered is the data layer's answer to a Post: the command as recorded, or why it was not sent.
type Answered struct {
	Seq     int
	Command fleet.Command
	Err     error
}

// Updated is a command's current state as the data layer has it (the event stream's or its own
// look at the backend). A command the page is not following is ignored.
type Updated struct{ Command fleet.Command }

// CheckFailed is why the data layer's last look at a command failed (session.Commands.
// CommandCheckError); a nil Err says the last look succeeded.
type CheckFailed struct {
	ID  string
	Err error
}

func (Send) isEvent()        {}
func (Answered) isEvent()    {}
func (Updated) isEvent()     {}
func (CheckFailed) isEvent() {}

// Effect is what the page must do next.
type Effect interface{ isEffect() }

// Post asks the page to send the request (session.Commands.SendCommand) and report Answered with
// the same Seq.
type Post struct {
	Seq     int
	Request fleet.CommandRequest
}

// BusyChanged says the set of actions in flight changed: the page redraws its buttons.
type BusyChanged struct{}

func (Post) isEffect()        {}
func (BusyChanged) isEffect() {}

// ErrInFlight refuses a Send of an action whose previous command has not finished: a second tap
// on Start must not start the unit twice.
var ErrInFlight = errors.New("a command of this action is still in flight: wait until it finishes")

// Busy reports whether a command of this action is being sent or followed.
func (t *Tracker) Busy(act fleet.Action) bool {
	for _, a := range t.sending {
		if a == act {
			return true
		}
	}
	for _, c := range t.pending {
		if c.Action == act {
			return true
		}
	}
	return false
}

// Last is the newest command sent.
func (t *Tracker) Last() Last { return t.last }

// Following lists the IDs of the commands sent and not final, in order.
func (t *Tracker) Following() []string {
	ids := make([]string, 0, len(t.pending))
	for id := range t.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Apply takes one event and returns what the page must do. A refused event (ErrInFlight) changes
// nothing; an answer or update for something the tracker does not know is ignored.
func (t *Tracker) Apply(ev Event) ([]Effect, error) {
	busy := t.busyActions()
	var out []Effect
	switch e := ev.(type) {
	case Send:
		if t.Busy(e.Request.Action) {
			return nil, ErrInFlight
		}
		t.seq++
		t.sending[t.seq] = e.Request.Action
		t.last = Last{Seq: t.seq, Action: e.Request.Action, Sending: true}
		out = append(out, Post{Seq: t.seq, Request: e.Request})
	case Answered:
		if _, ok := t.sending[e.Seq]; !ok {
			return nil, nil
		}
		delete(t.sending, e.Seq)
		if c, ok := t.early[e.Command.ID]; ok && e.Err == nil && (c.Status.Final() || c.UpdatedAt.After(e.Command.UpdatedAt)) {
			e.Command = c // the stream was ahead of the answer
		}
		if e.Err == nil && !e.Command.Status.Final() {
			t.pending[e.Command.ID] = e.Command
		}
		if e.Seq == t.last.Seq {
			t.last.Sending = false
			if e.Err != nil {
				t.last.NotSent = e.Err
			} else {
				t.last.Command = e.Command
			}
		}
	case Updated:
		t.update(e.Command)
	case CheckFailed:
		if _, followed := t.pending[e.ID]; followed && e.ID == t.last.Command.ID {
			t.last.CheckErr = e.Err
		}
	}
	if len(t.sending) == 0 {
		clear(t.early)
	}
	if !slices.Equal(busy, t.busyActions()) {
		out = append(out, BusyChanged{})
	}
	return out, nil
}

// update takes a command's new state: a final one is no longer followed.
func (t *Tracker) update(c fleet.Command) {
	_, followed := t.pending[c.ID]
	switch {
	case followed && c.Status.Final():
		delete(t.pending, c.ID)
	case followed:
		t.pending[c.ID] = c
	case c.ID != "" && c.ID != t.last.Command.ID && len(t.sending) > 0:
		if prev, ok := t.early[c.ID]; !ok || !prev.UpdatedAt.After(c.UpdatedAt) {
			t.early[c.ID] = c
		}
	}
	if c.ID != "" && c.ID == t.last.Command.ID {
		t.last.Command = c
		t.last.CheckErr = nil
	}
}

// busyActions is the actions in flight, in fleet.AllActions order.
func (t *Tracker) busyActions() []fleet.Action {
	var out []fleet.Action
	for _, a := range fleet.AllActions {
		if t.Busy(a) {
			out = append(out, a)
		}
	}
	return out
}
