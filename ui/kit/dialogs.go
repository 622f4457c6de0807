package kit

import "fyne.io/fyne/v2"

// Closable is what Esc needs of a dialog; every fyne dialog is one.
type Closable interface {
	Show()
	Hide()
	SetOnClosed(func())
}

// open dialogs per canvas, newest last; touched only on the UI goroutine.
var open = map[fyne.Canvas][]Closable{}

// ShowDialog shows d on win and remembers it so that Esc (see DismissTop) can close it. Focus is
// dropped first: a focused entry behind the dialog would otherwise swallow the Esc key.
func ShowDialog(win fyne.Window, d Closable) {
	c := win.Canvas()
	c.Unfocus()
	open[c] = append(open[c], d)
	d.SetOnClosed(func() { forget(c, d) })
	d.Show()
}

func forget(c fyne.Canvas, d Closable) {
	list := open[c]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == d {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(open, c)
		return
	}
	open[c] = list
}

// DismissTop closes the newest dialog shown on c through ShowDialog and reports whether there
// was one.
func DismissTop(c fyne.Canvas) bool {
	list := open[c]
	if len(list) == 0 {
		return false
	}
	d := list[len(list)-1]
	d.Hide() // SetOnClosed's hook forgets it
	forget(c, d)
	return true
}

// OpenDialogs is how many tracked dialogs c shows.
func OpenDialogs(c fyne.Canvas) int { return len(open[c]) }
