package tokens

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// The access choices, in the guide's words. Neither is selected at first: the guide says "Decide
// read-only or control-enabled deliberately", so the dealer picks one, and control-enabled also
// needs a reason and an explicit confirmation.
const (
	optReadOnly = "Read-only: dashboards, reporting, monitoring"
	optControl  = "Control-enabled: only when the integration must send commands (Start, Stop, Reboot) or supported settings writes"
)

// accessStep is step 2: read-only or control-enabled, decided on purpose.
type accessStep struct {
	w       *wizard
	radio   *widget.RadioGroup
	reason  *kit.Entry
	confirm *widget.Check
	control *fyne.Container // the reason and confirmation, shown for control-enabled only
	box     fyne.CanvasObject
}

func newAccessStep(w *wizard) *accessStep {
	s := &accessStep{w: w}
	s.reason = kit.NewMultiLineEntry()
	s.reason.SetPlaceHolder("Why must this integration control units? e.g. remote start from the customer's SCADA")
	s.reason.SetMinRowsVisible(2)
	s.reason.OnChanged = func(string) { w.refresh() }
	s.confirm = widget.NewCheck("I confirm this customer's integration may send commands and settings writes to the units this token covers", func(bool) { w.refresh() })
	s.control = container.NewVBox(
		widget.NewLabelWithStyle("Control-enabled access", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.reason, s.confirm)
	s.control.Hide()
	s.radio = widget.NewRadioGroup([]string{optReadOnly, optControl}, func(opt string) {
		// A new decision needs a new confirmation.
		s.confirm.SetChecked(false)
		w.refresh()
		if opt == optControl {
			// The reason comes next; typing it must not land on the option (a space unticks it).
			w.p.win.Canvas().Focus(s.reason)
		}
	})
	// Once decided, a second click on the option does not silently undo the decision.
	s.radio.Required = true
	intro := widget.NewLabel("Choose read-only unless the integration must send commands. Nothing is preselected.")
	intro.Wrapping = fyne.TextWrapWord
	s.box = container.NewVBox(intro, s.radio, s.control)
	return s
}

// chosen is the access decided so far ("" while undecided) and, for control, its reason.
func (s *accessStep) chosen() (token.Access, string) {
	switch s.radio.Selected {
	case optReadOnly:
		return token.AccessReadOnly, ""
	case optControl:
		return token.AccessControl, strings.TrimSpace(s.reason.Text)
	}
	return "", ""
}

func (s *accessStep) blockers() []string {
	if s.radio.Selected == optControl && !s.confirm.Checked {
		return []string{"confirm that this customer's integration may control the units"}
	}
	return nil
}

// refresh shows the control part for control-enabled only; showing it changes the layout.
func (s *accessStep) refresh() {
	if setVisible(s.control, s.radio.Selected == optControl) {
		s.box.Refresh()
	}
}
