package tokens

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// deviceStep is step 3, "Restrict devices if needed": without a restriction the token covers every
// device of the user account; with one, the picker chooses them.
type deviceStep struct {
	w        *wizard
	restrict *widget.Check
	picker   *picker
	box      fyne.CanvasObject
}

func newDeviceStep(w *wizard) *deviceStep {
	s := &deviceStep{w: w, picker: newPicker(w)}
	s.restrict = widget.NewCheck("Restrict to devices (demos, pilots, narrow integrations)", func(bool) { w.refresh() })
	intro := widget.NewLabel("Without a restriction the token covers every device of the user account, including units added later.")
	intro.Wrapping = fyne.TextWrapWord
	s.box = container.NewBorder(container.NewVBox(intro, s.restrict), nil, nil, nil, s.picker.box)
	return s
}

// chosen is the restriction: nil for every device of the account.
func (s *deviceStep) chosen() []string {
	if !s.restrict.Checked {
		return nil
	}
	return append([]string(nil), s.picker.selected...)
}

func (s *deviceStep) blockers() []string {
	if s.restrict.Checked && len(s.picker.selected) == 0 {
		return []string{"choose at least one device, or untick the restriction to cover every device of the user account"}
	}
	return nil
}

// refresh shows the picker while the restriction is ticked; showing it changes the layout.
func (s *deviceStep) refresh() {
	if setVisible(s.picker.box, s.restrict.Checked) {
		s.box.Refresh()
	}
	s.picker.updateCount()
}
