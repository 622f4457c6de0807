package rollouts

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// monitorStep is step 5: the my_fleet rollout as it runs, then its report.
type monitorStep struct {
	w        *wizard
	box      fyne.CanvasObject
	head     *widget.Label
	bar      *widget.ProgressBar
	counts   *widget.Label
	err      *widget.Label
	pause    *widget.Button
	resume   *widget.Button
	cancel   *confirmButton
	controls *fyne.Container
	done     *fyne.Container
	report   *widget.Label
	table    *widget.Table
	units    []rollout.UnitProgress
}

var unitColumns = []string{"Unit", "Stage", "Reports", "Note"}

func newMonitorStep(w *wizard) stepView {
	s := &monitorStep{w: w, head: wrapped(""), bar: widget.NewProgressBar(), counts: wrapped(""), err: wrapped(""),
		report: wrapped("")}
	s.head.TextStyle.Bold = true
	s.err.Importance = widget.WarningImportance
	s.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() { w.apply(rollout.Pause{}) })
	s.resume = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), func() { w.apply(rollout.Resume{}) })
	s.cancel = newConfirmButton("Cancel rollout", "Really cancel? No further unit gets the release", func() {
		w.apply(rollout.Cancel{})
	})
	again := widget.NewButton("Start another rollout", func() { w.apply(rollout.ChooseConsole{Console: w.console}) })
	home := widget.NewButton("Back to Firmware Rollouts", w.p.backHome)
	s.controls = container.NewHBox(s.pause, s.resume, s.cancel.btn)
	s.done = container.NewHBox(again, home)
	s.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(s.units), len(unitColumns) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < 0 || id.Row >= len(s.units) {
				return
			}
			u := s.units[id.Row]
			o.(*widget.Label).SetText([]string{u.DeviceID, stageText(u.Stage), orNone(u.Firmware), u.Error}[id.Col])
		})
	s.table.ShowHeaderColumn = false
	s.table.CreateHeader = func() fyne.CanvasObject { return widget.NewLabel("") }
	s.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(unitColumns) {
			o.(*widget.Label).SetText(unitColumns[id.Col])
			o.(*widget.Label).TextStyle.Bold = true
		}
	}
	for col, width := range []float32{150, 130, 100, 360} {
		s.table.SetColumnWidth(col, width)
	}
	s.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(s.units) && w.p.opts.OnManage != nil {
			w.p.opts.OnManage(s.units[id.Row].DeviceID)
		}
		s.table.UnselectAll()
	}
	watch := container.NewHBox(widget.NewLabel("Choose a unit to open its Manage page."))
	if show := w.p.opts.ShowInConsole; show != nil {
		watch.Add(widget.NewButton("Show these units in the Fleet Console", func() {
			ids := make([]string, len(s.units))
			for i, u := range s.units {
				ids[i] = u.DeviceID
			}
			show(ids)
		}))
	}
	top := container.NewVBox(s.head, s.bar, s.counts, s.err, s.controls, s.report, s.done, watch)
	s.box = container.NewBorder(top, nil, nil, nil, s.table)
	return s
}

func (s *monitorStep) object() fyne.CanvasObject { return s.box }

func stageText(st rollout.Stage) string {
	switch st {
	case rollout.StageOnline:
		return "back online"
	case rollout.StageConfirmed:
		return "version confirmed"
	case rollout.StageNotReturned:
		return "not returned"
	}
	return string(st)
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
	for _, st := range rollout.AllStages {
		if st == rollout.StageSkipped && pr.Counts[st] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", stageText(st), pr.Counts[st]))
	}
	return fmt.Sprintf("%d of %d units done: %s", pr.Final, pr.Total, strings.Join(parts, " · "))
}

func (s *monitorStep) update() {
	w := s.w
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
	if rep, done := w.proc.Report(); done {
		if rep.TestDevice == "" {
			// Opened from the past rollouts: the test device is in the dealer's rollout list.
			rep = rep.WithFleet(rollout.TestDeviceOf(ro, w.p.pastRows), w.p.svc.Fleet())
		}
		head = fmt.Sprintf("%s → my_fleet: %s", r.Label(), rep.Status)
		s.report.SetText(rep.Text())
		s.report.Show()
		s.done.Show()
		s.controls.Hide()
	} else {
		s.report.Hide()
		s.done.Hide()
		s.controls.Show()
	}
	s.head.SetText(head)
	s.bar.SetValue(pr.Fraction())
	s.counts.SetText(countsLine(pr))
	if e := w.proc.LastError(); e != "" {
		s.err.SetText(e)
		s.err.Show()
	} else {
		s.err.Hide()
	}
	busy := w.proc.Busy() || !has || w.offline() != ""
	setEnabled(s.pause, !busy && ro.Status == rollout.StatusRunning)
	setEnabled(s.resume, !busy && ro.Status == rollout.StatusPaused)
	setEnabled(s.cancel.btn, !busy && (ro.Status == rollout.StatusRunning || ro.Status == rollout.StatusPaused))
	s.units = pr.Units
	s.table.Refresh()
}

// whyList is the "N D180, GSM units excluded — show why" section: the units of the release's own
// variant that the rollout leaves out, grouped by reason with counts, each unit named; then, not
// counted, how many units of the console's other variants and engines (and of other consoles)
// the release is never sent to.
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
	title := e.ExcludedText() + " — show why"
	if l.item.Title != title {
		l.item.Title = title
		l.acc.Refresh()
	}
	var b strings.Builder
	groups := e.Groups()
	if len(groups) > 1 {
		var parts []string
		for _, g := range groups {
			parts = append(parts, fmt.Sprintf("%d %s", len(g.Units), g.Reason.Text()))
		}
		b.WriteString(strings.Join(parts, " · ") + "\n")
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "%s: %s\n", capitalize(g.Reason.Text()), units(len(g.Units)))
		for _, x := range g.Units {
			fmt.Fprintf(&b, "    %s (%s)\n", x.Device.ID, x.Detail)
		}
	}
	if len(groups) == 0 {
		fmt.Fprintf(&b, "Every %s unit of my_fleet gets %s.\n", e.Release.Variant(), e.Release.Version)
	}
	not := e.NotCandidates()
	var others []string
	if n := not[rollout.ReasonOtherVariant]; n > 0 {
		for _, t := range fleet.AllTransports {
			if t != e.Release.Transport { // the engine's other transport variant
				others = append(others, strings.Replace(units(n), " ", " "+fleet.VariantFor(e.Release.Model, t).String()+" ", 1))
			}
		}
	}
	if n := not[rollout.ReasonOtherModel]; n > 0 {
		others = append(others, units(n)+" of other engines of the "+e.Release.Console.DisplayName())
	}
	if n := not[rollout.ReasonOtherConsole]; n > 0 {
		others = append(others, units(n)+" of other firmware consoles")
	}
	if len(others) > 0 {
		if len(groups) > 0 {
			b.WriteString("\n") // apart from the units counted
		}
		fmt.Fprintf(&b, "Not counted, as a %s release is never sent to them: %s.", e.Release.Variant(), strings.Join(others, ", "))
	}
	l.text.SetText(strings.TrimRight(b.String(), "\n"))
}

// units is "1 unit", "5 units".
func units(n int) string {
	if n == 1 {
		return "1 unit"
	}
	return fmt.Sprintf("%d units", n)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
