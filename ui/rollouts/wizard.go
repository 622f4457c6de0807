package rollouts

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// wizard is one console's walk through the safe OTA procedure. It keeps the procedure value and
// renders whatever step it is at; the widgets only ever produce procedure events.
type wizard struct {
	p       *Page
	console fleet.Console
	proc    rollout.Procedure

	content fyne.CanvasObject
	stepLbl *widget.Label
	body    *fyne.Container
	errLbl  *widget.Label
	shown   rollout.Step
	editing rollout.Step // a step revisited by "Change …" before the procedure moves
	views   map[rollout.Step]stepView

	// variant step
	engine    *widget.RadioGroup
	transport *widget.RadioGroup
	variantN  *widget.Label
	variantGo *widget.Button
	// release step
	releases    []rollout.Release
	relLoaded   bool
	relErr      string
	relRadio    *widget.RadioGroup
	relNote     *widget.Label
	relGo       *widget.Button
	relByOption map[string]rollout.Release
	// test device step
	testSel     *widget.Select
	testIDs     map[string]string
	confirm     *widget.RadioGroup
	testPlan    *widget.Label
	testWhy     *whyList
	testGo      *widget.Button
	testIntro   *widget.Label
	testBackend *widget.Label
	// validating
	valIntro  *widget.Label
	valStatus *widget.Label
	valCancel *confirmButton
	// failed
	failLbl *widget.Label
	// ready
	readyIntro *widget.Label
	readyPlan  *widget.Label
	readyWhy   *whyList
	thrUnits   *widget.Entry
	thrPct     *widget.Entry
	deployGo   *widget.Button
	readyErr   *widget.Label
	// monitoring and done
	monHead   *widget.Label
	monBar    *widget.ProgressBar
	monCounts *widget.Label
	monErr    *widget.Label
	pauseBtn  *widget.Button
	resumeBtn *widget.Button
	cancelBtn *confirmButton
	table     *widget.Table
	units     []rollout.UnitProgress
	reportLbl *widget.Label

	monitorControls *fyne.Container
	monitorDone     *fyne.Container

	fetching bool
}

type stepView struct {
	number int
	title  string
	build  func() fyne.CanvasObject
	update func()
}

