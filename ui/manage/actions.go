package manage

import (
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

// actionGroup is one of the guide's action groups (live commands, firmware, reboot): a card with
// its buttons and the reason any of them cannot be used now. The rules come from app/scope; the
// group only shows them.
type actionGroup struct {
	actions []fleet.Action
	buttons map[fleet.Action]*widget.Button
	reason  *widget.Label
	card    *widget.Card
}

// ruleInput is what the rules are asked with, once per redraw.
type ruleInput struct {
	actor  scope.Actor
	dev    fleet.Device
	online bool // FleetDesk reaches the backend
	now    time.Time
	busy   func(fleet.Action) bool // a command of this action sent from the page is in flight
}

func newActionGroup(title, hint string, actions []fleet.Action, onTap func(fleet.Action), extra ...fyne.CanvasObject) *actionGroup {
	g := &actionGroup{actions: actions, buttons: map[fleet.Action]*widget.Button{}}
	row := container.NewHBox()
	for _, act := range actions {
		label := act.DisplayName()
		if act.NeedsRelease() || act == fleet.ActionReboot {
			label += "…" // asks before it sends
		}
		b := widget.NewButton(label, func() { onTap(act) })
		if act == fleet.ActionReboot {
			b.Importance = widget.WarningImportance
		}
		g.buttons[act] = b
		row.Add(b)
	}
	g.reason = widget.NewLabel("")
	g.reason.Wrapping = fyne.TextWrapWord
	g.reason.Importance = widget.WarningImportance
	g.reason.Hide()
	body := container.NewVBox(row, g.reason)
	for _, o := range extra {
		body.Add(o)
	}
	g.card = widget.NewCard(title, hint, body)
	return g
}

// hide takes the whole group off the page (a unit that is not in the fleet).
func (g *actionGroup) hide() {
	g.card.Hide()
	for _, b := range g.buttons {
		b.Hide()
	}
}

// apply offers each action the actor may ever take, enables those it may take now, and says why
// the others cannot go. It returns how many actions are offered, and the reason when one is not.
func (g *actionGroup) apply(in ruleInput) (offered int, never string) {
	var why []string
	for _, act := range g.actions {
		b := g.buttons[act]
		if dec := scope.CanCommand(in.actor, in.dev, act); !dec.Allowed {
			b.Hide()
			never = dec.Message
			continue
		}
		b.Show()
		offered++
		reason := ""
		switch dec := scope.CanCommandNow(in.actor, in.dev, act, in.online, in.now); {
		case !dec.Allowed:
			reason = dec.Message
		case in.busy(act):
			reason = act.DisplayName() + " was sent: wait until it finishes (see Last command)"
		}
		if reason == "" {
			b.Enable()
			continue
		}
		b.Disable()
		if !slices.Contains(why, reason) {
			why = append(why, reason)
		}
	}
	if offered == 0 {
		g.card.Hide()
		return 0, never
	}
	g.card.Show()
	g.reason.SetText(strings.Join(why, "\n"))
	if len(why) == 0 {
		g.reason.Hide()
	} else {
		g.reason.Show()
	}
	return offered, never
}
