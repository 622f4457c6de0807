// Package manage is the Device Manage page: the status fields that confirm which unit the dealer
// is acting on, the guide's action groups (live commands Start and Stop; firmware actions FW
// Update and Force OTA; Reboot), each asked of app/scope before it is offered, the progress of the
// command just sent and the unit's command history.
//
// The page never lies about a unit: every field comes from the session's current snapshot and is
// redrawn when a sync changes it, and an action the unit or the app cannot take right now is shown
// disabled with the reason rather than sent to expire.
package manage

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// Options wires the page into the shell.
type Options struct {
	// Window hosts the confirmation and release dialogs.
	Window fyne.Window
	// OnShowOnMap, when set, shows the unit on the Map page; without it there is no map link.
	OnShowOnMap func(deviceID string)
	// OnBack returns to the console; without it there is no back button.
	OnBack func()
	// Poll is how often a sent command's progress is fetched; 0 means 1 s.
	Poll time.Duration
	// Tick is how often times and health are re-evaluated on screen; 0 means 5 s.
	Tick time.Duration
}

// historyRefresher is what syncer.Session offers beyond session.Service: the unit's history as
// the backend has it (commands sent from elsewhere too). Used when present.
type historyRefresher interface {
	RefreshCommandHistory(ctx context.Context, deviceID string) ([]fleet.Command, error)
}

// group is one of the guide's action groups.
type group struct {
	title   string
	actions []fleet.Action
	card    *widget.Card
	reason  *widget.Label
}

// Page is one unit's Manage page.
type Page struct {
	svc  session.Service
	id   string
	opts Options

	dev   fleet.Device
	found bool

	ctx    context.Context
	cancel context.CancelFunc

	title    *widget.Label
	dot      *canvas.Circle
	health   *widget.Label
	fields   map[string]*widget.Label
	mapLink  *widget.Button
	groups   []*group
	buttons  map[fleet.Action]*widget.Button
	noAction *widget.Label
	sending  bool

	current  fleet.Command // the command sent from this page, if any
	progress *widget.Label
	progErr  *widget.Label
	progCard *widget.Card
	history  []fleet.Command
	histList *widget.List
	histNote *widget.Label

	content   fyne.CanvasObject
	cancelSub func()
	stopTick  func()

	lastReleaseDialog *releaseDialog

	// onProgress, for tests, is called after the command's status is redrawn.
	onProgress func(fleet.Command)
}

// fieldOrder is the status section, top to bottom.
var fieldOrder = []string{"Device ID", "Name", "Customer", "Model (engine)", "Console", "Transport",
	"Firmware", "Connection", "Run state", "Alarms", "Location", "Dealer"}

