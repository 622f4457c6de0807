package tokens

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// roots is everything the window shows: its content and every overlay (dialogs, pop-ups).
func roots(win fyne.Window) []fyne.CanvasObject {
	out := []fyne.CanvasObject{win.Canvas().Content()}
	return append(out, win.Canvas().Overlays().List()...)
}

// texts is every string the window's objects hold, shown or not.
func texts(win fyne.Window) []string {
	var out []string
	for _, r := range roots(win) {
		out = append(out, uitest.Texts(r)...)
	}
	return out
}

func windowHolds(win fyne.Window, s string) bool {
	for _, t := range texts(win) {
		if strings.Contains(t, s) {
			return true
		}
	}
	return strings.Contains(test.RenderToMarkup(win.Canvas()), s)
}

// button finds the visible button with exactly this label, on top of everything else first.
func button(t *testing.T, win fyne.Window, label string) *widget.Button {
	t.Helper()
	b := findButton(win, label)
	if b == nil {
		t.Fatalf("no visible button %q", label)
	}
	return b
}

// findButton is button without failing (for a wait's condition, which runs on the loop).
func findButton(win fyne.Window, label string) *widget.Button {
	rs := roots(win)
	for i := len(rs) - 1; i >= 0; i-- {
		var found *widget.Button
		uitest.Walk(rs[i], true, func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok && b.Text == label && found == nil {
				found = b
			}
		})
		if found != nil {
			return found
		}
	}
	return nil
}

// checkFor finds the visible check box whose label mentions s (a picker row).
func checkFor(win fyne.Window, s string) *widget.Check {
	var found *widget.Check
	for _, r := range roots(win) {
		uitest.Walk(r, true, func(o fyne.CanvasObject) {
			if c, ok := o.(*widget.Check); ok && strings.Contains(c.Text, s) && found == nil {
				found = c
			}
		})
	}
	return found
}

// rowButton is the Revoke button of the token list row named name.
func rowButton(win fyne.Window, name string) *widget.Button {
	var found *widget.Button
	uitest.Walk(win.Canvas().Content(), true, func(o fyne.CanvasObject) {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) != len(columns) || found != nil {
			return
		}
		if l, ok := c.Objects[0].(*widget.Label); ok && l.Text == name {
			found, _ = c.Objects[len(columns)-1].(*widget.Button)
		}
	})
	return found
}
