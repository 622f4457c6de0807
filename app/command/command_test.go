package command

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func cmd(id string, act fleet.Action, st fleet.CommandStatus, sec int) fleet.Command {
	return fleet.Command{ID: id, DeviceID: "D180-1", Action: act, Status: st, UpdatedAt: t0.Add(time.Duration(sec) * time.Second)}
}

func send(act fleet.Action) Send {
	return Send{Request: fleet.CommandRequest{DeviceID: "D180-1", Action: act}}
}

func apply(t *testing.T, tr *Tracker, ev Event) []Effect {
	t.Helper()
	eff, err := tr.Apply(ev)
	if err != nil {
		t.Fatalf("%#v: %v", ev, err)
	}
	return eff
}

func same(t *testing.T, what string, got []Effect, want ...Effect) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: effects %#v, want %#v", what, got, want)
	}
}

// TestStartFollowedToTheEnd walks one Start through the page's life: posted, answered queued,
// updated delivered, updated done. Nothing asks for a poll: the effects are the post and the
// busy buttons only.
func TestStartFollowedToTheEnd(t *testing.T) {
	tr := New()
	same(t, "send", apply(t, tr, send(fleet.ActionStart)),
		Post{Seq: 1, Request: fleet.CommandRequest{DeviceID: "D180-1", Action: fleet.ActionStart}}, BusyChanged{})
	if !tr.Busy(fleet.ActionStart) || tr.Busy(fleet.ActionStop) || !tr.Last().Sending {
		t.Fatalf("after send: busy start %v stop %v, last %+v", tr.Busy(fleet.ActionStart), tr.Busy(fleet.ActionStop), tr.Last())
	}
	if _, err := tr.Apply(send(fleet.ActionStart)); !errors.Is(err, ErrInFlight) {
		t.Fatalf("a second Start while the first is in flight: %v", err)
	}
	same(t, "answered", apply(t, tr, Answered{Seq: 1, Command: cmd("c1", fleet.ActionStart, fleet.CommandQueued, 0)}))
	if l := tr.Last(); l.Sending || l.Command.ID != "c1" || !tr.Busy(fleet.ActionStart) {
		t.Fatalf("after the answer: %+v", l)
	}
	if got := tr.Following(); len(got) != 1 || got[0] != "c1" {
		t.Fatalf("following %v, want [c1]", got)
	}
	same(t, "delivered", apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStart, fleet.CommandDelivered, 1)}))
	same(t, "done", apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStart, fleet.CommandDone, 2)}), BusyChanged{})
	if tr.Busy(fleet.ActionStart) || len(tr.Following()) != 0 || tr.Last().Command.Status != fleet.CommandDone {
		t.Fatalf("after done: busy %v following %v last %+v", tr.Busy(fleet.ActionStart), tr.Following(), tr.Last())
	}
}

// TestEveryEndFreesTheButton: a refused send, an answer already final, a failed or expired
// command each end the action's flight: the button can never stay disabled for good.
func TestEveryEndFreesTheButton(t *testing.T) {
	ends := map[string][]Event{
		"refused":        {Answered{Seq: 1, Err: errors.New("not allowed: D180-1 is offline")}},
		"answered final": {Answered{Seq: 1, Command: cmd("c1", fleet.ActionReboot, fleet.CommandDone, 0)}},
		"failed":         {Answered{Seq: 1, Command: cmd("c1", fleet.ActionReboot, fleet.CommandQueued, 0)}, Updated{Command: cmd("c1", fleet.ActionReboot, fleet.CommandFailed, 1)}},
		"expired, check failed first": {Answered{Seq: 1, Command: cmd("c1", fleet.ActionReboot, fleet.CommandQueued, 0)},
			CheckFailed{ID: "c1", Err: errors.New("no answer")}, Updated{Command: cmd("c1", fleet.ActionReboot, fleet.CommandExpired, 9)}},
	}
	for name, evs := range ends {
		t.Run(name, func(t *testing.T) {
			tr := New()
			apply(t, tr, send(fleet.ActionReboot))
			for _, ev := range evs {
				apply(t, tr, ev)
			}
			if tr.Busy(fleet.ActionReboot) || len(tr.Following()) != 0 {
				t.Fatalf("busy %v, following %v after the end", tr.Busy(fleet.ActionReboot), tr.Following())
			}
			if _, err := tr.Apply(send(fleet.ActionReboot)); err != nil {
				t.Fatalf("the next Reboot refused: %v", err)
			}
		})
	}
}

