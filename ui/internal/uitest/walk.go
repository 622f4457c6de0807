package uitest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// Walk visits o and everything below it, widgets through the renderers in use. With visibleOnly,
// hidden subtrees are skipped (what a user could see or tap); without it, everything is visited
// (what the window's objects hold).
func Walk(o fyne.CanvasObject, visibleOnly bool, visit func(fyne.CanvasObject)) {
	if o == nil || (visibleOnly && !o.Visible()) {
		return
	}
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			Walk(c, visibleOnly, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			Walk(c, visibleOnly, visit)
		}
	}
}

// Objects is o and everything below it, shown or not, in the order Walk visits them.
func Objects(o fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	Walk(o, false, func(x fyne.CanvasObject) { out = append(out, x) })
	return out
}
