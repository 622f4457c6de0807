package command

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
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
// polled delivered, polled done.
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
	same(t, "answered", apply(t, tr, Answered{Seq: 1, Command: cmd("c1", fleet.ActionStart, fleet.CommandQueued, 0)}), StartPolling{})
	if l := tr.Last(); l.Sending || l.Command.ID != "c1" || !tr.Busy(fleet.ActionStart) {
		t.Fatalf("after the answer: %+v", l)
	}
	same(t, "tick", apply(t, tr, Tick{}), Fetch{IDs: []string{"c1"}})
	same(t, "tick while fetching", apply(t, tr, Tick{}))
	same(t, "delivered", apply(t, tr, Fetched{Results: []Result{{ID: "c1", Command: cmd("c1", fleet.ActionStart, fleet.CommandDelivered, 1)}}}))
	same(t, "tick", apply(t, tr, Tick{}), Fetch{IDs: []string{"c1"}})
	same(t, "done", apply(t, tr, Fetched{Results: []Result{{ID: "c1", Command: cmd("c1", fleet.ActionStart, fleet.CommandDone, 2)}}}),
		StopPolling{}, BusyChanged{})
	if tr.Busy(fleet.ActionStart) || tr.polling || tr.Last().Command.Status != fleet.CommandDone {
		t.Fatalf("after done: busy %v polling %v last %+v", tr.Busy(fleet.ActionStart), tr.polling, tr.Last())
	}
	same(t, "tick after the end", apply(t, tr, Tick{}))
}