// TestNewestIsShownOlderStillFollowed: the card shows the newest send; an older command still in
// flight keeps its action busy and is followed, but never drawn over the newest.
func TestNewestIsShownOlderStillFollowed(t *testing.T) {
	tr := New()
	apply(t, tr, send(fleet.ActionStart))
	apply(t, tr, Answered{Seq: 1, Command: cmd("c1", fleet.ActionStart, fleet.CommandQueued, 0)})
	apply(t, tr, send(fleet.ActionReboot))
	apply(t, tr, Answered{Seq: 2, Command: cmd("c2", fleet.ActionReboot, fleet.CommandQueued, 0)})
	apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStart, fleet.CommandDelivered, 1)})
	if l := tr.Last(); l.Command.ID != "c2" || l.Command.Status != fleet.CommandQueued {
		t.Fatalf("the older command drew over the newest: %+v", l)
	}
	if !tr.Busy(fleet.ActionStart) || !tr.Busy(fleet.ActionReboot) {
		t.Fatal("both commands are in flight")
	}
	if got := tr.Following(); len(got) != 2 || got[0] != "c1" || got[1] != "c2" {
		t.Fatalf("following %v, want [c1 c2]", got)
	}
	same(t, "c1 done", apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStart, fleet.CommandDone, 2)}), BusyChanged{})
	same(t, "c2 unknown", apply(t, tr, CheckFailed{ID: "c2", Err: errors.New("no answer")}))
	if l := tr.Last(); l.CheckErr == nil || l.Command.ID != "c2" {
		t.Fatalf("the newest's failed check is not shown: %+v", l)
	}
	apply(t, tr, CheckFailed{ID: "c1", Err: errors.New("no answer")}) // an ended command's check says nothing
	apply(t, tr, Updated{Command: cmd("c2", fleet.ActionReboot, fleet.CommandDelivered, 3)})
	if l := tr.Last(); l.CheckErr != nil || l.Command.Status != fleet.CommandDelivered {
		t.Fatalf("a good check clears the failed one: %+v", l)
	}
	apply(t, tr, CheckFailed{ID: "c2", Err: errors.New("no answer")})
	apply(t, tr, CheckFailed{ID: "c2"})
	if l := tr.Last(); l.CheckErr != nil {
		t.Fatalf("a check that succeeds again clears the failed one: %+v", l)
	}
}

// TestStreamAheadOfTheAnswer: an event stream may report a command's progress before the POST
// that created it answers; the tracker keeps it and does not follow a command that already ended.
func TestStreamAheadOfTheAnswer(t *testing.T) {
	tr := New()
	apply(t, tr, send(fleet.ActionStop))
	apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStop, fleet.CommandDone, 5)})
	apply(t, tr, Answered{Seq: 1, Command: cmd("c1", fleet.ActionStop, fleet.CommandQueued, 0)})
	if tr.Busy(fleet.ActionStop) || len(tr.Following()) != 0 || tr.Last().Command.Status != fleet.CommandDone {
		t.Fatalf("the stream's earlier news was lost: busy %v following %v last %+v", tr.Busy(fleet.ActionStop), tr.Following(), tr.Last())
	}
	// With nothing being sent, updates of commands the page never sent are not kept.
	apply(t, tr, Updated{Command: cmd("elsewhere", fleet.ActionStart, fleet.CommandQueued, 6)})
	if len(tr.early) != 0 {
		t.Fatalf("kept %d updates of commands sent elsewhere", len(tr.early))
	}
}

