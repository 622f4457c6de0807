package desk

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/mapview"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// simConfig is a small world in real time, so positions and health barely move during a test.
var simConfig = sim.Config{Devices: 320, Dealers: 2, Seed: 11, ManualClock: true, AccessTTL: 48 * time.Hour}

type fixture struct {
	u    *loopUI
	live *testfleet.Live
	app  fyne.App
	win  fyne.Window
	s    *ui.Shell
	ctl  *Controller
	// consoleChanges are the console's reports of the dealer's own filter changes.
	consoleChanges []fleet.Filter
}

// loopUI is a test's UI goroutine: a uitest.Loop the window's runners report on and the test
// taps and reads through.
type loopUI struct {
	loop *uitest.Loop
	t    *testing.T
}

func (u *loopUI) do(f func()) { u.loop.Do(f) }

// run runs f on the UI goroutine and waits for it; a t.Fatal inside f ends the test.
func (u *loopUI) run(f func()) { u.loop.Run(f) }

// eventually waits, off the UI goroutine, until cond (run on it) holds.
func (u *loopUI) eventually(timeout time.Duration, what string, cond func() bool) {
	u.t.Helper()
	u.loop.Eventually(u.t, timeout, what, cond)
}

// newDesk builds the window exactly as cmd/fleetdesk does, on a live simulated backend, with the
// given tile source in the app's preferences (never OpenStreetMap: tests stay on 127.0.0.1).
// Widgets are touched only inside f.u.run.
func newDesk(t *testing.T, tileCfg tiles.Config) *fixture {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	f := &fixture{live: testfleet.StartLive(t, simConfig), u: &loopUI{loop: uitest.NewLoop(t), t: t}}
	f.app = test.NewTempApp(t)
	raw, err := json.Marshal(tileCfg)
	if err != nil {
		t.Fatal(err)
	}
	f.app.Preferences().SetString(tilePrefKey, string(raw))
	f.u.run(func() {
		f.win = test.NewTempWindow(t, widget.NewLabel(""))
		f.win.Resize(fyne.NewSize(1300, 820))
		f.ctl = New(Options{App: f.app, Window: f.win, UI: f.u.do})
		f.ctl.sharedFilter = func(fl fleet.Filter) { f.consoleChanges = append(f.consoleChanges, fl) }
		f.s = f.ctl.Shell()
		f.s.Start(f.live.Session)
	})
	t.Cleanup(func() { f.u.loop.Run(f.s.Close) })
	return f
}

func basemapOnly() tiles.Config { return tiles.Config{Kind: tiles.KindBasemap} }

// walk visits o and every visible object under it, through widget renderers.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, visit)
		}
	}
}

func find[T fyne.CanvasObject](root fyne.CanvasObject, ok func(T) bool) []T {
	var out []T
	walk(root, func(o fyne.CanvasObject) {
		if w, is := o.(T); is && (ok == nil || ok(w)) {
			out = append(out, w)
		}
	})
	return out
}

func one[T fyne.CanvasObject](t *testing.T, what string, root fyne.CanvasObject, ok func(T) bool) T {
	t.Helper()
	got := find(root, ok)
	if len(got) != 1 {
		t.Fatalf("%s: found %d, want 1", what, len(got))
	}
	return got[0]
}

// mapView shows the Map page and returns its map widget, search box and status line.
type mapView struct {
	m      *mapview.Map
	search *kit.Entry
	model  *widget.Select
	health *widget.CheckGroup
	status *widget.Label
}

func (f *fixture) mapPage(t *testing.T) mapView {
	t.Helper()
	if !f.s.ShowPage(ui.PageFleetMap) {
		t.Fatal("no Map page")
	}
	root := f.win.Content()
	return mapView{
		m: one[*mapview.Map](t, "map widget", root, nil),
		search: one(t, "map search box", root, func(e *kit.Entry) bool {
			return strings.HasPrefix(e.PlaceHolder, "Search device ID")
		}),
		model: one(t, "map model picker", root, func(s *widget.Select) bool {
			return slices.Contains(s.Options, fleet.AllModels[0].DisplayName()) && !slices.Contains(s.Options, "Any model")
		}),
		health: one[*widget.CheckGroup](t, "map health chips", root, nil),
		status: one(t, "map status line", root, func(l *widget.Label) bool {
			return strings.Contains(l.Text, "on the map") || l.Text == "No units yet."
		}),
	}
}

func markerIDs(m *mapview.Map) []string {
	var ids []string
	for _, mk := range m.Markers() {
		ids = append(ids, mk.ID)
	}
	slices.Sort(ids)
	return ids
}

// unitWithPosition is a unit of the fleet with a GPS fix.
func (f *fixture) unitWithPosition(t *testing.T) fleet.Device {
	t.Helper()
	for _, d := range f.live.Session.Fleet().Devices() {
		if d.GPS != nil {
			return *d
		}
	}
	t.Fatal("no unit with a position")
	return fleet.Device{}
}

