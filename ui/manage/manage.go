// Package manage is the Manage page of one unit: the status fields that confirm which unit the
// dealer is acting on, the guide's action groups (live commands Start and Stop; firmware actions
// FW Update and Force OTA with the update check and the way to Recovery; Reboot), the command just
// sent and the unit's command history. Each is a small section type owning its widgets; the page
// wires them to the session and to one kit.Runner that does all its background work.
//
// The page never lies about a unit: every field comes from the session's current snapshot and is
// redrawn when a sync changes it, and an action the rules (app/scope) refuse now is shown disabled
// with the reason rather than sent to expire. The data layer checks the same rules again.
package manage

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// Options wires the page into the shell.
type Options struct {
	// Window hosts the confirmation and release dialogs.
	Window fyne.Window
	// UI is the UI goroutine the page's background results are delivered on; nil is the app's.
	UI kit.UI
	// OnShowOnMap, when set, shows the unit on the Map page; without it there is no map link.
	OnShowOnMap func(deviceID string)
	// OnBack leaves the page for the one BackLabel names; without it there is no back button.
	OnBack func()
	// BackLabel names where OnBack leads ("Fleet Map"); "" means the Fleet Console.
	BackLabel string
	// OpenRecovery, when set, opens the Recovery page pre-filled with the unit's model and
	// transport; without it the firmware group has no Recovery link.
	OpenRecovery func(model fleet.Model, transport fleet.Transport)
	// Tick is how often times and health are re-evaluated on screen; 0 means 5 s.
	Tick time.Duration
}

// Page is one unit's Manage page.
type Page struct {
	svc  session.Session
	id   string
	opts Options
	run  *kit.Runner

	dev   fleet.Device
	found bool

	status   *statusSection
	live     *actionGroup
	firmware *firmwareSection
	reboot   *actionGroup
	last     *lastCommand
	history  *historySection
	noAction *widget.Label
	content  fyne.CanvasObject
}

// New builds the Manage page of one unit; Close stops its updates.
func New(svc session.Session, deviceID string, opts Options) *Page {
	if opts.Tick <= 0 {
		opts.Tick = 5 * time.Second
	}
	p := &Page{svc: svc, id: deviceID, opts: opts, run: kit.NewRunner(opts.UI)}
	p.dev, p.found = svc.Fleet().Get(deviceID)
	p.build()
	p.refresh()
	p.history.load(true, nil)
	p.run.Subscribe(svc, p.onChange)
	p.run.Ticker(opts.Tick, p.refresh)
	return p
}

// Content is the page's canvas object.
func (p *Page) Content() fyne.CanvasObject { return p.content }

// DeviceID is the unit this page manages.
func (p *Page) DeviceID() string { return p.id }

// Close stops live updates and any progress polling, and waits for the page's background work.
func (p *Page) Close() { p.run.Close() }

func (p *Page) build() {
	var onMap func()
	if p.opts.OnShowOnMap != nil {
		onMap = func() { p.opts.OnShowOnMap(p.id) }
	}
	p.status = newStatusSection(p.id, p.opts.OnBack, p.opts.BackLabel, onMap)
	p.last = newLastCommand(p.svc, p.run, p.refresh)
	p.history = newHistorySection(p.svc, p.run, p.id)
	p.live = newActionGroup("Live commands", "Sent to the unit at once", []fleet.Action{fleet.ActionStart, fleet.ActionStop}, p.onTap)
	p.firmware = newFirmwareSection(p.svc, p.run, p.opts.Window, p.opts.OpenRecovery, p.last.send, func() fleet.Device { return p.dev })
	p.reboot = newActionGroup("Reboot", "Use carefully on remote units", []fleet.Action{fleet.ActionReboot}, p.onTap)
	p.noAction = widget.NewLabel("")
	p.noAction.Wrapping = fyne.TextWrapWord
	p.noAction.Importance = widget.WarningImportance
	p.noAction.Hide()

	// Status across the top, the three action groups side by side, then what was sent: the page
	// reads top to bottom and fills the window's width instead of one tall column.
	actions := container.NewGridWithColumns(3, p.live.card, p.firmware.group.card, p.reboot.card)
	body := container.NewVBox(p.status.card, p.noAction, actions, p.last.card, p.history.card)
	p.content = container.NewBorder(p.status.head, nil, nil, nil, container.NewVScroll(body))
}

// refresh redraws the status and re-asks the rules about every action.
func (p *Page) refresh() {
	now := p.svc.Now()
	if !p.found {
		p.status.showMissing(p.id)
		p.live.hide()
		p.firmware.group.hide()
		p.reboot.hide()
		p.noAction.SetText(p.id + " is not in your fleet (it may be outside your dealer scope, or not synced yet).")
		p.noAction.Show()
		return
	}
	st := p.svc.Status()
	actor := p.svc.Actor()
	p.status.show(p.dev, st, actor.Dealer, now)
	p.firmware.showUnit(p.dev)
	in := ruleInput{actor: actor, dev: p.dev, online: st.Reachable, now: now, busy: p.last.inFlight}
	offered := 0
	var never string
	for _, g := range []*actionGroup{p.live, p.firmware.group, p.reboot} {
		n, why := g.apply(in)
		offered += n
		if why != "" {
			never = why
		}
	}
	if offered == 0 {
		p.noAction.SetText("You can view this unit but not act on it: " + never + ".")
		p.noAction.Show()
	} else {
		p.noAction.Hide()
	}
}

// streaming reports whether the data layer follows the backend's event stream (or is resuming it
// from its last cursor, losing nothing): commands' transitions then arrive in the cache.
func (p *Page) streaming() bool { return p.svc.Status().Updates != session.UpdatesPolling }

// onChange redraws what a change touches, once per change: the unit's fields and buttons when
// its record or FleetDesk's status changed, the history when its command log changed (a command
// sent here, or a transition the data layer announced: it follows the commands it sent, through
// the event stream or, without one, by reading them). The commands in flight follow the history.
// With the stream the history is read from the cache it keeps current; without, from the
// backend, as commands sent from elsewhere reach the cache no other way.
func (p *Page) onChange(ch session.Change) {
	unit := ch.All || slices.Contains(ch.Devices, p.id)
	if unit {
		p.dev, p.found = p.svc.Fleet().Get(p.id)
	}
	if ch.All || slices.Contains(ch.Commands, p.id) {
		p.history.load(!p.streaming(), p.last.updated)
	}
	if unit || ch.Status {
		p.refresh()
	}
}

// onTap is a tap on a live command or Reboot: live commands go at once, Reboot asks first. The
// data layer judges the command when it is sent (a unit that went offline since the button was
// drawn is refused there, and the card says why).
func (p *Page) onTap(act fleet.Action) {
	req := fleet.CommandRequest{DeviceID: p.id, Action: act}
	if act != fleet.ActionReboot {
		p.last.send(req)
		return
	}
	d := dialog.NewConfirm("Reboot "+p.dev.ID+"?", rebootQuestion(p.dev), func(ok bool) {
		if ok {
			p.last.send(req)
		}
	}, p.opts.Window)
	d.SetConfirmText("Reboot")
	d.SetDismissText("Cancel")
	d.SetConfirmImportance(widget.WarningImportance)
	kit.ShowDialog(p.opts.Window, d)
}
