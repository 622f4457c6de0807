// Package rollouts is the Firmware Rollouts page: the three firmware consoles of the dealer guide
// (X Pro, Unified and Ultra firmware console), each a wizard over the Safe OTA Procedure of
// app/rollout, the live monitoring of a running rollout, and the past rollouts with their reports
// (read from the cache, so they are there offline too).
//
// The page holds no rule of its own: every choice goes through rollout.Procedure, and what the
// procedure refuses is shown as its reason. The wizard is one small part per step (steps_*.go)
// over the procedure value. Background work goes through the page's one kit.Runner.
package rollouts

import (
	"context"
	"fmt"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// Options tune the page; the zero value is what the app uses.
type Options struct {
	// OnManage opens a unit's Manage page (a row of the per-unit table was chosen).
	OnManage func(deviceID string)
	// ShowInConsole opens the Fleet Console filtered to these units, to watch their version and
	// online state (the guide's "monitor versions and online return in Fleet Console"). The
	// button is not offered when nil.
	ShowInConsole func(deviceIDs []string)
	// UI runs a function on the UI goroutine; nil is the app's (kit.FyneDo). Tests pass a loop.
	UI kit.UI
	// Poll is how often a running validation or rollout is re-read and the clock advanced;
	// default 5 s.
	Poll time.Duration
	// Threshold is the failure threshold the deploy step starts with; default 2 units or 5%.
	Threshold rollout.Threshold
	// Notify sends a desktop notification; default fyne.CurrentApp().SendNotification.
	Notify func(*fyne.Notification)
}

// Page is the Firmware Rollouts page.
type Page struct {
	svc  session.Session
	opts Options
	run  *kit.Runner

	root     *fyne.Container
	home     fyne.CanvasObject
	consoles map[fleet.Console]*widget.Button
	unitsOf  map[fleet.Console]*widget.Label
	denied   *widget.Label
	past     *widget.List
	pastPane *container.Split // the list and a report; hidden while there is nothing to list
	pastRows []rollout.Rollout
	pastNote *widget.Label
	report   *widget.Label
	wizard   *wizard
	loading  bool
}

// New builds the page over the data layer.
func New(svc session.Session, opts Options) *Page {
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.Threshold == (rollout.Threshold{}) {
		opts.Threshold = rollout.DefaultThreshold
	}
	if opts.Notify == nil {
		opts.Notify = func(n *fyne.Notification) {
			if a := fyne.CurrentApp(); a != nil {
				a.SendNotification(n)
			}
		}
	}
	p := &Page{svc: svc, opts: opts, run: kit.NewRunner(opts.UI),
		consoles: map[fleet.Console]*widget.Button{}, unitsOf: map[fleet.Console]*widget.Label{}}
	p.home = p.buildHome()
	p.root = container.NewStack(p.home)
	p.run.Subscribe(svc, p.onChange)
	p.run.Ticker(opts.Poll, p.poll)
	p.refreshHome()
	p.loadPast()
	return p
}

// Content is the page's canvas object.
func (p *Page) Content() fyne.CanvasObject { return p.root }

// Close stops the page's background work; it waits for calls in flight to notice.
func (p *Page) Close() { p.run.Close() }

func (p *Page) buildHome() fyne.CanvasObject {
	intro := wrapped("Dealers deploy firmware to my_fleet only, one firmware console at a time, following the " +
		"Safe OTA Procedure: pick the firmware console of the units, the engine and transport variant, and the " +
		"release; validate it on one test device; then deploy to my_fleet and watch the units come back on the " +
		"new version.")
	p.denied = wrapped("")
	p.denied.Hide()
	cards := container.NewGridWithColumns(3)
	for _, c := range fleet.AllConsoles {
		b := widget.NewButton(c.DisplayName(), func() { p.openConsole(c) })
		b.Importance = widget.HighImportance
		p.consoles[c] = b
		models := ""
		for i, m := range fleet.ModelsOf(c) {
			if i > 0 {
				models += ", "
			}
			models += m.DisplayName()
		}
		n := widget.NewLabel("")
		p.unitsOf[c] = n
		cards.Add(container.NewVBox(b, widget.NewLabel("For "+models), n))
	}
	p.pastNote = widget.NewLabel("Loading past rollouts…")
	p.past = widget.NewList(func() int { return len(p.pastRows) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(pastLine(p.pastRows[i])) })
	p.past.OnSelected = p.openPast
	p.report = wrapped("Choose a past rollout to read its report.")
	p.pastPane = container.NewHSplit(p.past, container.NewVScroll(p.report))
	p.pastPane.SetOffset(0.55)
	p.pastPane.Hide()
	top := container.NewVBox(bold("Firmware Rollouts"), intro, p.denied, cards, widget.NewSeparator(),
		bold("Past rollouts"), p.pastNote)
	return container.NewBorder(top, nil, nil, nil, p.pastPane)
}

// refreshHome updates what the console entries say about the fleet and about the account.
func (p *Page) refreshHome() {
	dec := scope.CanDeployMyFleet(p.svc.Actor())
	count := map[fleet.Console]int{}
	for _, d := range p.svc.Fleet().Devices() {
		count[fleet.ConsoleFor(d.Model)]++
	}
	for _, c := range fleet.AllConsoles {
		p.unitsOf[c].SetText(fmt.Sprintf("%s units in your fleet", kit.Thousands(count[c])))
		setEnabled(p.consoles[c], dec.Allowed)
	}
	if dec.Allowed {
		p.denied.Hide()
	} else {
		p.denied.SetText("Firmware Rollouts are not available: " + dec.Message)
		p.denied.Show()
	}
}

func pastLine(ro rollout.Rollout) string {
	rep := rollout.ReportOf(ro)
	target := "my_fleet"
	if id := ro.Target.DeviceID(); id != "" {
		target = "test " + id
	}
	return fmt.Sprintf("%s  %s → %s  %s  %d/%d confirmed", ro.CreatedAt.Local().Format("2006-01-02 15:04"),
		rep.Label, target, ro.Status, len(rep.Confirmed), rep.Total)
}

// loadPast reads the dealer's rollouts (the cache answers when offline).
func (p *Page) loadPast() {
	if p.loading {
		return
	}
	p.loading = true
	type answer struct {
		list []rollout.Rollout
		err  error
	}
	kit.Run(p.run, func(ctx context.Context) answer {
		l, err := p.svc.ListRollouts(ctx)
		return answer{l, err}
	}, func(a answer) {
		p.loading = false
		if a.err != nil {
			p.pastNote.SetText("Past rollouts could not be read. " + words.Text(a.err) + ".")
			return
		}
		sort.SliceStable(a.list, func(i, j int) bool { return a.list[i].CreatedAt.After(a.list[j].CreatedAt) })
		p.pastRows = a.list
		if len(a.list) == 0 {
			p.pastNote.SetText("No rollouts yet. A rollout starts from one of the firmware consoles above.")
			p.pastPane.Hide()
		} else {
			p.pastPane.Show()
			p.pastNote.SetText(fmt.Sprintf("%d rollouts, newest first. A running one can be opened to monitor it.", len(a.list)))
		}
		p.past.UnselectAll()
		p.past.Refresh()
	})
}

// openPast shows the report of a past rollout; a running my_fleet rollout opens its monitoring.
func (p *Page) openPast(i widget.ListItemID) {
	if i < 0 || i >= len(p.pastRows) {
		return
	}
	ro := p.pastRows[i]
	if ro.Target == rollout.TargetMyFleet && (ro.Status == rollout.StatusRunning || ro.Status == rollout.StatusPaused) {
		p.past.UnselectAll()
		p.showWizard(newWizard(p, ro.Console, rollout.Attach(p.svc.Actor(), ro)))
		return
	}
	rep := rollout.ReportOf(ro)
	if ro.Target == rollout.TargetMyFleet {
		rep = rep.WithFleet(rollout.TestDeviceOf(ro, p.pastRows), p.svc.Fleet())
	}
	p.report.SetText(rep.Text())
}

// openConsole starts the wizard of one firmware console.
func (p *Page) openConsole(c fleet.Console) {
	proc, _, err := rollout.New(p.svc.Actor()).Apply(rollout.ChooseConsole{Console: c})
	if err != nil {
		p.denied.SetText(err.Error())
		p.denied.Show()
		return
	}
	p.showWizard(newWizard(p, c, proc))
}

func (p *Page) showWizard(w *wizard) {
	p.wizard = w
	p.root.Objects = []fyne.CanvasObject{w.content}
	p.root.Refresh()
	w.render()
	w.refresh()
}

// backHome leaves the wizard; a running deployment keeps running on the backend and is listed
// with the past rollouts, from where it can be opened again.
func (p *Page) backHome() {
	p.wizard = nil
	p.root.Objects = []fyne.CanvasObject{p.home}
	p.root.Refresh()
	p.refreshHome()
	p.loadPast()
}

func (p *Page) onChange(c session.Change) {
	if p.wizard != nil {
		if c.Rollouts || c.All || len(c.Devices) > 0 || c.Status {
			p.wizard.refresh()
		}
		return
	}
	if c.All || len(c.Devices) > 0 || c.Status {
		p.refreshHome()
	}
	if c.Rollouts {
		p.loadPast()
	}
}

// poll moves a running validation or rollout on: its clock (the procedure's timeouts) and,
// without the event stream, the fleet and the rollout, which the data layer otherwise follows as
// they change (every change reaches the page through onChange).
func (p *Page) poll() {
	if p.wizard != nil && p.wizard.live() {
		if p.svc.Status().Updates == session.UpdatesPolling {
			p.svc.SyncNow()
		}
		p.wizard.refresh()
	}
}

func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func bold(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}