// consoleGPSIDs are the units the console lists that have a position: what the map must show.
func (f *fixture) consoleGPSIDs() []string {
	var ids []string
	for _, d := range f.s.FleetConsole().View() {
		if d.GPS != nil {
			ids = append(ids, d.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func countLine(onMap, noPos int) string {
	units := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	}
	s := units(onMap, "unit", "units") + " on the map"
	if noPos > 0 {
		s += " · " + units(noPos, "unit has no last known location", "units have no last known location")
	}
	return s
}

func TestWindowHasEveryPage(t *testing.T) {
	f := newDesk(t, basemapOnly())
	f.u.run(func() {
		want := []string{ui.PageFleetConsole, ui.PageFleetMap, ui.PageRollouts, ui.PageTokens, ui.PageRecovery, ui.PageSettings}
		if got := f.s.PageNames(); !slices.Equal(got, want) {
			t.Fatalf("navigation %v, want %v", got, want)
		}
		for _, p := range want {
			if !f.s.ShowPage(p) || f.s.CurrentPage() != p {
				t.Fatalf("page %s cannot be shown", p)
			}
		}
		if !strings.Contains(f.win.Title(), f.live.Session.Status().DealerName) {
			t.Fatalf("title %q does not name the dealer", f.win.Title())
		}
	})
}

func TestMapShowsTheDealersGPSUnits(t *testing.T) {
	f := newDesk(t, basemapOnly())
	var mv mapView
	var gps []string
	noPos := 0
	f.u.run(func() {
		mv = f.mapPage(t)
		ix := f.live.Session.Fleet()
		if ix.Len() == 0 {
			t.Fatal("the first sync brought no units")
		}
		for _, d := range ix.Devices() {
			if d.Dealer != f.live.Account.Dealer {
				t.Fatalf("%s of dealer %q in %q's fleet", d.ID, d.Dealer, f.live.Account.Dealer)
			}
			if d.GPS == nil {
				noPos++
			} else {
				gps = append(gps, d.ID)
			}
		}
		slices.Sort(gps)
		if len(gps) == 0 {
			t.Fatal("the simulated fleet has no unit with a position")
		}
	})
	// The markers are built off the UI goroutine: wait for them, then compare.
	f.u.eventually(20*time.Second, "the map's markers", func() bool { return len(markerIDs(mv.m)) > 0 })
	f.u.run(func() {
		if got := markerIDs(mv.m); !slices.Equal(got, gps) {
			t.Fatalf("the map shows %d markers, the fleet has %d units with a position", len(got), len(gps))
		}
		if want := countLine(len(gps), noPos); mv.status.Text != want {
			t.Fatalf("status %q, want %q", mv.status.Text, want)
		}
	})
}

func TestShowOnMapFromManage(t *testing.T) {
	f := newDesk(t, basemapOnly())
	var unit fleet.Device
	f.u.run(func() {
		unit = f.unitWithPosition(t)
		f.s.OpenManage(unit.ID)
		if f.s.Manage() == nil {
			t.Fatal("Manage page not open")
		}
		link := one(t, "Show on map", f.s.Manage().Content(), func(b *widget.Button) bool { return b.Text == "Show on map" })
		test.Tap(link)
		if f.s.CurrentPage() != ui.PageFleetMap {
			t.Fatalf("Show on map left the window on %s", f.s.CurrentPage())
		}
		mv := f.mapPage(t)
		lat, lon := mv.m.Center()
		if math.Abs(lat-unit.GPS.Lat) > 1e-4 || math.Abs(lon-unit.GPS.Lon) > 1e-4 {
			t.Fatalf("map centred on %.5f,%.5f, the unit is at %.5f,%.5f", lat, lon, unit.GPS.Lat, unit.GPS.Lon)
		}
		if mv.m.Zoom() < 12 {
			t.Fatalf("zoom %d: the unit is not brought close", mv.m.Zoom())
		}
	})
	// The card opens once the map's markers of the newest snapshot are in view (built off the UI
	// goroutine): only a unit in view has a card.
	f.u.eventually(10*time.Second, "the unit's card on the map", func() bool {
		return len(find(f.win.Content(), func(l *widget.Label) bool { return l.Text == unit.ID })) > 0
	})
}

func TestOpenPageByName(t *testing.T) {
	f := newDesk(t, basemapOnly())
	f.u.run(func() {
		for _, p := range f.s.PageNames() {
			for _, name := range []string{strings.ToLower(p), strings.ToUpper(p)} {
				f.ctl.OpenPage(name)
				if f.s.CurrentPage() != p {
					t.Fatalf("OpenPage(%q) shows %s", name, f.s.CurrentPage())
				}
			}
		}
		for short, full := range pageFlags {
			f.ctl.OpenPage(short)
			if f.s.CurrentPage() != full {
				t.Fatalf("OpenPage(%q) shows %s, want %s", short, f.s.CurrentPage(), full)
			}
		}
		f.s.ShowPage(ui.PageSettings)
		f.ctl.OpenPage("no-such-page")
		if f.s.CurrentPage() != ui.PageSettings {
			t.Fatalf("an unknown name moved the window to %s", f.s.CurrentPage())
		}
		f.ctl.OpenPage("manage")
		first := f.live.Session.Fleet().At(0).ID
		if f.s.Manage() == nil || f.s.Manage().DeviceID() != first || f.s.CurrentPage() != ui.PageFleetConsole {
			t.Fatalf("OpenPage(manage) did not open %s's Manage page", first)
		}
	})
}
