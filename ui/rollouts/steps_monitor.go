package rollouts

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

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

// whyList is the "N excluded — show why" section: the excluded units of the console grouped by
// reason with counts, the units of the release's own variant first.
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
	title := fmt.Sprintf("%d excluded — show why", len(e.RelevantExcluded()))
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
		word := "units"
		if len(g.Units) == 1 {
			word = "unit"
		}
		fmt.Fprintf(&b, "%s: %d %s\n", capitalize(g.Reason.Text()), len(g.Units), word)
		for i, x := range g.Units {
			if i == maxListed && !ownVariant(g.Reason) {
				// Units of other variants are listed only in part: they are never sent this
				// release, and a long list would bury the few units of the variant left out.
				fmt.Fprintf(&b, "    … and %d more\n", len(g.Units)-maxListed)
				break
			}
			fmt.Fprintf(&b, "    %s (%s)\n", x.Device.ID, x.Detail)
		}
	}
	if other := e.ExcludedBy()[rollout.ReasonOtherConsole]; other > 0 {
		fmt.Fprintf(&b, "Not counted: %d units of other firmware consoles, which no release of this console can reach.\n", other)
	}
	if b.Len() == 0 {
		b.WriteString("No unit is excluded.")
	}
	l.text.SetText(strings.TrimRight(b.String(), "\n"))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// maxListed is how many units of another variant the why list names per reason.
const maxListed = 10

// ownVariant reports whether a reason leaves out units of the release's own variant: those are
// always listed in full, as the dealer expected to reach them.
func ownVariant(r rollout.Reason) bool {
	return r == rollout.ReasonAlreadyOnVers || r == rollout.ReasonOffline || r == rollout.ReasonOutOfScope
}