func newWizard(p *Page, c fleet.Console, proc rollout.Procedure) *wizard {
	w := &wizard{p: p, console: c, proc: proc}
	back := widget.NewButtonWithIcon("All consoles", theme.NavigateBackIcon(), p.backHome)
	title := widget.NewLabelWithStyle(c.DisplayName(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.stepLbl = widget.NewLabel("")
	w.errLbl = widget.NewLabel("")
	w.errLbl.Wrapping = fyne.TextWrapWord
	w.errLbl.Importance = widget.DangerImportance
	w.errLbl.Hide()
	w.body = container.NewStack()
	head := container.NewVBox(container.NewHBox(back, title), w.stepLbl, widget.NewSeparator())
	w.content = container.NewBorder(head, w.errLbl, nil, nil, w.body)
	w.views = map[rollout.Step]stepView{
		rollout.StepVariant:          {1, "Engine and transport variant", w.buildVariant, w.updateVariant},
		rollout.StepRelease:          {2, "Release", w.buildRelease, w.updateRelease},
		rollout.StepTestDevice:       {3, "Validate on a test device", w.buildTest, w.updateTest},
		rollout.StepValidating:       {3, "Validating on the test device", w.buildValidating, w.updateValidating},
		rollout.StepValidationFailed: {3, "Validation failed", w.buildFailed, w.updateFailed},
		rollout.StepReady:            {4, "Deploy to my_fleet", w.buildReady, w.updateReady},
		rollout.StepMonitoring:       {5, "Monitor", w.buildMonitor, w.updateMonitor},
		rollout.StepDone:             {5, "Report", w.buildMonitor, w.updateMonitor},
	}
	return w
}

// live reports whether the wizard watches a deployment that the backend is running.
func (w *wizard) live() bool {
	s := w.proc.Step()
	return s == rollout.StepValidating || s == rollout.StepMonitoring
}

// apply feeds an event to the procedure, carries out its effects and redraws. A refusal is shown
// with its reason and changes nothing.
func (w *wizard) apply(ev rollout.Event) bool {
	next, effects, err := w.proc.Apply(ev)
	if err != nil {
		w.errLbl.SetText(err.Error())
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
	control := func(call func(ctx context.Context, id string) (rollout.Rollout, error), id string) {
		background(w.p, func(ctx context.Context) answer {
			ro, err := call(ctx, id)
			return answer{ro, err}
		}, func(a answer) {
			w.apply(rollout.Controlled{Rollout: a.ro, Err: a.err})
			svc.SyncNow()
		})
	}
	switch e := e.(type) {
	case rollout.CreateRollout:
		req := e.Request
		background(w.p, func(ctx context.Context) answer {
			ro, err := svc.CreateRollout(ctx, req)
			return answer{ro, err}
		}, func(a answer) {
			w.apply(rollout.Created{Rollout: a.ro, Err: a.err})
			svc.SyncNow()
		})
	case rollout.PauseRollout:
		control(svc.PauseRollout, e.ID)
	case rollout.ResumeRollout:
		control(svc.ResumeRollout, e.ID)
	case rollout.CancelRollout:
		control(svc.CancelRollout, e.ID)
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
	background(w.p, func(ctx context.Context) answer {
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

// render shows the current step, building its view when the step changed.
func (w *wizard) render() {
	s := w.current()
	v, ok := w.views[s]
	if !ok {
		return
	}
	if s != w.shown || len(w.body.Objects) == 0 {
		w.shown = s
		view := v.build()
		if s != rollout.StepMonitoring && s != rollout.StepDone {
			// The monitor's table scrolls by itself; the other steps scroll as a whole.
			view = container.NewVScroll(view)
		}
		w.body.Objects = []fyne.CanvasObject{view}
	}
	w.stepLbl.SetText(fmt.Sprintf("Step %d of 5 — %s", v.number, v.title))
	v.update()
	// Texts and visibility changed: lay the step out again (a widget's refresh alone does not
	// resize the boxes around it).
	w.body.Refresh()
}

func (w *wizard) update() {
	if v, ok := w.views[w.current()]; ok && w.shown == w.current() {
		v.update()
		w.body.Refresh()
	}
}

func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// ---- step 1: engine and transport variant

func (w *wizard) buildVariant() fyne.CanvasObject {
	var engines []string
	for _, m := range fleet.ModelsOf(w.console) {
		engines = append(engines, m.DisplayName())
	}
	w.engine = widget.NewRadioGroup(engines, func(string) { w.update() })
	w.transport = widget.NewRadioGroup([]string{"GSM", "WiFi"}, func(string) { w.update() })
	w.transport.Horizontal = true
	cur := w.proc.Variant()
	if cur.Engine != "" {
		w.engine.Selected = cur.Engine.DisplayName()
	} else if len(engines) == 1 {
		w.engine.Selected = engines[0]
	}
	if cur.Transport != "" {
		w.transport.Selected = cur.Transport.DisplayName()
	}
	w.variantN = widget.NewLabel("")
	w.variantGo = widget.NewButton("Next: choose the release", func() {
		m, t, ok := w.chosenVariant()
		if ok {
			w.apply(rollout.ChooseVariant{Engine: m, Transport: t})
		}
	})
	w.variantGo.Importance = widget.HighImportance
	return container.NewVBox(
		wrapped("A firmware release is built for one engine and one transport variant. Units of any other "+
			"engine or variant are never sent it. Choose the ones you are updating."),
		widget.NewLabel("Engine"), w.engine, widget.NewLabel("Transport variant"), w.transport,
		w.variantN, w.variantGo)
}

func (w *wizard) chosenVariant() (fleet.Model, fleet.Transport, bool) {
	m, err1 := fleet.ParseModel(w.engine.Selected)
	t, err2 := fleet.ParseTransport(w.transport.Selected)
	return m, t, err1 == nil && err2 == nil
}

func (w *wizard) updateVariant() {
	m, t, ok := w.chosenVariant()
	if !ok {
		w.variantN.SetText("Choose the engine and the transport variant.")
		w.variantGo.Disable()
		return
	}
	n := 0
	for _, d := range w.p.svc.Fleet().Devices() {
		if d.Model == m && d.Transport == t {
			n++
		}
	}
	w.variantN.SetText(fmt.Sprintf("%d %s units in your fleet.", n, fleet.Variant{Engine: m, Transport: t}))
	w.variantGo.Enable()
}

// ---- step 2: release

func (w *wizard) buildRelease() fyne.CanvasObject {
	v := w.proc.Variant()
	w.relRadio = widget.NewRadioGroup(nil, func(string) { w.update() })
	w.relNote = wrapped("")
	w.relGo = widget.NewButton("Next: validate on a test device", func() {
		if r, ok := w.relByOption[w.relRadio.Selected]; ok {
			w.apply(rollout.ChooseRelease{Release: r})
		}
	})
	w.relGo.Importance = widget.HighImportance
	change := widget.NewButton("Change engine or variant", func() { w.editing = rollout.StepVariant; w.render() })
	w.loadReleases()
	return container.NewVBox(
		wrapped(fmt.Sprintf("Choose the release. Only releases of the %s built for %s units are listed.",
			w.console.DisplayName(), v)),
		w.relRadio, w.relNote, container.NewHBox(w.relGo, change))
}

func (w *wizard) loadReleases() {
	if w.relLoaded {
		return
	}
	type answer struct {
		list []rollout.Release
		err  error
	}
	c := w.console
	background(w.p, func(ctx context.Context) answer {
		l, err := w.p.svc.Releases(ctx, c)
		return answer{l, err}
	}, func(a answer) {
		w.relLoaded = true
		w.relErr = ""
		if a.err != nil {
			w.relErr = a.err.Error()
			w.relLoaded = false
		}
		w.releases = a.list
		w.update()
	})
}

// releaseOption is how a release reads in the list: version, date, notes.
func releaseOption(r rollout.Release) string {
	notes := r.Notes
	if len(notes) > 90 {
		notes = notes[:87] + "…"
	}
	s := r.Version
	if !r.CreatedAt.IsZero() {
		s += "  (" + r.CreatedAt.Format("2006-01-02") + ")"
	}
	if notes != "" {
		s += "  " + notes
	}
	return s
}

func (w *wizard) updateRelease() {
	if w.relRadio == nil {
		return
	}
	v := w.proc.Variant()
	var opts []string
	byOpt := map[string]rollout.Release{}
	list := append([]rollout.Release(nil), w.releases...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt.After(list[j].CreatedAt) })
	for _, r := range list {
		// Only this exact variant is listed; the procedure would refuse any other anyway.
		if r.Variant() != v || r.Validate() != nil {
			continue
		}
		o := releaseOption(r)
		opts = append(opts, o)
		byOpt[o] = r
	}
	if strings.Join(opts, "\x00") != strings.Join(w.relRadio.Options, "\x00") {
		w.relRadio.Options = opts
		w.relRadio.Refresh()
	}
	w.relByOption = byOpt
	if cur, ok := w.proc.Release(); ok && w.relRadio.Selected == "" {
		w.relRadio.Selected = releaseOption(cur)
		w.relRadio.Refresh()
	}
	r, ok := byOpt[w.relRadio.Selected]
	switch {
	case w.relErr != "":
		w.relNote.SetText("Releases could not be read: " + w.relErr)
	case !w.relLoaded:
		w.relNote.SetText("Loading releases…")
	case len(opts) == 0:
		w.relNote.SetText(fmt.Sprintf("There is no release for %s units.", v))
	case !ok:
		w.relNote.SetText("Choose a release.")
	default:
		e := rollout.Eligible(r, w.p.svc.Fleet().Devices(), w.p.svc.Actor(), w.p.svc.Now())
		w.relNote.SetText(fmt.Sprintf("%s would reach %d units of my_fleet after validation on one test device.",
			r.Label(), len(e.Eligible)))
	}
	if ok {
		w.relGo.Enable()
	} else {
		w.relGo.Disable()
	}
}

// ---- step 3: the test device

func (w *wizard) buildTest() fyne.CanvasObject {
	r, _ := w.proc.Release()
	w.testIntro = wrapped(fmt.Sprintf("Validate %s on one test device first. It is sent to that unit alone; "+
		"my_fleet can be deployed only once the unit is back online and reports %s. A %s unit has %s to come back.",
		r.Label(), r.Version, r.Transport.DisplayName(), rollout.ReturnTimeout(r.Transport)))
	w.testSel = widget.NewSelect(nil, func(string) { w.update() })
	w.testSel.PlaceHolder = "Choose an eligible test device"
	w.testPlan = wrapped("")
	w.testWhy = newWhyList()
	w.testBackend = wrapped("")
	w.testBackend.Importance = widget.WarningImportance
	w.testGo = widget.NewButton("Deploy to the test device", func() {
		id := w.testIDs[w.testSel.Selected]
		w.apply(rollout.StartValidation{DeviceID: id, Fleet: w.p.svc.Fleet(), Now: w.p.svc.Now()})
	})
	w.testGo.Importance = widget.HighImportance
	change := widget.NewButton("Change release", func() { w.editing = rollout.StepRelease; w.render() })
	box := container.NewVBox(w.testIntro, widget.NewLabel("Test device"), w.testSel)
	if w.console == fleet.ConsoleUltra {
		w.confirm = widget.NewRadioGroup([]string{"GSM", "WiFi"}, func(s string) {
			if s == "" {
				return
			}
			t, _ := fleet.ParseTransport(s)
			if !w.apply(rollout.ConfirmVariant{Transport: t}) {
				w.confirm.Selected = ""
				w.confirm.Refresh()
			}
		})
		w.confirm.Horizontal = true
		if !w.proc.NeedsVariantConfirmation() {
			// Confirmed earlier for this very release (the step is shown again after a refusal).
			w.confirm.Selected = r.Transport.DisplayName()
		}
		box.Add(wrapped("AutoGen Ultra releases never share policy with the Unified engines, and a GSM " +
			"image on a WiFi unit (or the other way round) can brick it. Confirm the transport variant of the " +
			"units you are updating:"))
		box.Add(w.confirm)
	}
	box.Add(w.testBackend)
	box.Add(container.NewHBox(w.testGo, change))
	box.Add(widget.NewSeparator())
	box.Add(w.testPlan)
	box.Add(w.testWhy.acc)
	return box
}

func deviceOption(d fleet.Device) string {
	s := d.ID
	if d.Name != "" {
		s += " — " + d.Name
	}
	if d.CustomerEmail != "" {
		s += " (" + d.CustomerEmail + ")"
	}
	return s
}

func (w *wizard) updateTest() {
	if w.testSel == nil {
		return
	}
	ix, now := w.p.svc.Fleet(), w.p.svc.Now()
	plan := w.proc.Preview(ix, now)
	w.testIDs = map[string]string{}
	var opts []string
	for _, d := range plan.Eligible {
		o := deviceOption(d)
		opts = append(opts, o)
		w.testIDs[o] = d.ID
	}
	if strings.Join(opts, "\x00") != strings.Join(w.testSel.Options, "\x00") {
		w.testSel.Options = opts
		if _, still := w.testIDs[w.testSel.Selected]; !still {
			w.testSel.Selected = ""
		}
		w.testSel.Refresh()
	}
	w.testPlan.SetText("After validation: " + plan.Summary())
	w.testWhy.set(plan)
	if e := w.proc.LastError(); e != "" {
		w.testBackend.SetText("The backend refused the test deployment: " + e)
		w.testBackend.Show()
	} else {
		w.testBackend.Hide()
	}
	switch {
	case len(opts) == 0:
		w.testGo.SetText("No eligible test device")
		w.testGo.Disable()
	case w.testSel.Selected == "":
		w.testGo.SetText("Deploy to the test device")
		w.testGo.Disable()
	case w.proc.NeedsVariantConfirmation():
		w.testGo.SetText("Confirm the variant first")
		w.testGo.Disable()
	case w.proc.Busy():
		w.testGo.Disable()
	default:
		r, _ := w.proc.Release()
		w.testGo.SetText(fmt.Sprintf("Deploy %s to test device %s (1 unit)", r.Version, w.testIDs[w.testSel.Selected]))
		w.testGo.Enable()
	}
}

// ---- step 3b: validating

func (w *wizard) buildValidating() fyne.CanvasObject {
	r, _ := w.proc.Release()
	w.valIntro = wrapped(fmt.Sprintf("Sent %s to test device %s alone. Waiting until it is back online and "+
		"reports %s (at most %s for a %s unit). Nothing is sent to my_fleet before that.",
		r.Label(), w.proc.TestDevice(), r.Version, rollout.ReturnTimeout(r.Transport), r.Transport.DisplayName()))
	w.valStatus = wrapped("")
	w.valCancel = newConfirmButton("Cancel the test deployment", "Really cancel the test deployment?", func() {
		w.apply(rollout.Cancel{})
	})
	bar := widget.NewProgressBarInfinite()
	return container.NewVBox(w.valIntro, bar, w.valStatus, w.valCancel.btn)
}

func (w *wizard) updateValidating() {
	if w.valStatus == nil {
		return
	}
	id := w.proc.TestDevice()
	d, found := w.p.svc.Fleet().Get(id)
	stage := "sending"
	if ro, ok := w.proc.TestRollout(); ok {
		stage = string(rollout.StageQueued)
		for _, u := range ro.Units {
			if u.DeviceID == id {
				stage = stageText(u.Stage)
			}
		}
	}
	state := "not in the synced fleet"
	if found {
		state = "offline"
		if d.Online {
			state = "online"
		}
		state += ", reports " + orNone(d.Firmware)
	}
	r, _ := w.proc.Release()
	left := rollout.ReturnTimeout(r.Transport) - w.p.svc.Now().Sub(w.proc.TestStarted())
	if left < 0 {
		left = 0
	}
	w.valStatus.SetText(fmt.Sprintf("%s: %s; %s. Gives up in %s.", id, stage, state, left.Round(time.Second)))
	if w.proc.Busy() {
		w.valCancel.btn.Disable()
	} else {
		w.valCancel.btn.Enable()
	}
}

// ---- step 3c: validation failed

func (w *wizard) buildFailed() fyne.CanvasObject {
	w.failLbl = wrapped("")
	w.failLbl.Importance = widget.DangerImportance
	other := widget.NewButton("Choose another release", func() { w.editing = rollout.StepRelease; w.render() })
	over := widget.NewButton("Start over", func() {
		if w.apply(rollout.Reset{}) {
			w.apply(rollout.ChooseConsole{Console: w.console})
		}
	})
	return container.NewVBox(w.failLbl, container.NewHBox(other, over))
}

func (w *wizard) updateFailed() {
	r, _ := w.proc.Release()
	w.failLbl.SetText(fmt.Sprintf("Validation of %s failed: %s. Nothing was sent to my_fleet. Investigate the "+
		"test device from its Manage page, then choose another release.", r.Label(), w.proc.Failure()))
}

// ---- step 4: deploy to my_fleet

func (w *wizard) buildReady() fyne.CanvasObject {
	r, _ := w.proc.Release()
	w.readyIntro = wrapped(fmt.Sprintf("Validated: test device %s is back online and reports %s.",
		w.proc.TestDevice(), r.Version))
	w.readyPlan = wrapped("")
	w.readyPlan.TextStyle.Bold = true
	w.readyWhy = newWhyList()
	th := w.p.opts.Threshold
	w.thrUnits = widget.NewEntry()
	w.thrUnits.SetText(strconv.Itoa(th.Units))
	w.thrPct = widget.NewEntry()
	w.thrPct.SetText(strconv.FormatFloat(th.Percent, 'f', -1, 64))
	w.thrUnits.OnChanged = func(string) { w.update() }
	w.thrPct.OnChanged = func(string) { w.update() }
	w.readyErr = wrapped("")
	w.readyErr.Importance = widget.WarningImportance
	w.deployGo = widget.NewButton("Deploy to my_fleet", func() {
		th, err := w.threshold()
		if err != nil {
			w.errLbl.SetText(err.Error())
			w.errLbl.Show()
			return
		}
		w.apply(rollout.Deploy{Fleet: w.p.svc.Fleet(), Now: w.p.svc.Now(), Threshold: th})
	})
	w.deployGo.Importance = widget.HighImportance
	change := widget.NewButton("Change release", func() { w.editing = rollout.StepRelease; w.render() })
	box := container.NewVBox(w.readyIntro)
	if w.console == fleet.ConsoleUltra {
		box.Add(widget.NewLabel(fmt.Sprintf("Variant confirmed: AutoGen Ultra %s.", r.Transport.DisplayName())))
	}
	box.Add(w.readyPlan)
	box.Add(w.readyWhy.acc)
	box.Add(container.NewHBox(widget.NewLabel("Pause by itself when failures reach"), w.thrUnits,
		widget.NewLabel("units or"), w.thrPct, widget.NewLabel("% of the units")))
	box.Add(w.readyErr)
	box.Add(container.NewHBox(w.deployGo, change))
	return box
}

// threshold reads the dealer's threshold entries.
func (w *wizard) threshold() (rollout.Threshold, error) {
	u, err := strconv.Atoi(strings.TrimSpace(w.thrUnits.Text))
	if err != nil {
		return rollout.Threshold{}, fmt.Errorf("failure threshold: %q is not a whole number of units", w.thrUnits.Text)
	}
	pct, err := strconv.ParseFloat(strings.TrimSpace(w.thrPct.Text), 64)
	if err != nil {
		return rollout.Threshold{}, fmt.Errorf("failure threshold: %q is not a percentage", w.thrPct.Text)
	}
	th := rollout.Threshold{Units: u, Percent: pct}
	return th, th.Validate()
}

func (w *wizard) updateReady() {
	if w.readyPlan == nil {
		return
	}
	plan := w.proc.Preview(w.p.svc.Fleet(), w.p.svc.Now())
	w.readyPlan.SetText(plan.Summary())
	w.readyWhy.set(plan)
	if e := w.proc.LastError(); e != "" {
		w.readyErr.SetText("The backend refused the deployment: " + e)
		w.readyErr.Show()
	} else {
		w.readyErr.Hide()
	}
	r, _ := w.proc.Release()
	_, thErr := w.threshold()
	switch {
	case len(plan.Eligible) == 0:
		w.deployGo.SetText("No unit of my_fleet is eligible")
		w.deployGo.Disable()
	case thErr != nil:
		w.deployGo.SetText(thErr.Error())
		w.deployGo.Disable()
	case w.proc.Busy():
		w.deployGo.Disable()
	default:
		w.deployGo.SetText(fmt.Sprintf("Deploy %s to %d units of my_fleet", r.Version, len(plan.Eligible)))
		w.deployGo.Enable()
	}
}

// ---- step 5: monitor and report

func (w *wizard) buildMonitor() fyne.CanvasObject {
	w.monHead = wrapped("")
	w.monHead.TextStyle.Bold = true
	w.monBar = widget.NewProgressBar()
	w.monCounts = wrapped("")
	w.monErr = wrapped("")
	w.monErr.Importance = widget.WarningImportance
	w.pauseBtn = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() { w.apply(rollout.Pause{}) })
	w.resumeBtn = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), func() { w.apply(rollout.Resume{}) })
	w.cancelBtn = newConfirmButton("Cancel rollout", "Really cancel? No further unit gets the release", func() {
		w.apply(rollout.Cancel{})
	})
	w.reportLbl = wrapped("")
	again := widget.NewButton("Start another rollout", func() { w.apply(rollout.ChooseConsole{Console: w.console}) })
	home := widget.NewButton("Back to Rollouts", w.p.backHome)
	controls := container.NewHBox(w.pauseBtn, w.resumeBtn, w.cancelBtn.btn)
	done := container.NewHBox(again, home)
	w.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(w.units), 4 },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < 0 || id.Row >= len(w.units) {
				return
			}
			u := w.units[id.Row]
			o.(*widget.Label).SetText([]string{u.DeviceID, stageText(u.Stage), orNone(u.Firmware), u.Error}[id.Col])
		})
	w.table.ShowHeaderColumn = false
	w.table.CreateHeader = func() fyne.CanvasObject { return widget.NewLabel("") }
	w.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < 4 {
			o.(*widget.Label).SetText([]string{"Unit", "Stage", "Reports", "Note"}[id.Col])
			o.(*widget.Label).TextStyle.Bold = true
		}
	}
	for col, width := range []float32{150, 130, 100, 360} {
		w.table.SetColumnWidth(col, width)
	}
	w.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(w.units) && w.p.opts.OnManage != nil {
			w.p.opts.OnManage(w.units[id.Row].DeviceID)
		}
		w.table.UnselectAll()
	}
	top := container.NewVBox(w.monHead, w.monBar, w.monCounts, w.monErr, controls, w.reportLbl, done,
		widget.NewLabel("Choose a unit to open its Manage page."))
	w.monitorControls, w.monitorDone = controls, done
	return container.NewBorder(top, nil, nil, nil, w.table)
}

