package desk

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/mapview"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/fleetconsole"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
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
			s = New(Options{App: app, Window: win, UI: u.do}).Shell()
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
		c := s.FleetConsole()
		c.SetFilter(want)
		c.SortBy(fleetconsole.ColLastSeen)
		c.SortBy(fleetconsole.ColLastSeen) // newest first
		s.ShowPage(ui.PageFleetMap)
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
		if got := s2.CurrentPage(); got != ui.PageFleetMap {
			t.Fatalf("page %q after the restart, want the Map", got)
		}
		c2 := s2.FleetConsole()
		got := c2.Filter()
		if got.Text != want.Text || !slices.Equal(got.Health, want.Health) || got.GPSOnly != want.GPSOnly {
			t.Fatalf("console filter %+v after the restart, want %+v", got, want)
		}
		if c2.SearchText() != "pump" {
			t.Fatalf("search box shows %q", c2.SearchText())
		}
		if so := c2.SortOrder(); so.Col != fleetconsole.ColLastSeen || !so.Desc {
			t.Fatalf("sort %+v after the restart, want last seen, descending", so)
		}
		m2 := findMap(t, win2)
		lat2, lon2 := m2.Center()
		if m2.Zoom() != 7 || math.Abs(lat2-lat) > 1e-6 || math.Abs(lon2-lon) > 1e-6 {
			t.Fatalf("map view %.4f,%.4f z%d after the restart, want %.4f,%.4f z7", lat2, lon2, m2.Zoom(), lat, lon)
		}
		// Only preferences were written, and none holds a secret.
		if v, ok := prefs.New(app.Preferences()).View(s2.Service().Status()).MapView(); !ok || v.Zoom != 7 {
			t.Fatalf("stored map view %+v", v)
		}
	})
}

func findMap(t *testing.T, win fyne.Window) *mapview.Map {
	t.Helper()
	return one[*mapview.Map](t, "map widget", win.Content(), nil)
}

// TestAProfileOpensOnItsOwnFilters is the dealer's path from issue 20: try the demo, search it for
// "gallagher", then sign in to the dealer's own backend. The console opens on the dealer's whole
// fleet, not on "No units match “gallagher”"; back in the demo its search is there again; and at
// the next start each profile opens on its own view.
func TestAProfileOpensOnItsOwnFilters(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	demoSrv, demoAcct := testfleet.StartSim(t, sim.Config{Devices: 80, Dealers: 1, Seed: 7, ManualClock: true, AccessTTL: 48 * time.Hour})
	ownSrv, ownAcct := testfleet.StartSim(t, sim.Config{Devices: 60, Dealers: 1, Seed: 11, ManualClock: true, AccessTTL: 48 * time.Hour})
	cacheDir := t.TempDir()
	app := test.NewTempApp(t)
	app.Preferences().SetString(tilePrefKey, `{"Kind":"basemap"}`)
	u := &loopUI{loop: uitest.NewLoop(t), t: t}

	var (
		mu     sync.Mutex
		opened []*syncer.Replica
	)
	keep := func(s *syncer.Replica, err error) (session.Session, error) {
		if err != nil {
			return nil, err
		}
		mu.Lock()
		opened = append(opened, s)
		mu.Unlock()
		return s, nil
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range opened {
			s.Close()
		}
	})
	// As cmd/fleetdesk does: the demo is profile "demo" on its own backend, the sign-in the
	// remembered (here: the default) profile.
	opts := func(win fyne.Window) Options {
		return Options{App: app, Window: win, UI: u.do,
			Demo: func(ctx context.Context) (session.Session, error) {
				return keep(syncer.Open(ctx, syncer.Options{BackendURL: demoSrv.URL, Profile: "demo", Demo: true,
					CacheDir: cacheDir, Email: demoAcct.Email, Password: demoAcct.Password, Store: &auth.Memory{},
					Interval: time.Second, Now: demoSrv.Now}))
			},
			SignIn: func(ctx context.Context, backendURL, email, password string) (session.Session, error) {
				return keep(testfleet.SignIn(cacheDir, ownSrv.Now)(ctx, backendURL, email, password))
			},
		}
	}
	var s *ui.Shell
	var win fyne.Window
	u.run(func() {
		win = test.NewTempWindow(t, widget.NewLabel(""))
		win.Resize(fyne.NewSize(1280, 820))
		s = New(opts(win)).Shell()
	})
	t.Cleanup(func() { u.loop.Run(s.Close) })
	button := func(text string) *widget.Button {
		return one(t, "button "+text, win.Content(), func(b *widget.Button) bool { return b.Text == text })
	}
	entry := func(placeholder string) *kit.Entry {
		return one(t, "entry "+placeholder, win.Content(), func(e *kit.Entry) bool { return e.PlaceHolder == placeholder })
	}
	showing := func(demo bool) func() bool {
		return func() bool { return s.Service() != nil && s.Service().Status().Demo == demo && s.FleetConsole() != nil }
	}
	tryDemo := func() {
		u.run(func() { test.Tap(button("Try the demo")) })
		u.eventually(30*time.Second, "the demo's console", showing(true))
	}
	signInOwn := func() {
		u.run(func() {
			entry("https://fleet.example.com").SetText(ownSrv.URL)
			entry("you@dealer.example.com").SetText(ownAcct.Email)
			one(t, "password entry", win.Content(), func(e *kit.Entry) bool { return e.Password }).SetText(ownAcct.Password)
			test.Tap(button("Sign in"))
		})
		u.eventually(30*time.Second, "the dealer's own console", showing(false))
	}
	wholeFleet := func(when string) {
		c := s.FleetConsole()
		if c.SearchText() != "" || !c.Filter().IsZero() {
			t.Fatalf("%s: the console opens on search %q, filter %+v, set in the demo", when, c.SearchText(), c.Filter())
		}
		for _, txt := range uitest.Texts(win.Content()) {
			if strings.Contains(txt, "No units match") || strings.Contains(txt, "gallagher") {
				t.Fatalf("%s: the window shows %q", when, txt)
			}
		}
	}

	tryDemo()
	u.run(func() { s.FleetConsole().SetSearch("gallagher") })
	u.eventually(5*time.Second, "the demo's search", func() bool { return s.FleetConsole().Filter().Text == "gallagher" })
	u.run(func() { s.ShowSignIn("") }) // where Sign out and Add profile end
	signInOwn()
	u.run(func() { wholeFleet("the first sign-in after the demo") })
	u.run(func() {
		s.FleetConsole().SortBy(fleetconsole.ColLastSeen)
		s.ShowSignIn("")
	})
	tryDemo()
	u.run(func() {
		if got := s.FleetConsole().SearchText(); got != "gallagher" {
			t.Fatalf("the demo's own search is %q, want gallagher", got)
		}
		if s.FleetConsole().SortOrder().Col == fleetconsole.ColLastSeen {
			t.Fatal("the demo opens on the dealer's sort")
		}
		s.Close() // the window closes on the demo
	})

	// The next start opens the dealer's profile (sign-in resumed): still the whole fleet, sorted
	// as the dealer left it.
	own, err := keep(testfleet.SignIn(cacheDir, ownSrv.Now)(context.Background(), ownSrv.URL, ownAcct.Email, ownAcct.Password))
	if err != nil {
		t.Fatal(err)
	}
	u.run(func() {
		s = New(opts(win)).Shell()
		s.Start(own)
		wholeFleet("the next start")
		if s.FleetConsole().SortOrder().Col != fleetconsole.ColLastSeen {
			t.Fatalf("the dealer's sort %+v was not kept", s.FleetConsole().SortOrder())
		}
	})
}
