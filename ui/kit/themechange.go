package kit

import (
	"sync"

	"fyne.io/fyne/v2"
)

// Fyne 2.7's Settings.AddListener keeps every listener for the app's life and has no way to remove
// one: a page that registered its own would stay reachable (with its widgets and its view of the
// fleet) after it is discarded, one more per profile switch. So the app registers one listener,
// and pages come and go on it.

var themeListeners struct {
	sync.Mutex
	apps map[fyne.App]*themeFanout
}

type themeFanout struct {
	next int
	fns  map[int]func()
}

// OnThemeChange calls fn on the UI goroutine whenever the app's settings (its theme) change, until
// remove is called; remove lets go of fn (a page calls it when it is discarded).
func OnThemeChange(a fyne.App, fn func()) (remove func()) {
	themeListeners.Lock()
	defer themeListeners.Unlock()
	if themeListeners.apps == nil {
		themeListeners.apps = map[fyne.App]*themeFanout{}
	}
	f := themeListeners.apps[a]
	if f == nil {
		f = &themeFanout{fns: map[int]func(){}}
		themeListeners.apps[a] = f
		a.Settings().AddListener(func(fyne.Settings) {
			themeListeners.Lock()
			fns := make([]func(), 0, len(f.fns))
			for _, fn := range f.fns {
				fns = append(fns, fn)
			}
			themeListeners.Unlock()
			for _, fn := range fns {
				fn()
			}
		})
	}
	id := f.next
	f.next++
	f.fns[id] = fn
	var once sync.Once
	return func() {
		once.Do(func() {
			themeListeners.Lock()
			delete(f.fns, id)
			themeListeners.Unlock()
		})
	}
}

// ThemeFollowers counts the functions following the app's theme changes (for tests: a discarded
// page follows it no longer).
func ThemeFollowers(a fyne.App) int {
	themeListeners.Lock()
	defer themeListeners.Unlock()
	if f := themeListeners.apps[a]; f != nil {
		return len(f.fns)
	}
	return 0
}
