package desk

import (
	"math"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/mapview"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/console"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// TestStateSurvivesARestart builds the window, changes what a dealer changes (window size, page,
// console search, chips and sort, map view), closes it, and builds it again on the same
// preferences, as the next start of the app does: everything comes back.
func TestStateSurvivesARestart(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	app := test.NewTempApp(t)
	app.Preferences().SetString(tilePrefKey, `{"Kind":"basemap"}`)

	u := &loopUI{loop: uitest.NewLoop(t), t: t}
	open := func() (s *ui.Shell, win fyne.Window) {
		svc, _ := testfleet.Offline(t, 300, now)
		u.run(func() {
			win = test.NewTempWindow(t, widget.NewLabel(""))
			win.Resize(InitialSize(app))
			s = NewShell(Options{App: app, Window: win, UI: u.do})
			s.Start(svc)
		})
		return s, win
	}

	s, win := open()
	var lat, lon float64
	want := fleet.Filter{Text: "pump", Health: []fleet.Health{fleet.HealthLost}, GPSOnly: true}
	u.run(func() {
		if got := win.Canvas().Size(); got != DefaultSize {
			t.Fatalf("first start: window %v, want the default %v", got, DefaultSize)
		}
		win.Resize(fyne.NewSize(1111, 777))
		c := s.Console()
		c.SetFilter(want)
		c.SortBy(console.ColLastSeen)
		c.SortBy(console.ColLastSeen) // newest first
		s.ShowPage(ui.PageMap)
		mapPage := findMap(t, win)
		mapPage.SetView(48.2, 16.4, 7)
		lat, lon = mapPage.Center()
		s.Close() // the window's close: teardown saves
	})

	// The next start.
	s2, win2 := open()
	t.Cleanup(func() { u.run(s2.Close) })
	u.run(func() {
		if got := win2.Canvas().Size(); got != fyne.NewSize(1111, 777) {
			t.Fatalf("window size %v after the restart, want 1111x777", got)
		}
		if got := s2.CurrentPage(); got != ui.PageMap {
			t.Fatalf("page %q after the restart, want the Map", got)
		}
		c2 := s2.Console()
		got := c2.Filter()
		if got.Text != want.Text || !slices.Equal(got.Health, want.Health) || got.GPSOnly != want.GPSOnly {
			t.Fatalf("console filter %+v after the restart, want %+v", got, want)
		}
		if c2.SearchText() != "pump" {
			t.Fatalf("search box shows %q", c2.SearchText())
		}
		if so := c2.SortOrder(); so.Col != console.ColLastSeen || !so.Desc {
			t.Fatalf("sort %+v after the restart, want last seen, descending", so)
		}
		m2 := findMap(t, win2)
		lat2, lon2 := m2.Center()
		if m2.Zoom() != 7 || math.Abs(lat2-lat) > 1e-6 || math.Abs(lon2-lon) > 1e-6 {
			t.Fatalf("map view %.4f,%.4f z%d after the restart, want %.4f,%.4f z7", lat2, lon2, m2.Zoom(), lat, lon)
		}
		// Only preferences were written, and none holds a secret.
		if v, ok := prefs.New(app.Preferences()).MapView(); !ok || v.Zoom != 7 {
			t.Fatalf("stored map view %+v", v)
		}
	})
}

func findMap(t *testing.T, win fyne.Window) *mapview.Map {
	t.Helper()
	return one[*mapview.Map](t, "map widget", win.Content(), nil)
}
