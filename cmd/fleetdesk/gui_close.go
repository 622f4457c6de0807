package main

import (
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// newMainWindow is FleetDesk's window, closed by its title bar's button through hideThenClose.
func newMainWindow(a fyne.App) fyne.Window {
	win := a.NewWindow("FleetDesk")
	win.SetCloseIntercept(hideThenClose(win, closeSettle))
	return win
}

// closeSettle is how long the main window stays hidden before it closes: several of Fyne's event
// polls (60 a second), so the pointer motion queued before the window was hidden is handled first.
const closeSettle = 150 * time.Millisecond

// hideThenClose is the main window's close request (the title bar's close button). Fyne 2.7.1's
// GLFW driver panics with a nil *glfw.Window in processMouseMoved when the pointer moves over a
// window between its Close and its destruction (one event poll later) and the cursor shape changes
// there (an entry's I-beam, a column edge): once closing, the window's view is nil but the cursor
// change still calls SetInputMode on it. A hidden window gets no pointer motion, so it is hidden
// first and closed after settle, once the motion queued before the hide has been handled while it
// was not closing. Further requests meanwhile are the same request.
func hideThenClose(win fyne.Window, settle time.Duration) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			win.Hide()
			time.AfterFunc(settle, func() { fyne.Do(win.Close) })
		})
	}
}
