package desk

import (
	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/fleetconsole"
	"github.com/fleetdesk/fleetdesk/ui/mappage"
	"github.com/fleetdesk/fleetdesk/ui/notify"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// DefaultSize is the main window's size on a first start.
var DefaultSize = fyne.NewSize(1280, 820)

// InitialSize is the size the main window had when it was last closed, else DefaultSize.
// (Fyne has no window-position API, so only the size is remembered.)
func InitialSize(a fyne.App) fyne.Size {
	if sz, ok := prefs.New(a.Preferences()).WindowSize(); ok {
		return sz
	}
	return DefaultSize
}

// remembered restores the page, the Fleet Console's filters, sort and column widths and the map view when a session
// is shown, watches it for desktop notifications, and saves the state when its view closes (at
// the window's close, a sign-out or a profile switch). That state is the session's profile's
// (prefs.View: the demo is a profile of its own); only the window's size is the app's.
type remembered struct {
	prefs prefs.Store
	notes *notify.Desktop
	m     *mapSlot
}

func (r *remembered) onSession(c *Controller) (stop func()) {
	sh := c.shell
	r.restore(c)
	stopWatch := r.notes.Watch(sh.Service())
	return func() {
		stopWatch()
		r.save(sh)
	}
}

func (r *remembered) restore(ctl *Controller) {
	sh := ctl.shell
	view := r.prefs.View(sh.Service().Status())
	if st, ok := view.Console(); ok && sh.FleetConsole() != nil {
		ctl.SetFilter(st.Filter) // the console and the map
		if col, ok := fleetconsole.ColumnByTitle(st.SortCol); ok {
			sh.FleetConsole().SetSort(fleetconsole.Sort{Col: col, Desc: st.Desc})
		}
		widths := map[fleetconsole.Column]float32{}
		for title, w := range st.Widths {
			if col, ok := fleetconsole.ColumnByTitle(title); ok && w > 0 {
				widths[col] = w
			}
		}
		sh.FleetConsole().SetColumnWidths(widths)
	}
	// The Fleet Map is built the first time it is shown (Page.Lazy): the remembered view applies then.
	r.m.onBuild = func(p *mappage.Page) {
		if v, ok := view.MapView(); ok {
			p.Map.SetView(v.Lat, v.Lon, v.Zoom)
		}
	}
	if r.m.page != nil {
		r.m.onBuild(r.m.page)
	}
	if p := view.LastPage(); p != "" {
		sh.ShowPage(p)
	}
}

func (r *remembered) save(sh *ui.Shell) {
	view := r.prefs.View(sh.Service().Status())
	if c := sh.FleetConsole(); c != nil {
		st := prefs.ConsoleState{Filter: c.Filter(), SortCol: c.SortOrder().Col.Title(), Desc: c.SortOrder().Desc}
		for col, w := range c.ColumnWidths() {
			if st.Widths == nil {
				st.Widths = map[string]float32{}
			}
			st.Widths[col.Title()] = w
		}
		view.SetConsole(st)
	}
	if p := sh.CurrentPage(); p != "" {
		view.SetLastPage(p)
	}
	if r.m.page != nil {
		lat, lon := r.m.page.Map.Center()
		view.SetMapView(prefs.MapView{Lat: lat, Lon: lon, Zoom: r.m.page.Map.Zoom()})
	}
	if sz := sh.Window().Canvas().Size(); sz.Width > 0 && sz.Height > 0 {
		r.prefs.SetWindowSize(sz)
	}
}
