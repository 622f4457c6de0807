package desk

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestEveryPageFits1024x700 (issue 24 item 5): every page of the app fits a 1024 x 700 window:
// showing it does not ask for a wider or taller window (Firmware Rollouts grew it to 1070 px),
// and at that size every visible button lies wholly inside the window.
func TestEveryPageFits1024x700(t *testing.T) {
	f := newDesk(t, basemapOnly())
	f.u.eventually(20*time.Second, "the fleet", func() bool {
		return f.s.FleetConsole() != nil && f.s.FleetConsole().CountText() != "Loading the fleet…"
	})
	win := fyne.NewSize(1024, 700)
	f.u.run(func() {
		f.win.Resize(win)
		for _, p := range f.s.PageNames() {
			f.s.ShowPage(p)
			if min := f.win.Content().MinSize(); min.Width > win.Width || min.Height > win.Height {
				t.Errorf("the %s page needs %v, more than %v", p, min, win)
			}
			f.win.Resize(win)
			walkAbs(f.win.Content(), fyne.NewPos(0, 0), func(o fyne.CanvasObject, at fyne.Position) {
				b, ok := o.(*widget.Button)
				if !ok || b.Text == "" {
					return
				}
				if end := at.X + b.Size().Width; end > win.Width+0.5 || at.X < -0.5 {
					t.Errorf("on the %s page the button %q spans x %.0f..%.0f, outside the %v px window", p, b.Text, at.X, end, win.Width)
				}
			})
		}
	})
}

// walkAbs visits every visible object under o with its position in the window (scrolled content
// is measured where it is laid out, as a scroll container would show it from its start).
func walkAbs(o fyne.CanvasObject, at fyne.Position, visit func(fyne.CanvasObject, fyne.Position)) {
	if o == nil || !o.Visible() {
		return
	}
	visit(o, at)
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, c := range kids {
		walkAbs(c, at.Add(c.Position()), visit)
	}
}
