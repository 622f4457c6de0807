package rollouts

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// wizard is one firmware console's walk through the Safe OTA Procedure. It keeps the procedure
// value and shows the part of the step it is at; the parts only ever produce procedure events.
type wizard struct {
	p       *Page
	console fleet.Console
	proc    rollout.Procedure

	content fyne.CanvasObject
	stepLbl *widget.Label
	offLbl  *widget.Label // why backend actions are off, when offline
	errLbl  *widget.Label
	body    *fyne.Container
	shown   rollout.Step
	editing rollout.Step // a step revisited by "Change …" before the procedure moves
	view    stepView

	cat      *catalogue // the console's releases, read once
	fetching bool
}

// stepView is the part of the wizard one step shows. It is built when its step is entered, with
// all its widgets, and update redraws it from the procedure and the synced fleet.
type stepView interface {
	object() fyne.CanvasObject
	update()
}

// stepInfo numbers and names the steps the way the guide walks them, and builds each one's part.
func stepInfo(s rollout.Step) (number int, title string, build func(*wizard) stepView) {
	switch s {
	case rollout.StepVariant:
		return 1, "Engine and transport variant", newVariantStep
	case rollout.StepRelease:
		return 2, "Release", newReleaseStep
	case rollout.StepTestDevice:
		return 3, "Validate on a test device", newTestStep
	case rollout.StepValidating:
		return 3, "Validating on the test device", newValidatingStep
	case rollout.StepValidationFailed:
		return 3, "Validation failed", newFailedStep
	case rollout.StepReady:
		return 4, "Deploy to my_fleet", newDeployStep
	case rollout.StepMonitoring:
		return 5, "Monitor", newMonitorStep
	case rollout.StepDone:
		return 5, "Report", newMonitorStep
	}
	return 0, "", nil
}

func newWizard(p *Page, c fleet.Console, proc rollout.Procedure) *wizard {
	w := &wizard{p: p, console: c, proc: proc, cat: &catalogue{}}
	back := widget.NewButtonWithIcon("All firmware consoles", theme.NavigateBackIcon(), p.backHome)
	w.stepLbl = widget.NewLabel("")
	w.offLbl = wrapped("")
	w.offLbl.Importance = widget.WarningImportance
	w.offLbl.Hide()
	w.errLbl = wrapped("")
	w.errLbl.Importance = widget.DangerImportance
	w.errLbl.Hide()
	w.body = container.NewStack()
	head := container.NewVBox(container.NewHBox(back, bold(c.DisplayName()+" — Safe OTA Procedure")), w.stepLbl,
		w.offLbl, widget.NewSeparator())
	w.content = container.NewBorder(head, w.errLbl, nil, nil, w.body)
	return w
}

// live reports whether the wizard watches a deployment that the backend is running.
func (w *wizard) live() bool {
	s := w.proc.Step()
	return s == rollout.StepValidating || s == rollout.StepMonitoring
}

// offline says why actions that need the backend are off; "" when online. The choices made so
// far stay as they are.
func (w *wizard) offline() string {
	st := w.p.svc.Status()
	if st.Reachable {
		return ""
	}
	s := "Offline: deploying, pausing and cancelling need the fleet backend; your choices are kept"
	if st.UnreachableWhy != "" {
		s += " (" + st.UnreachableWhy + ")"
	}
	return s + "."
}

// apply feeds an event to the procedure, carries out its effects and redraws. A refusal is shown
// with its reason and changes nothing.
func (w *wizard) apply(ev rollout.Event) bool {
	next, effects, err := w.proc.Apply(ev)
	if err != nil {
		msg := err.Error()
		if uc := (*rollout.UnitsChangedError)(nil); errors.As(err, &uc) {
			msg = words.Text(err) // the counts and unit IDs read as a log line; the words say what to do
		}
		w.errLbl.SetText(msg)
		w.errLbl.Show()
		return false
	}
	w.proc = next
	w.errLbl.Hide()
	w.editing = ""
	for _, e := range effects {
		w.run(e)
	}
	w.render()
	return true
}

// run carries out one effect: backend calls off the UI goroutine, answers back as events.
func (w *wizard) run(e rollout.Effect) {
	svc := w.p.svc
	type answer struct {
		ro  rollout.Rollout
		err error
	}
	call := func(do func(ctx context.Context) (rollout.Rollout, error), answered func(answer) rollout.Event) {
		kit.Run(w.p.run, func(ctx context.Context) answer {
			ro, err := do(ctx)
			return answer{ro, err}
		}, func(a answer) {
			// The data layer announces the rollout and asks for the sync itself when it changed.
			w.apply(answered(a))
		})
	}
	created := func(a answer) rollout.Event { return rollout.Created{Rollout: a.ro, Err: a.err} }
	controlled := func(a answer) rollout.Event { return rollout.Controlled{Rollout: a.ro, Err: a.err} }
	switch e := e.(type) {
	case rollout.CreateRollout:
		call(func(ctx context.Context) (rollout.Rollout, error) { return svc.CreateRollout(ctx, e.Request) }, created)
	case rollout.PauseRollout:
		call(func(ctx context.Context) (rollout.Rollout, error) { return svc.PauseRollout(ctx, e.ID) }, controlled)
	case rollout.ResumeRollout:
		call(func(ctx context.Context) (rollout.Rollout, error) { return svc.ResumeRollout(ctx, e.ID) }, controlled)
	case rollout.CancelRollout:
		call(func(ctx context.Context) (rollout.Rollout, error) { return svc.CancelRollout(ctx, e.ID) }, controlled)
	case rollout.Notify:
		w.p.opts.Notify(fyne.NewNotification(e.Title, e.Body))
	}
}