func stageText(s rollout.Stage) string {
	switch s {
	case rollout.StageOnline:
		return "back online"
	case rollout.StageConfirmed:
		return "version confirmed"
	case rollout.StageNotReturned:
		return "not returned"
	}
	return string(s)
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// countsLine is the counts by stage: "queued 3 · installing 5 · …".
func countsLine(pr rollout.Progress) string {
	var parts []string
	for _, s := range rollout.AllStages {
		if s == rollout.StageSkipped && pr.Counts[s] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", stageText(s), pr.Counts[s]))
	}
	return fmt.Sprintf("%d of %d units done: %s", pr.Final, pr.Total, strings.Join(parts, " · "))
}

func (w *wizard) updateMonitor() {
	if w.monHead == nil {
		return
	}
	r, _ := w.proc.Release()
	ro, has := w.proc.Rollout()
	pr := w.proc.Progress()
	status := "starting"
	if has {
		status = string(ro.Status)
	}
	head := fmt.Sprintf("%s → my_fleet: %s", r.Label(), status)
	if why := w.proc.AutoPaused(); why != "" && has && ro.Status == rollout.StatusPaused {
		head = fmt.Sprintf("%s → my_fleet: paused by itself — %s. Check the failed units, then resume or cancel.", r.Label(), why)
	}
	rep, done := w.proc.Report()
	if done {
		head = fmt.Sprintf("%s → my_fleet: %s", r.Label(), rep.Status)
		w.reportLbl.SetText(rep.Text())
		w.reportLbl.Show()
		w.monitorDone.Show()
		w.monitorControls.Hide()
	} else {
		w.reportLbl.Hide()
		w.monitorDone.Hide()
		w.monitorControls.Show()
	}
	w.monHead.SetText(head)
	w.monBar.SetValue(pr.Fraction())
	w.monCounts.SetText(countsLine(pr))
	if e := w.proc.LastError(); e != "" {
		w.monErr.SetText(e)
		w.monErr.Show()
	} else {
		w.monErr.Hide()
	}
	busy := w.proc.Busy() || !has
	setEnabled(w.pauseBtn, !busy && ro.Status == rollout.StatusRunning)
	setEnabled(w.resumeBtn, !busy && ro.Status == rollout.StatusPaused)
	setEnabled(w.cancelBtn.btn, !busy && (ro.Status == rollout.StatusRunning || ro.Status == rollout.StatusPaused))
	w.units = pr.Units
	w.table.Refresh()
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// whyList is the "N excluded — show why" section: every excluded unit of the console with its
// reason, grouped by reason.
type whyList struct {
	acc  *widget.Accordion
	item *widget.AccordionItem
	text *widget.Label
}

func newWhyList() *whyList {
	t := wrapped("")
	item := widget.NewAccordionItem("show why", t)
	return &whyList{acc: widget.NewAccordion(item), item: item, text: t}
}

func (l *whyList) set(e rollout.Eligibility) {
	ex := e.RelevantExcluded()
	title := fmt.Sprintf("%d excluded — show why", len(ex))
	if l.item.Title != title {
		l.item.Title = title
		l.acc.Refresh()
	}
	var b strings.Builder
	for _, r := range rollout.AllReasons {
		for _, x := range ex {
			if x.Reason == r {
				fmt.Fprintf(&b, "%s — %s (%s)\n", x.Device.ID, r.Text(), x.Detail)
			}
		}
	}
	if other := e.ExcludedBy()[rollout.ReasonOtherConsole]; other > 0 {
		fmt.Fprintf(&b, "Not counted: %d units of other consoles, which no release of this console can reach.\n", other)
	}
	if b.Len() == 0 {
		b.WriteString("No unit is excluded.")
	}
	l.text.SetText(strings.TrimRight(b.String(), "\n"))
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