// TestEveryEndFreesTheButton: a refused send, an answer already final, a failed or expired
// command each end the action's flight: the button can never stay disabled for good.
func TestEveryEndFreesTheButton(t *testing.T) {
	ends := map[string][]Event{
		"refused":         {Answered{Seq: 1, Err: errors.New("not allowed: D180-1 is offline")}},
		"answered final":  {Answered{Seq: 1, Command: cmd("c1", fleet.ActionReboot, fleet.CommandDone, 0)}},
		"failed":          {Answered{Seq: 1, Command: cmd("c1", fleet.ActionReboot, fleet.CommandQueued, 0)}, Updated{Command: cmd("c1", fleet.ActionReboot, fleet.CommandFailed, 1)}},
		"expired, polled": {Answered{Seq: 1, Command: cmd("c1", fleet.ActionReboot, fleet.CommandQueued, 0)}, Tick{}, Fetched{Results: []Result{{ID: "c1", Command: cmd("c1", fleet.ActionReboot, fleet.CommandExpired, 9)}}}},
	}
	for name, evs := range ends {
		t.Run(name, func(t *testing.T) {
			tr := New()
			apply(t, tr, send(fleet.ActionReboot))
			for _, ev := range evs {
				apply(t, tr, ev)
			}
			if tr.Busy(fleet.ActionReboot) || tr.polling {
				t.Fatalf("busy %v, polling %v after the end", tr.Busy(fleet.ActionReboot), tr.polling)
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
	same(t, "tick", apply(t, tr, Tick{}), Fetch{IDs: []string{"c1", "c2"}})
	eff := apply(t, tr, Fetched{Results: []Result{
		{ID: "c1", Command: cmd("c1", fleet.ActionStart, fleet.CommandDone, 2)},
		{ID: "c2", Err: errors.New("no answer")},
	}})
	same(t, "c1 done, c2 unknown", eff, BusyChanged{})
	if l := tr.Last(); l.CheckErr == nil || l.Command.ID != "c2" {
		t.Fatalf("the newest's failed check is not shown: %+v", l)
	}
	apply(t, tr, Tick{})
	apply(t, tr, Fetched{Results: []Result{{ID: "c2", Command: cmd("c2", fleet.ActionReboot, fleet.CommandDelivered, 3)}}})
	if l := tr.Last(); l.CheckErr != nil || l.Command.Status != fleet.CommandDelivered {
		t.Fatalf("a good check clears the failed one: %+v", l)
	}
}

// TestStreamAheadOfTheAnswer: an event stream may report a command's progress before the POST
// that created it answers; the tracker keeps it and does not follow a command that already ended.
func TestStreamAheadOfTheAnswer(t *testing.T) {
	tr := New()
	apply(t, tr, send(fleet.ActionStop))
	apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStop, fleet.CommandDone, 5)})
	apply(t, tr, Answered{Seq: 1, Command: cmd("c1", fleet.ActionStop, fleet.CommandQueued, 0)})
	if tr.Busy(fleet.ActionStop) || tr.polling || tr.Last().Command.Status != fleet.CommandDone {
		t.Fatalf("the stream's earlier news was lost: busy %v polling %v last %+v", tr.Busy(fleet.ActionStop), tr.polling, tr.Last())
	}
	// With nothing being sent, updates of commands the page never sent are not kept.
	apply(t, tr, Updated{Command: cmd("elsewhere", fleet.ActionStart, fleet.CommandQueued, 6)})
	if len(tr.early) != 0 {
		t.Fatalf("kept %d updates of commands sent elsewhere", len(tr.early))
	}
}

// TestRandomLivesEndFree drives random interleavings of sends, answers, updates, ticks and fetch
// results: at every step an action is busy exactly when one of its commands is being sent or is
// followed and not final, a Fetch never overlaps another, polling runs exactly while something is
// followed; once every send is answered and every command ended, nothing is busy.
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
		fetchOut := false
		var fetchIDs []string
		polling := false
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
				case Fetch:
					if fetchOut {
						t.Fatalf("seed %d: a Fetch while one is out", seed)
					}
					fetchOut, fetchIDs = true, e.IDs
				case StartPolling:
					if polling {
						t.Fatalf("seed %d: StartPolling twice", seed)
					}
					polling = true
				case StopPolling:
					if !polling {
						t.Fatalf("seed %d: StopPolling while not polling", seed)
					}
					polling = false
				}
			}
			following := false
			for _, a := range fleet.AllActions {
				want := false
				for _, f := range flights {
					if f.act == a && (!f.sent || !f.status.Final()) {
						want = true
					}
					if f.sent && !f.status.Final() {
						following = true
					}
				}
				if tr.Busy(a) != want {
					t.Fatalf("seed %d: Busy(%s) = %v, want %v", seed, a, !want, want)
				}
			}
			if polling != following || tr.polling != following {
				t.Fatalf("seed %d: polling %v while following %v", seed, polling, following)
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
			case 3:
				step(Tick{})
			case 4: // the fetch comes back
				if fetchOut {
					var res []Result
					for _, id := range fetchIDs {
						for _, f := range flights {
							if f.id == id {
								if r.IntN(3) == 0 {
									res = append(res, Result{ID: id, Err: errors.New("timeout")})
									continue
								}
								if !f.status.Final() && r.IntN(2) == 0 {
									f.status = statuses[1+r.IntN(4)]
								}
								res = append(res, Result{ID: id, Command: fleet.Command{ID: id, Action: f.act, Status: f.status}})
							}
						}
					}
					fetchOut = false
					step(Fetched{Results: res})
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

// TestLiveSourceNeverPolls (issue 23): while the event stream brings commands' transitions the
// tracker asks for no polling and a stray Tick fetches nothing; the stream's Updated events carry
// the command to its end. When the stream gives way to polling mid-flight, polling starts; when it
// comes back, polling stops.
func TestLiveSourceNeverPolls(t *testing.T) {
	tr := New()
	same(t, "live", apply(t, tr, Source{Live: true}))
	apply(t, tr, send(fleet.ActionStart))
	same(t, "answered", apply(t, tr, Answered{Seq: 1, Command: cmd("c1", fleet.ActionStart, fleet.CommandQueued, 0)}))
	same(t, "tick while live", apply(t, tr, Tick{}))
	same(t, "delivered", apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStart, fleet.CommandDelivered, 1)}))
	same(t, "the stream gives way to polling", apply(t, tr, Source{Live: false}), StartPolling{})
	same(t, "tick while polling", apply(t, tr, Tick{}), Fetch{IDs: []string{"c1"}})
	same(t, "live again", apply(t, tr, Source{Live: true}), StopPolling{})
	same(t, "done", apply(t, tr, Updated{Command: cmd("c1", fleet.ActionStart, fleet.CommandDone, 2)}), BusyChanged{})
	if tr.Busy(fleet.ActionStart) || tr.polling || tr.Last().Command.Status != fleet.CommandDone {
		t.Fatalf("after done: busy %v polling %v last %+v", tr.Busy(fleet.ActionStart), tr.polling, tr.Last())
	}
}
