package main

import (
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// recordingWindow notes Hide and Close in order and keeps the close intercept, which only the
// GLFW driver calls (on the title bar's close button).
type recordingWindow struct {
	fyne.Window
	mu        sync.Mutex
	calls     []string
	intercept func()
}

func (w *recordingWindow) note(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, s)
}

func (w *recordingWindow) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.calls)
}

func (w *recordingWindow) Hide()  { w.note("hide"); w.Window.Hide() }
func (w *recordingWindow) Close() { w.note("close"); w.Window.Close() }
func (w *recordingWindow) SetCloseIntercept(f func()) {
	w.intercept = f
	w.Window.SetCloseIntercept(f)
}

type recordingApp struct {
	fyne.App
	win *recordingWindow
}

func (a *recordingApp) NewWindow(title string) fyne.Window {
	a.win = &recordingWindow{Window: a.App.NewWindow(title)}
	return a.win
}

// Closing the main window with its title bar's button hides it first and closes it only after
// closeSettle: Fyne 2.7.1 panics when the pointer moves over a closing window and the cursor
// shape changes (a nil *glfw.Window in processMouseMoved), and a hidden window gets no pointer
// motion. A second request meanwhile is the same request: one Close, and the window's OnClosed
// (which closes the session) runs once.
func TestMainWindowHidesBeforeItCloses(t *testing.T) {
	a := &recordingApp{App: test.NewTempApp(t)}
	win := newMainWindow(a)
	rw := a.win
	if rw == nil || rw.intercept == nil {
		t.Fatal("the main window has no close intercept: a close request closes it at once")
	}
	closed := make(chan struct{})
	var onClosed int
	win.SetOnClosed(func() { onClosed++; close(closed) })
	start := time.Now()
	rw.intercept()
	rw.intercept()
	if got := rw.seen(); !slices.Equal(got, []string{"hide"}) {
		t.Fatalf("right after the close request: %v, want the window hidden and not yet closed", got)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the window never closed")
	}
	if took := time.Since(start); took < closeSettle {
		t.Errorf("closed after %s, before closeSettle (%s)", took, closeSettle)
	}
	time.Sleep(2 * closeSettle)
	if got := rw.seen(); !slices.Equal(got, []string{"hide", "close"}) || onClosed != 1 {
		t.Fatalf("calls %v, OnClosed %d times; want hide, close and OnClosed once", got, onClosed)
	}
}