// TestRandomLivesEndFree drives random interleavings of sends, answers, updates and failed checks:
// at every step an action is busy exactly when one of its commands is being sent or is followed
// and not final, the tracker follows exactly the sent commands that have not ended, and it asks
// for nothing but posts; once every send is answered and every command ended, nothing is busy.
func TestRandomLivesEndFree(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		tr := New()
		type flight struct {
			seq    int
			act    fleet.Action
			id     string
			status fleet.CommandStatus
			sent   bool
		}
		var flights []*flight
		next := 0
		step := func(ev Event) {
			eff, err := tr.Apply(ev)
			if err != nil && !errors.Is(err, ErrInFlight) {
				t.Fatalf("seed %d: %v", seed, err)
			}
			for _, e := range eff {
				switch e := e.(type) {
				case Post:
					flights = append(flights, &flight{seq: e.Seq, act: e.Request.Action})
				case BusyChanged:
				default:
					t.Fatalf("seed %d: unexpected effect %#v", seed, e)
				}
			}
			var following []string
			for _, a := range fleet.AllActions {
				want := false
				for _, f := range flights {
					if f.act == a && (!f.sent || !f.status.Final()) {
						want = true
					}
					if f.sent && !f.status.Final() && f.act == a {
						following = append(following, f.id)
					}
				}
				if tr.Busy(a) != want {
					t.Fatalf("seed %d: Busy(%s) = %v, want %v", seed, a, !want, want)
				}
			}
			slices.Sort(following)
			if got := tr.Following(); !slices.Equal(got, following) {
				t.Fatalf("seed %d: following %v, want %v", seed, got, following)
			}
		}
		statuses := []fleet.CommandStatus{fleet.CommandQueued, fleet.CommandDelivered, fleet.CommandDone, fleet.CommandFailed, fleet.CommandExpired}
		for i := 0; i < 60; i++ {
			switch r.IntN(5) {
			case 0:
				step(send(fleet.AllActions[r.IntN(len(fleet.AllActions))]))
			case 1: // answer one unanswered send
				for _, f := range flights {
					if !f.sent {
						f.sent = true
						if r.IntN(4) == 0 {
							f.status = fleet.CommandFailed
							step(Answered{Seq: f.seq, Err: fmt.Errorf("refused")})
						} else {
							next++
							f.id, f.status = fmt.Sprintf("c%d", next), statuses[r.IntN(3)]
							step(Answered{Seq: f.seq, Command: fleet.Command{ID: f.id, Action: f.act, Status: f.status}})
						}
						break
					}
				}
			case 2: // a stream update of one followed command
				for _, f := range flights {
					if f.sent && !f.status.Final() {
						f.status = statuses[1+r.IntN(4)]
						step(Updated{Command: fleet.Command{ID: f.id, Action: f.act, Status: f.status}})
						break
					}
				}
			case 3: // the data layer could not look at one followed command
				for _, f := range flights {
					if f.sent && !f.status.Final() && r.IntN(2) == 0 {
						step(CheckFailed{ID: f.id, Err: errors.New("timeout")})
						break
					}
				}
			case 4: // a repeated update of a command, final or not (the stream and a look may both tell it)
				for _, f := range flights {
					if f.sent && f.id != "" && r.IntN(2) == 0 {
						step(Updated{Command: fleet.Command{ID: f.id, Action: f.act, Status: f.status}})
						break
					}
				}
			}
		}
		// Drain: answer every send, end every command.
		for _, f := range flights {
			if !f.sent {
				f.sent, f.status = true, fleet.CommandFailed
				step(Answered{Seq: f.seq, Err: errors.New("refused")})
			}
		}
		for _, f := range flights {
			if !f.status.Final() {
				f.status = fleet.CommandDone
				step(Updated{Command: fleet.Command{ID: f.id, Action: f.act, Status: f.status}})
			}
		}
		for _, a := range fleet.AllActions {
			if tr.Busy(a) {
				t.Fatalf("seed %d: %s busy after every command ended", seed, a)
			}
		}
	}
}
