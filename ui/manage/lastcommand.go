package manage

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// lastCommand sends the page's commands and follows them until they are final. The "Last
// command" card always shows the newest one sent from the page; older ones still in flight are
// followed too (their buttons stay disabled until they finish) but never drawn over it.
type lastCommand struct {
	svc  session.Commands
	run  *kit.Runner
	poll time.Duration

	// changed is called after a command starts or ends: the page redraws its buttons.
	changed func()

	seq      int                      // sends so far; the newest send's number is shown
	busy     map[fleet.Action]int     // commands of each action being sent or not final yet
	pending  map[string]fleet.Command // sent and not final, by ID
	newest   string                   // ID of the newest command ("" while it is being sent)
	fetching bool
	stopTick func()

	progress *widget.Label
	problem  *widget.Label
	card     *widget.Card
}

func newLastCommand(svc session.Commands, run *kit.Runner, poll time.Duration, changed func()) *lastCommand {
	c := &lastCommand{svc: svc, run: run, poll: poll, changed: changed,
		busy: map[fleet.Action]int{}, pending: map[string]fleet.Command{}}
	c.progress = widget.NewLabel("")
	c.progress.Wrapping = fyne.TextWrapWord
	c.problem = widget.NewLabel("")
	c.problem.Wrapping = fyne.TextWrapWord
	c.problem.Importance = widget.DangerImportance
	c.card = widget.NewCard("Last command", "", container.NewVBox(c.progress, c.problem))
	c.card.Hide()
	return c
}

// inFlight reports whether a command of this action sent from the page has not finished.
func (c *lastCommand) inFlight(act fleet.Action) bool { return c.busy[act] > 0 }

// send posts the command off the UI goroutine, then follows it.
func (c *lastCommand) send(req fleet.CommandRequest) {
	act := req.Action
	c.seq++
	mine := c.seq
	c.busy[act]++
	c.newest = ""
	c.card.Show()
	c.card.SetTitle("Last command: " + act.DisplayName())
	c.card.SetSubTitle("")
	c.progress.SetText("Sending…")
	c.problem.SetText("")
	c.changed()
	kit.Run(c.run, func(ctx context.Context) sendResult {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd, err := c.svc.SendCommand(ctx, req)
		return sendResult{cmd, err}
	}, func(r sendResult) {
		if r.err != nil || r.cmd.Status.Final() {
			c.busy[act]--
		} else {
			c.pending[r.cmd.ID] = r.cmd
			c.follow()
		}
		if mine == c.seq {
			if r.err != nil {
				c.showError(act, r.err)
			} else {
				c.newest = r.cmd.ID
				c.show(r.cmd)
			}
		}
		c.changed()
	})
}

type sendResult struct {
	cmd fleet.Command
	err error
}

// follow polls the pending commands until none is left.
func (c *lastCommand) follow() {
	if c.stopTick == nil {
		c.stopTick = c.run.Ticker(c.poll, c.check)
	}
}

func (c *lastCommand) check() {
	if c.fetching || len(c.pending) == 0 {
		return
	}
	c.fetching = true
	ids := make([]string, 0, len(c.pending))
	for id := range c.pending {
		ids = append(ids, id)
	}
	kit.Run(c.run, func(ctx context.Context) []pollResult {
		out := make([]pollResult, len(ids))
		for i, id := range ids {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			out[i].cmd, out[i].err = c.svc.Command(cctx, id)
			out[i].id = id
			cancel()
		}
		return out
	}, func(rs []pollResult) {
		c.fetching = false
		ended := false
		for _, r := range rs {
			if r.err != nil {
				if r.id == c.newest {
					c.problem.SetText("Could not check progress (FleetDesk keeps trying). " + words.Text(r.err) + ".")
				}
				continue
			}
			if r.cmd.Status.Final() {
				if _, ok := c.pending[r.id]; ok {
					delete(c.pending, r.id)
					c.busy[r.cmd.Action]--
					ended = true
				}
			}
			if r.id == c.newest {
				c.show(r.cmd)
			}
		}
		if len(c.pending) == 0 && c.stopTick != nil {
			c.stopTick()
			c.stopTick = nil
		}
		if ended {
			c.changed()
		}
	})
}

type pollResult struct {
	id  string
	cmd fleet.Command
	err error
}

func (c *lastCommand) showError(act fleet.Action, err error) {
	c.card.Show()
	c.card.SetTitle("Last command: " + act.DisplayName())
	c.progress.SetText("Not sent.")
	c.problem.SetText(words.Text(err) + ".")
}

func (c *lastCommand) show(cmd fleet.Command) {
	c.card.Show()
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