// New builds the Manage page of one unit; Close stops its updates and polling.
func New(svc session.Service, deviceID string, opts Options) *Page {
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Tick <= 0 {
		opts.Tick = 5 * time.Second
	}
	p := &Page{svc: svc, id: deviceID, opts: opts, fields: map[string]*widget.Label{},
		buttons: map[fleet.Action]*widget.Button{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.dev, p.found = svc.Fleet().Get(deviceID)
	p.build()
	p.refresh()
	p.loadHistory()
	p.cancelSub = kit.Subscribe(svc, p.onChange)
	p.stopTick = kit.Ticker(opts.Tick, p.refresh)
	return p
}

// Content is the page's canvas object.
func (p *Page) Content() fyne.CanvasObject { return p.content }

// DeviceID is the unit this page manages.
func (p *Page) DeviceID() string { return p.id }

// Close stops live updates and any progress polling.
func (p *Page) Close() {
	p.cancel()
	p.cancelSub()
	p.stopTick()
}

func (p *Page) build() {
	p.title = widget.NewLabel(p.id)
	p.title.TextStyle.Bold = true
	p.title.SizeName = theme.SizeNameSubHeadingText
	p.dot = kit.NewDot(fleet.HealthLost)
	p.health = widget.NewLabel("")
	head := container.NewHBox()
	if p.opts.OnBack != nil {
		head.Add(widget.NewButtonWithIcon("Console", theme.NavigateBackIcon(), p.opts.OnBack))
	}
	head.Add(p.title)
	head.Add(container.NewCenter(container.NewGridWrap(fyne.NewSize(kit.DotSize, kit.DotSize), p.dot)))
	head.Add(p.health)

	form := container.New(layout.NewFormLayout())
	for _, k := range fieldOrder {
		key := widget.NewLabel(k)
		key.TextStyle.Bold = true
		val := widget.NewLabel("")
		val.Wrapping = fyne.TextWrapWord
		val.Selectable = true
		p.fields[k] = val
		var cell fyne.CanvasObject = val
		if k == "Location" && p.opts.OnShowOnMap != nil {
			p.mapLink = widget.NewButtonWithIcon("Show on map", theme.SearchIcon(), func() { p.opts.OnShowOnMap(p.id) })
			p.mapLink.Importance = widget.LowImportance
			cell = container.NewBorder(nil, nil, nil, p.mapLink, val)
		}
		form.Add(key)
		form.Add(cell)
	}
	status := widget.NewCard("Status", "Confirm this is the unit you mean to act on", form)

	p.groups = []*group{
		{title: "Live commands", actions: []fleet.Action{fleet.ActionStart, fleet.ActionStop}},
		{title: "Firmware", actions: []fleet.Action{fleet.ActionFWUpdate, fleet.ActionForceOTA}},
		{title: "Reboot", actions: []fleet.Action{fleet.ActionReboot}},
	}
	actions := container.NewVBox()
	for _, g := range p.groups {
		row := container.NewHBox()
		for _, act := range g.actions {
			act := act
			label := act.DisplayName()
			if act.NeedsRelease() || act == fleet.ActionReboot {
				label += "…" // asks before it sends
			}
			b := widget.NewButton(label, func() { p.onAction(act) })
			if act == fleet.ActionReboot {
				b.Importance = widget.WarningImportance
			}
			p.buttons[act] = b
			row.Add(b)
		}
		g.reason = widget.NewLabel("")
		g.reason.Wrapping = fyne.TextWrapWord
		g.reason.Importance = widget.WarningImportance
		g.card = widget.NewCard(g.title, groupHint(g.title), container.NewVBox(row, g.reason))
		actions.Add(g.card)
	}
	p.noAction = widget.NewLabel("")
	p.noAction.Wrapping = fyne.TextWrapWord
	p.noAction.Importance = widget.WarningImportance
	actions.Add(p.noAction)

	p.progress = widget.NewLabel("")
	p.progress.Wrapping = fyne.TextWrapWord
	p.progErr = widget.NewLabel("")
	p.progErr.Wrapping = fyne.TextWrapWord
	p.progErr.Importance = widget.DangerImportance
	p.progCard = widget.NewCard("Last command", "", container.NewVBox(p.progress, p.progErr))
	p.progCard.Hide()
	actions.Add(p.progCard)

	p.histList = widget.NewList(func() int { return len(p.history) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("2026-01-02 15:04:05  FW Update 9.99.99  delivered")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(p.history) {
				o.(*widget.Label).SetText(historyLine(p.history[i]))
			}
		})
	p.histNote = widget.NewLabel("")
	// The list scrolls inside a fixed height; the card keeps the column's width.
	listHeight := canvas.NewRectangle(color.Transparent)
	listHeight.SetMinSize(fyne.NewSize(0, 220))
	hist := widget.NewCard("Command history", "", container.NewBorder(p.histNote, nil, nil, nil,
		container.NewStack(listHeight, p.histList)))

	body := container.NewGridWithColumns(2, status, container.NewVBox(actions, hist))
	p.content = container.NewBorder(head, nil, nil, nil, container.NewVScroll(body))
}

func groupHint(title string) string {
	switch title {
	case "Live commands":
		return "Sent to the unit at once"
	case "Firmware":
		return "Only releases built for this unit's console, engine and transport are offered"
	case "Reboot":
		return "Use carefully on remote units"
	}
	return ""
}

// refresh redraws the fields and re-asks scope about every action.
func (p *Page) refresh() {
	now := p.svc.Now()
	if !p.found {
		p.title.SetText(p.id)
		p.health.SetText("not in your fleet")
		for _, g := range p.groups {
			g.card.Hide()
		}
		for _, b := range p.buttons {
			b.Hide()
		}
		p.noAction.SetText(p.id + " is not in your fleet (it may be outside your dealer scope, or not synced yet).")
		p.noAction.Show()
		return
	}
	d := p.dev
	h := d.HealthAt(now)
	title := d.ID
	if d.Name != "" {
		title += " — " + d.Name
	}
	p.title.SetText(title)
	kit.SetDot(p.dot, h)
	p.health.SetText(kit.HealthLabel(h))

	set := func(k, v string) { p.fields[k].SetText(v) }
	set("Device ID", d.ID)
	set("Name", orNone(d.Name))
	set("Customer", orNone(d.CustomerEmail))
	set("Model (engine)", d.Model.DisplayName())
	set("Console", ConsoleName(d))
	set("Transport", d.Transport.DisplayName())
	set("Firmware", orNone(d.Firmware))
	conn := "Offline"
	if d.Online {
		conn = "Online"
	}
	connText := fmt.Sprintf("%s · %s · last seen %s", conn, kit.HealthLabel(h), fleet.Ago(now, d.LastSeen))
	if !p.svc.Status().Online {
		// The cache only knows what the unit said before FleetDesk lost the backend.
		connText += " (as of the last sync)"
	}
	set("Connection", connText)
	set("Run state", runState(d.RunState))
	if len(d.Alarms) == 0 {
		set("Alarms", "None")
		p.fields["Alarms"].Importance = widget.MediumImportance
	} else {
		set("Alarms", strings.Join(d.Alarms, "; "))
		p.fields["Alarms"].Importance = widget.DangerImportance
	}
	p.fields["Alarms"].Refresh()
	if d.GPS == nil {
		set("Location", "No position reported")
		if p.mapLink != nil {
			p.mapLink.Hide()
		}
	} else {
		set("Location", fmt.Sprintf("%.5f, %.5f (fix %s)", d.GPS.Lat, d.GPS.Lon, fleet.Ago(now, d.GPS.FixTime)))
		if p.mapLink != nil {
			p.mapLink.Show()
		}
	}
	set("Dealer", orNone(d.Dealer))
	p.refreshActions(now)
}

// refreshActions applies the scope policy: an action the actor may never take is not offered; one
// that cannot go now is disabled, and its group says why.
func (p *Page) refreshActions(now time.Time) {
	actor := p.svc.Actor()
	online := p.svc.Status().Online
	offered := 0
	var never string
	for _, g := range p.groups {
		shown := 0
		var why []string
		for _, act := range g.actions {
			b := p.buttons[act]
			if dec := scope.CanCommand(actor, p.dev, act); !dec.Allowed {
				b.Hide()
				never = dec.Reason
				continue
			}
			b.Show()
			shown++
			dec := scope.CanCommandNow(actor, p.dev, act, online, now)
			switch {
			case !dec.Allowed:
				b.Disable()
				if !slices.Contains(why, dec.Reason) {
					why = append(why, dec.Reason)
				}
			case p.sending:
				b.Disable()
			default:
				b.Enable()
			}
		}
		offered += shown
		if shown == 0 {
			g.card.Hide()
			continue
		}
		g.card.Show()
		if len(why) == 0 {
			g.reason.SetText("")
			g.reason.Hide()
		} else {
			g.reason.SetText(strings.Join(why, "\n"))
			g.reason.Show()
		}
	}
	if offered == 0 {
		p.noAction.SetText("You can view this unit but not act on it: " + never + ".")
		p.noAction.Show()
	} else {
		p.noAction.Hide()
	}
}

// Offered reports whether the action is on the page at all, and Enabled whether it can be tapped;
// Reason is what the page says about the action's group. Used by the shell's tests and by tests.
func (p *Page) Offered(act fleet.Action) bool { b := p.buttons[act]; return b != nil && b.Visible() }

// Enabled reports whether the action's button can be tapped.
func (p *Page) Enabled(act fleet.Action) bool { return p.Offered(act) && !p.buttons[act].Disabled() }

// Reason is the text shown under the action's group ("" when none).
func (p *Page) Reason(act fleet.Action) string {
	for _, g := range p.groups {
		if slices.Contains(g.actions, act) && g.reason.Visible() {
			return g.reason.Text
		}
	}
	return ""
}

// Button is the action's button, for tests that tap it.
func (p *Page) Button(act fleet.Action) *widget.Button { return p.buttons[act] }

func (p *Page) onChange(ch session.Change) {
	if ch.All || slices.Contains(ch.Devices, p.id) {
		p.dev, p.found = p.svc.Fleet().Get(p.id)
		p.loadHistory()
	}
	if ch.All || ch.Status || slices.Contains(ch.Devices, p.id) {
		p.refresh()
	}
}

// onAction is a tap: live commands go at once, firmware actions pick a release, Reboot asks.
func (p *Page) onAction(act fleet.Action) {
	// Ask again at tap time: the unit may have gone offline since the button was drawn.
	if dec := scope.CanCommandNow(p.svc.Actor(), p.dev, act, p.svc.Status().Online, p.svc.Now()); !dec.Allowed {
		p.refresh()
		return
	}
	switch {
	case act.NeedsRelease():
		p.pickRelease(act)
	case act == fleet.ActionReboot:
		msg := RebootQuestion(p.dev)
		d := dialog.NewConfirm("Reboot "+p.dev.ID+"?", msg, func(ok bool) {
			if ok {
				p.send(act, nil)
			}
		}, p.opts.Window)
		d.SetConfirmText("Reboot")
		d.SetDismissText("Cancel")
		d.SetConfirmImportance(widget.WarningImportance)
		kit.ShowDialog(p.opts.Window, d)
	default:
		p.send(act, nil)
	}
}

// RebootQuestion is the reboot confirmation, naming the unit and its customer.
func RebootQuestion(d fleet.Device) string {
	who := d.ID
	if d.CustomerEmail != "" {
		who += " at " + d.CustomerEmail
	}
	return "Reboot " + who + "? The unit will be offline for a few minutes."
}

// pickRelease loads the console's releases off the UI goroutine and offers the matching ones.
func (p *Page) pickRelease(act fleet.Action) {
	d := p.dev
	win := p.opts.Window
	console := fleet.ConsoleFor(d.Model)
	kit.Go(func() releasesResult {
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		defer cancel()
		list, err := p.svc.Releases(ctx, console)
		return releasesResult{list, err}
	}, func(r releasesResult) {
		if r.err != nil {
			kit.ShowDialog(win, dialog.NewError(fmt.Errorf("could not load the firmware releases: %w", r.err), win))
			return
		}
		match := rollout.ReleasesFor(d, r.list)
		if len(match) == 0 {
			kit.ShowDialog(win, dialog.NewInformation("No matching firmware",
				fmt.Sprintf("No firmware release is built for %s (%s).", fleet.VariantOf(d), console.DisplayName()), win))
			return
		}
		p.showReleaseDialog(act, d, match)
	})
}

type releasesResult struct {
	list []rollout.Release
	err  error
}

func (p *Page) showReleaseDialog(act fleet.Action, d fleet.Device, match []rollout.Release) {
	win := p.opts.Window
	opts := make([]string, len(match))
	for i, r := range match {
		opts[i] = ReleaseLabel(r, d)
	}
	chosen := -1
	notes := widget.NewLabel("")
	notes.Wrapping = fyne.TextWrapWord
	radio := widget.NewRadioGroup(opts, func(s string) {
		chosen = slices.Index(opts, s)
		if chosen >= 0 {
			notes.SetText(match[chosen].Notes)
		}
	})
	// Preselect the newest release the unit is not running, so Send always has a choice behind it.
	pre := 0
	for i, r := range match {
		if r.Version != d.Firmware {
			pre = i
			break
		}
	}
	radio.SetSelected(opts[pre])
	radio.Required = true
	intro := widget.NewLabel(fmt.Sprintf("%s %s at %s.\nReleases built for %s on the %s:",
		act.DisplayName(), d.ID, orNone(d.CustomerEmail), fleet.VariantOf(d), fleet.ConsoleFor(d.Model).DisplayName()))
	intro.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(intro, radio, notes)
	dlg := dialog.NewCustomConfirm(act.DisplayName()+" "+d.ID, "Send "+act.DisplayName(), "Cancel", content,
		func(ok bool) {
			if ok && chosen >= 0 {
				rel := match[chosen]
				p.send(act, &rel)
			}
		}, win)
	dlg.Resize(fyne.NewSize(520, 360))
	p.lastReleaseDialog = &releaseDialog{radio: radio, options: opts, dialog: dlg}
	kit.ShowDialog(win, dlg)
}

// releaseDialog is kept for tests: the picker last shown.
type releaseDialog struct {
	radio   *widget.RadioGroup
	options []string
	dialog  *dialog.ConfirmDialog
}

// ReleaseLabel is one line of the release picker.
func ReleaseLabel(r rollout.Release, d fleet.Device) string {
	s := r.Version
	if r.Version == d.Firmware {
		s += " (installed)"
	}
	return s
}

// send posts the command off the UI goroutine, then follows its progress.
func (p *Page) send(act fleet.Action, rel *rollout.Release) {
	relID := ""
	if rel != nil {
		// The last line of defence: a release for another variant must not leave this page.
		if rel.Variant() != fleet.VariantOf(p.dev) {
			p.showProgressError(act, fmt.Errorf("release %s is built for %s, not for %s", rel.Version, rel.Variant(), fleet.VariantOf(p.dev)))
			return
		}
		relID = rel.ID
	}
	p.sending = true
	p.refreshActions(p.svc.Now())
	p.progCard.Show()
	p.progCard.SetTitle("Last command: " + act.DisplayName())
	p.progress.SetText("Sending…")
	p.progErr.SetText("")
	id := p.id
	kit.Go(func() sendResult {
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		defer cancel()
		cmd, err := p.svc.SendCommand(ctx, id, act, relID)
		return sendResult{cmd, err}
	}, func(r sendResult) {
		p.sending = false
		p.refresh()
		if r.err != nil {
			p.showProgressError(act, r.err)
			return
		}
		p.showProgress(r.cmd)
		p.loadHistory()
		if !r.cmd.Status.Final() {
			go p.poll(r.cmd)
		}
	})
}

type sendResult struct {
	cmd fleet.Command
	err error
}

func (p *Page) showProgressError(act fleet.Action, err error) {
	p.progCard.Show()
	p.progCard.SetTitle(act.DisplayName())
	p.progress.SetText("Not sent.")
	p.progErr.SetText(err.Error())
	if p.onProgress != nil {
		p.onProgress(fleet.Command{Action: act, Status: fleet.CommandFailed, Error: err.Error()})
	}
}

// poll follows one command until it is final or the page closes. It runs on its own goroutine
// and hands every answer to the UI goroutine.
func (p *Page) poll(cmd fleet.Command) {
	t := time.NewTicker(p.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
		got, err := p.svc.Command(ctx, cmd.ID)
		cancel()
		if p.ctx.Err() != nil {
			return
		}
		if err != nil {
			kit.Do(func() { p.progErr.SetText("Could not check progress (will retry): " + err.Error()) })
			continue
		}
		kit.Do(func() {
			p.showProgress(got)
			if got.Status.Final() {
				p.loadHistory()
				p.svc.SyncNow() // the unit's new run state or firmware comes with the next sync
			}
		})
		if got.Status.Final() {
			return
		}
	}
}

// ProgressSteps renders a command's way so far: "queued → delivered → done".
func ProgressSteps(s fleet.CommandStatus) string {
	steps := []string{"queued", "delivered", "done / failed / expired"}
	switch s {
	case fleet.CommandQueued:
		steps[0] = "[queued]"
	case fleet.CommandDelivered:
		steps[0], steps[1] = "queued ✓", "[delivered]"
	case fleet.CommandDone, fleet.CommandFailed, fleet.CommandExpired:
		steps[0], steps[1], steps[2] = "queued ✓", "delivered ✓", "["+string(s)+"]"
		if s == fleet.CommandExpired {
			steps[1] = "delivered ✗"
		}
	}
	return strings.Join(steps, "  →  ")
}

func (p *Page) showProgress(cmd fleet.Command) {
	p.current = cmd
	p.progCard.Show()
	title := "Last command: " + cmd.Action.DisplayName()
	if cmd.ReleaseID != "" {
		title += " (" + cmd.ReleaseID + ")"
	}
	p.progCard.SetTitle(title)
	p.progCard.SetSubTitle("sent " + cmd.CreatedAt.Local().Format("15:04:05"))
	p.progress.SetText(ProgressSteps(cmd.Status))
	switch {
	case cmd.Status == fleet.CommandFailed || cmd.Status == fleet.CommandExpired:
		why := cmd.Error
		if why == "" {
			why = "the backend gave no reason"
		}
		p.progErr.SetText(fmt.Sprintf("%s %s: %s", cmd.Action.DisplayName(), cmd.Status, why))
	default:
		p.progErr.SetText("")
	}
	if p.onProgress != nil {
		p.onProgress(cmd)
	}
}

// ProgressText is the progress line shown, for tests.
func (p *Page) ProgressText() string { return p.progress.Text + "\n" + p.progErr.Text }

// loadHistory reads the unit's command history off the UI goroutine: from the backend when that
// is possible, else from the cache.
func (p *Page) loadHistory() {
	id := p.id
	online := p.svc.Status().Online
	kit.Go(func() histResult {
		if hr, ok := p.svc.(historyRefresher); ok && online {
			ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
			defer cancel()
			if list, err := hr.RefreshCommandHistory(ctx, id); err == nil {
				return histResult{list: list}
			}
		}
		list, err := p.svc.CommandHistory(id)
		return histResult{list, err, true}
	}, func(r histResult) {
		switch {
		case r.err != nil:
			p.histNote.SetText("Could not read the command history: " + r.err.Error())
		case len(r.list) == 0:
			p.histNote.SetText("No commands sent to this unit yet.")
		case r.cached && !online:
			p.histNote.SetText("From the offline cache.")
		default:
			p.histNote.SetText("")
		}
		if p.histNote.Text == "" {
			p.histNote.Hide()
		} else {
			p.histNote.Show()
		}
		p.history = r.list
		p.histList.Refresh()
	})
}

type histResult struct {
	list   []fleet.Command
	err    error
	cached bool
}

// History is the history shown, newest first.
func (p *Page) History() []fleet.Command { return p.history }

func historyLine(c fleet.Command) string {
	s := c.CreatedAt.Local().Format("2006-01-02 15:04:05") + "  " + c.Action.DisplayName()
	if c.ReleaseID != "" {
		s += " " + c.ReleaseID
	}
	s += "  " + string(c.Status)
	if c.Error != "" {
		s += ": " + c.Error
	}
	return s
}

// ConsoleName is the firmware console that serves the unit.
func ConsoleName(d fleet.Device) string {
	c := d.Console
	if c == "" {
		c = fleet.ConsoleFor(d.Model)
	}
	return c.DisplayName()
}

func runState(r fleet.RunState) string {
	if r == "" {
		return "Unknown"
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