// refresh takes a fresh look: the running deployment is re-read from the backend, the synced
// fleet and the clock are fed to the procedure.
func (w *wizard) refresh() {
	var id string
	switch w.proc.Step() {
	case rollout.StepValidating:
		if ro, ok := w.proc.TestRollout(); ok {
			id = ro.ID
		}
	case rollout.StepMonitoring:
		if ro, ok := w.proc.Rollout(); ok {
			id = ro.ID
		}
	default:
		w.update()
		return
	}
	svc := w.p.svc
	if id == "" || w.fetching {
		w.apply(rollout.Observe{Fleet: svc.Fleet(), Now: svc.Now()})
		return
	}
	w.fetching = true
	type answer struct {
		ro  rollout.Rollout
		err error
	}
	kit.Run(w.p.run, func(ctx context.Context) answer {
		ro, err := svc.Rollout(ctx, id)
		return answer{ro, err}
	}, func(a answer) {
		w.fetching = false
		if a.err != nil {
			// Offline for a moment: the clock still runs, so a unit that never returns is still
			// found out.
			w.apply(rollout.Observe{Fleet: svc.Fleet(), Now: svc.Now()})
			return
		}
		w.apply(rollout.Observe{Rollout: &a.ro, Fleet: svc.Fleet(), Now: svc.Now()})
	})
}

func (w *wizard) current() rollout.Step {
	if w.editing != "" {
		return w.editing
	}
	return w.proc.Step()
}

// edit shows an earlier step again ("Change release") without changing the procedure yet.
func (w *wizard) edit(s rollout.Step) {
	w.editing = s
	w.render()
}

// render shows the current step, building its part when the step changed.
func (w *wizard) render() {
	s := w.current()
	number, title, build := stepInfo(s)
	if build == nil {
		return
	}
	if s != w.shown || w.view == nil {
		w.shown = s
		w.view = build(w)
		obj := w.view.object()
		if s != rollout.StepMonitoring && s != rollout.StepDone {
			// The monitor's table scrolls by itself; the other steps scroll as a whole.
			obj = container.NewVScroll(obj)
		}
		w.body.Objects = []fyne.CanvasObject{obj}
	}
	w.stepLbl.SetText(fmt.Sprintf("Step %d of 5 — %s", number, title))
	w.update()
}

// update redraws the shown step. Texts and visibility change: the step is laid out again (a
// widget's refresh alone does not resize the boxes around it).
func (w *wizard) update() {
	if why := w.offline(); why != "" {
		w.offLbl.SetText(why)
		w.offLbl.Show()
	} else {
		w.offLbl.Hide()
	}
	if w.view != nil {
		w.view.update()
	}
	w.body.Refresh()
}

// catalogue is the console's releases as the backend (or the cache, offline) lists them, read
// once per wizard, in the one release order of app/rollout.
type catalogue struct {
	list    []rollout.Release
	loaded  bool
	loading bool
	err     string
}

// load reads the releases unless they are there or on their way; done runs on the UI goroutine.
func (w *wizard) loadReleases(done func()) {
	c := w.cat
	if c.loaded || c.loading {
		return
	}
	c.loading = true
	type answer struct {
		list []rollout.Release
		err  error
	}
	kit.Run(w.p.run, func(ctx context.Context) answer {
		l, err := w.p.svc.Releases(ctx, w.console)
		return answer{l, err}
	}, func(a answer) {
		c.loading = false
		c.err = ""
		if a.err != nil {
			c.err = words.Text(a.err)
		} else {
			c.loaded = true
			rollout.SortReleases(a.list)
			c.list = a.list
		}
		done()
	})
}

// confirmButton asks for a second tap before doing something that cannot be undone.
type confirmButton struct {
	btn          *widget.Button
	label, again string
	armed        bool
}

func newConfirmButton(label, again string, do func()) *confirmButton {
	c := &confirmButton{label: label, again: again}
	c.btn = widget.NewButton(label, func() {
		if !c.armed {
			c.armed = true
			c.btn.SetText(again)
			c.btn.Importance = widget.DangerImportance
			c.btn.Refresh()
			return
		}
		c.armed = false
		c.btn.SetText(c.label)
		c.btn.Importance = widget.MediumImportance
		c.btn.Refresh()
		do()
	})
	return c
}
