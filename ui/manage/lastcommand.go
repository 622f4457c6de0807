package manage

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/command"
	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// lastCommand is the page's side of command.Tracker, the state machine of the commands sent from
// the page: it feeds the tracker events (a tap, the data layer's answers, the commands' states as
// the data layer announces them, which follows each command it sent until it ends), carries out
// its effects on the page's runner, and draws the "Last command" card from its state. Nothing here
// polls.
// The card always shows the newest command sent from the page; older ones still in flight are
// followed too (their buttons stay disabled until they finish) but never drawn over it.
type lastCommand struct {
	svc session.Commands
	run *kit.Runner
	t   *command.Tracker
	// busyChanged is called when the actions in flight change: the page redraws its buttons.
	busyChanged func()

	progress *widget.Label
	problem  *widget.Label
	card     *widget.Card
}

func newLastCommand(svc session.Commands, run *kit.Runner, busyChanged func()) *lastCommand {
	c := &lastCommand{svc: svc, run: run, t: command.New(), busyChanged: busyChanged}
	c.progress = widget.NewLabel("")
	c.progress.Wrapping = fyne.TextWrapWord
	c.problem = widget.NewLabel("")
	c.problem.Wrapping = fyne.TextWrapWord
	c.problem.Importance = widget.DangerImportance
	c.card = widget.NewCard("Last command", "", container.NewVBox(c.progress, c.problem))
	c.card.Hide()
	return c
}

// updated feeds the tracker the commands' states as the data layer has them (the unit's history)
// and whether its last look at each command still followed failed.
func (c *lastCommand) updated(list []fleet.Command) {
	for _, cmd := range list {
		c.apply(command.Updated{Command: cmd})
	}
	for _, id := range c.t.Following() {
		c.apply(command.CheckFailed{ID: id, Err: c.svc.CommandCheckError(id)})
	}
}

// inFlight reports whether a command of this action sent from the page has not finished.
func (c *lastCommand) inFlight(act fleet.Action) bool { return c.t.Busy(act) }

// send is the dealer's request; a second one of an action in flight is refused by the tracker.
func (c *lastCommand) send(req fleet.CommandRequest) { c.apply(command.Send{Request: req}) }

// apply feeds the tracker one event, carries out what it asks and redraws the card.
func (c *lastCommand) apply(ev command.Event) {
	effects, err := c.t.Apply(ev)
	if err != nil {
		return
	}
	for _, e := range effects {
		switch e := e.(type) {
		case command.Post:
			c.post(e)
		case command.BusyChanged:
			c.busyChanged()
		}
	}
	c.draw()
}

// post sends the command off the UI goroutine; the answer comes back as an event.
func (c *lastCommand) post(p command.Post) {
	kit.Run(c.run, func(ctx context.Context) command.Answered {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd, err := c.svc.SendCommand(ctx, p.Request)
		return command.Answered{Seq: p.Seq, Command: cmd, Err: err}
	}, func(a command.Answered) { c.apply(a) })
}

// draw shows the tracker's newest command on the card.
func (c *lastCommand) draw() {
	last := c.t.Last()
	if last.Seq == 0 {
		return
	}
	c.card.Show()
	switch {
	case last.Sending:
		c.card.SetTitle("Last command: " + last.Action.DisplayName())
		c.card.SetSubTitle("")
		c.progress.SetText("Sending…")
		c.problem.SetText("")
	case last.NotSent != nil:
		c.card.SetTitle("Last command: " + last.Action.DisplayName())
		c.card.SetSubTitle("")
		c.progress.SetText("Not sent.")
		c.problem.SetText(words.Text(last.NotSent) + ".")
	default:
		c.show(last.Command)
		if last.CheckErr != nil {
			c.problem.SetText("Could not check progress (FleetDesk keeps trying). " + words.Text(last.CheckErr) + ".")
		}
	}
}

func (c *lastCommand) show(cmd fleet.Command) {
	title := "Last command: " + cmd.Action.DisplayName()
	if cmd.ReleaseID != "" {
		title += " (" + cmd.ReleaseID + ")"
	}
	c.card.SetTitle(title)
	c.card.SetSubTitle("sent " + cmd.CreatedAt.Local().Format("15:04:05") + " · " + cmd.ID)
	steps := progressSteps(cmd.Status)
	if w := waiting(cmd); w != "" {
		steps += "\n" + w
	}
	c.progress.SetText(steps)
	switch {
	case cmd.Status == fleet.CommandFailed || cmd.Status == fleet.CommandExpired:
		why := cmd.Error
		if why == "" {
			why = "the backend gave no reason"
		}
		c.problem.SetText(fmt.Sprintf("%s %s: %s", cmd.Action.DisplayName(), cmd.Status, why))
	default:
		c.problem.SetText("")
	}
}
