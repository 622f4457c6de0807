package uitest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/ui/kit"
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

// Texts is every text o and everything below it hold, shown or not: labels, buttons, checks,
// entries (text and placeholder), rich text and canvas text. Tests look for what the user reads.
func Texts(o fyne.CanvasObject) []string {
	var out []string
	Walk(o, false, func(x fyne.CanvasObject) {
		switch w := x.(type) {
		case *canvas.Text:
			out = append(out, w.Text)
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Button:
			out = append(out, w.Text)
		case *widget.Check:
			out = append(out, w.Text)
		case *widget.Entry:
			out = append(out, w.Text, w.PlaceHolder)
		case *kit.Entry:
			out = append(out, w.Text, w.PlaceHolder)
		case *widget.RichText:
			out = append(out, w.String())
		}
	})
	return out
}
