package desk

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// simConfig is a small world in real time, so positions and health barely move during a test.
var simConfig = sim.Config{Devices: 320, Dealers: 2, Seed: 11, Speed: 1}

type fixture struct {
	u    *loopUI
	live *uitest.Live
	app  fyne.App
	win  fyne.Window
	s    *ui.Shell
	// consoleChanges are the console's reports of the dealer's own filter changes.
	consoleChanges []fleet.Filter
}

// loopUI is a test's UI goroutine: a uitest.Loop the window's runners report on and the test
// taps and reads through. The pages not yet on a kit.Runner still hand results over with kit.Do,
// which takes the process-wide lock, so the loop takes it too; once every page runs on a runner
// the lock goes and do is plain loop.Do.
type loopUI struct {
	loop *uitest.Loop
	t    *testing.T
	dead bool // a t.Fatal ended the loop
}

func (u *loopUI) do(f func()) { u.loop.Do(func() { kit.Lock(); defer kit.Unlock(); f() }) }

// run runs f on the UI goroutine and waits for it; a t.Fatal inside f ends the test.
func (u *loopUI) run(f func()) {
	if u.dead {
		return
	}
	finished := false
	u.loop.Run(func() { kit.Lock(); defer kit.Unlock(); f(); finished = true })
	if !finished {
		u.dead = true
		u.t.FailNow()
	}
}

// eventually waits, off the UI goroutine, until cond (run on it) holds.
func (u *loopUI) eventually(timeout time.Duration, what string, cond func() bool) {
	u.t.Helper()
	u.loop.Eventually(u.t, timeout, what, func() bool { kit.Lock(); defer kit.Unlock(); return cond() })
}

// newDesk builds the window exactly as cmd/fleetdesk does, on a live simulated backend, with the
// given tile source in the app's preferences (never OpenStreetMap: tests stay on 127.0.0.1).
// Widgets are touched only inside f.u.run.
func newDesk(t *testing.T, tileCfg tiles.Config) *fixture {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	f := &fixture{live: uitest.StartLive(t, simConfig), u: &loopUI{loop: uitest.NewLoop(t), t: t}}
	f.app = test.NewTempApp(t)
	raw, err := json.Marshal(tileCfg)
	if err != nil {
		t.Fatal(err)
	}
	f.app.Preferences().SetString(tilePrefKey, string(raw))
	f.u.run(func() {
		f.win = test.NewTempWindow(t, widget.NewLabel(""))
		f.win.Resize(fyne.NewSize(1300, 820))
		f.s = NewShell(Options{App: f.app, Window: f.win, UI: f.u.do, ConsoleFilterChanged: func(fl fleet.Filter) {
			f.consoleChanges = append(f.consoleChanges, fl)
		}})
		f.s.Start(f.live.Session)
	})
	// Closed on the loop but without kit.Lock: the Rollouts page's Close waits for its
	// background calls, which may be waiting for the lock to hand their results over.
	t.Cleanup(func() {
		if !f.u.dead {
			f.u.loop.Run(f.s.Close)
		}
	})
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
	search *widget.Entry
	model  *widget.Select
	health *widget.CheckGroup
	status *widget.Label
}

func (f *fixture) mapPage(t *testing.T) mapView {
	t.Helper()
	if !f.s.ShowPage(ui.PageMap) {
		t.Fatal("no Map page")
	}
	root := f.win.Content()
	return mapView{
		m: one[*mapview.Map](t, "map widget", root, nil),
		search: one(t, "map search box", root, func(e *widget.Entry) bool {
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

// consoleGPSIDs are the units the console lists that have a position: what the map must show.
func (f *fixture) consoleGPSIDs() []string {
	var ids []string
	for _, d := range f.s.Console().View() {
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
		s += " · " + units(noPos, "unit has no position", "units have no position")
	}
	return s
}

func TestWindowHasEveryPage(t *testing.T) {
	f := newDesk(t, basemapOnly())
	f.u.run(func() {
		want := []string{ui.PageConsole, ui.PageMap, ui.PageRollouts, ui.PageTokens, ui.PageRecovery, ui.PageSettings}
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
	f.u.run(func() {
		mv := f.mapPage(t)
		ix := f.live.Session.Fleet()
		if ix.Len() == 0 {
			t.Fatal("the first sync brought no units")
		}
		var gps []string
		noPos := 0
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
		if got := markerIDs(mv.m); !slices.Equal(got, gps) {
			t.Fatalf("the map shows %d markers, the fleet has %d units with a position", len(got), len(gps))
		}
		if want := countLine(len(gps), noPos); mv.status.Text != want {
			t.Fatalf("status %q, want %q", mv.status.Text, want)
		}
	})
}

// searchTerm finds a word of unit names that picks out some, but not most, of the positioned
// units, so a search visibly narrows the map.
func searchTerm(t *testing.T, ix *fleet.Index, now time.Time, not string) string {
	t.Helper()
	total := 0
	for _, d := range ix.Devices() {
		if d.GPS != nil {
			total++
		}
	}
	for _, d := range ix.Devices() {
		for _, w := range append(strings.Fields(d.Name), strings.Split(d.CustomerEmail, "@")[0]) {
			w = strings.ToLower(w)
			if len(w) < 4 || w == not {
				continue
			}
			n := 0
			for _, p := range ix.Search(fleet.Filter{Text: w}, now) {
				if ix.At(p).GPS != nil {
					n++
				}
			}
			if n >= 2 && n <= total/2 {
				return w
			}
		}
	}
	t.Fatal("no search term narrows the fleet")
	return ""
}

func TestConsoleAndMapShareFilters(t *testing.T) {
	f := newDesk(t, basemapOnly())
	u := f.u
	svc := f.live.Session
	all := 0
	for _, d := range svc.Fleet().Devices() {
		if d.GPS != nil {
			all++
		}
	}

	// Typing in the console (focused from the start, as the dealer finds it) narrows the map to
	// the same units.
	term := searchTerm(t, svc.Fleet(), svc.Now(), "")
	var mv mapView
	u.run(func() {
		box := f.win.Canvas().Focused()
		if box == nil {
			t.Fatal("the console's search box is not focused")
		}
		test.Type(box, term)
		mv = f.mapPage(t)
	})
	u.eventually(10*time.Second, "the map to follow the console's search", func() bool {
		got := markerIDs(mv.m)
		return mv.m != nil && len(got) > 0 && len(got) < all && slices.Equal(got, f.consoleGPSIDs())
	})
	term2 := searchTerm(t, svc.Fleet(), svc.Now(), term)
	reported := 0
	u.run(func() {
		if mv.search.Text != term || f.s.Console().SearchText() != term {
			t.Fatalf("search boxes: map %q, console %q, typed %q", mv.search.Text, f.s.Console().SearchText(), term)
		}
		for _, mk := range mv.m.Markers() {
			d, _ := svc.Fleet().Get(mk.ID)
			if !strings.Contains(strings.ToLower(d.ID+" "+d.Name+" "+d.CustomerEmail), term) {
				t.Fatalf("%s on the map does not match %q", mk.ID, term)
			}
		}
		if n := len(f.consoleChanges); n == 0 || f.consoleChanges[n-1].Text != term {
			t.Fatalf("the console reported %v for the typed search", f.consoleChanges)
		}

		// Typing in the map's search box does the same for the console, and is not echoed back.
		reported = len(f.consoleChanges)
		mv = f.mapPage(t)
		mv.search.SetText("")
		test.Type(mv.search, term2)
	})
	u.eventually(10*time.Second, "the console to follow the map's search", func() bool {
		got := markerIDs(mv.m)
		if f.s.Console().SearchText() != term2 || len(got) == 0 || !slices.Equal(got, f.consoleGPSIDs()) {
			return false
		}
		for _, d := range f.s.Console().View() {
			if !strings.Contains(strings.ToLower(d.ID+" "+d.Name+" "+d.CustomerEmail), term2) {
				return false
			}
		}
		return true
	})
	// A model chip on the map narrows the console; the console's picker shows it.
	m := svc.Fleet().At(0).Model
	var ofModel []string
	for _, p := range svc.Fleet().Search(fleet.Filter{Models: []fleet.Model{m}}, svc.Now()) {
		ofModel = append(ofModel, svc.Fleet().At(p).ID)
	}
	slices.Sort(ofModel)
	u.run(func() {
		if f.s.Console().Filter().Text != term2 {
			t.Fatalf("console filter %+v, want text %q", f.s.Console().Filter(), term2)
		}
		if len(f.consoleChanges) != reported {
			t.Fatalf("the console echoed the map's change back: %v", f.consoleChanges[reported:])
		}
		mv.search.SetText("")
		mv.model.SetSelected(m.DisplayName())
	})
	u.eventually(10*time.Second, "the console to follow the map's model chip", func() bool {
		var listed []string
		for _, d := range f.s.Console().View() {
			listed = append(listed, d.ID)
		}
		slices.Sort(listed)
		return slices.Equal(listed, ofModel) && slices.Equal(markerIDs(mv.m), f.consoleGPSIDs())
	})
	u.run(func() {
		if f.s.Console().SearchText() != "" {
			t.Fatalf("the console kept the search %q the map cleared", f.s.Console().SearchText())
		}
		if got := f.s.Console().Filter().Models; !slices.Equal(got, []fleet.Model{m}) {
			t.Fatalf("console models %v, want %v", got, m)
		}
		for _, d := range f.s.Console().View() {
			if d.Model != m {
				t.Fatalf("console lists %s (%s) with the %s chip on", d.ID, d.Model, m)
			}
		}
		if !f.s.ShowPage(ui.PageConsole) {
			t.Fatal("no console")
		}
		picker := find(f.win.Content(), func(s *widget.Select) bool { return s.Selected == m.DisplayName() })
		if len(picker) != 1 {
			t.Fatalf("the console's model picker does not show %s", m.DisplayName())
		}

		// A health chip on the console reaches the map.
		h := fleet.HealthLive
		chip := one(t, "console health chip", f.win.Content(), func(b *widget.Button) bool { return b.Text == kit.HealthLabel(h) })
		before := len(f.consoleChanges)
		test.Tap(chip)
		if len(f.consoleChanges) != before+1 {
			t.Fatal("the console did not report its chip")
		}
		mv = f.mapPage(t)
		if !slices.Equal(f.s.Console().Filter().Health, []fleet.Health{h}) {
			t.Fatal("the console's health chip is not in its filter")
		}
		if got := mv.health.Selected; len(got) != 1 || got[0] != kit.HealthLabel(h) {
			t.Fatalf("map health chips %v after the console's %s chip", got, h)
		}
		if got := mv.m.Markers(); len(got) == 0 && len(f.consoleGPSIDs()) > 0 {
			t.Fatal("the map lost its markers with the console's health chip")
		}
		for _, mk := range mv.m.Markers() {
			d, _ := svc.Fleet().Get(mk.ID)
			if d.Model != m {
				t.Fatalf("%s (%s) on the map with the %s chip on", d.ID, d.Model, m)
			}
		}
	})
}

func TestShowOnMapFromManage(t *testing.T) {
	f := newDesk(t, basemapOnly())
	f.u.run(func() {
		var unit fleet.Device
		for _, d := range f.live.Session.Fleet().Devices() {
			if d.GPS != nil {
				unit = d
				break
			}
		}
		if unit.ID == "" {
			t.Fatal("no unit with a position")
		}
		f.s.OpenManage(unit.ID)
		if f.s.Manage() == nil {
			t.Fatal("Manage page not open")
		}
		link := one(t, "Show on map", f.s.Manage().Content(), func(b *widget.Button) bool { return b.Text == "Show on map" })
		test.Tap(link)
		if f.s.CurrentPage() != ui.PageMap {
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
		card := find(f.win.Content(), func(l *widget.Label) bool { return l.Text == unit.ID })
		if len(card) == 0 {
			t.Fatalf("no card for %s on the map", unit.ID)
		}
	})
}

func TestMapTileSettings(t *testing.T) {
	tilesrv := httptest.NewServer(http.NotFoundHandler()) // 127.0.0.1: a tile server with no tiles
	defer tilesrv.Close()
	start := tiles.Config{Kind: tiles.KindHTTP, URLTemplate: tilesrv.URL + "/{z}/{x}/{y}.png", Attribution: "© Test tiles"}
	f := newDesk(t, start)
	f.u.run(func() {
		mv := f.mapPage(t)
		if got := mv.m.Loader().Attribution(); got != start.Attribution {
			t.Fatalf("the map started on %q, not the source in the preferences", got)
		}
		prefs := f.app.Preferences()
		saved := prefs.String(tilePrefKey)

		if !f.s.ShowPage(ui.PageSettings) {
			t.Fatal("no Settings page")
		}
		root := f.win.Content()
		source := one(t, "tile source choice", root, func(r *widget.RadioGroup) bool {
			return slices.Contains(r.Options, tileChoices[3].label)
		})
		url := one(t, "URL template entry", root, func(e *widget.Entry) bool { return strings.Contains(e.PlaceHolder, "{z}") })
		apply := one(t, "Apply", root, func(b *widget.Button) bool { return b.Text == "Apply" })
		if url.Text != start.URLTemplate || source.Selected != tileChoices[1].label {
			t.Fatalf("the form shows %q / %q, not the saved source", source.Selected, url.Text)
		}
		labelShows := func(want string) bool {
			return len(find(f.win.Content(), func(l *widget.Label) bool { return l.Text == want })) > 0
		}

		// An invalid template: the error shows, nothing changes.
		loader := mv.m.Loader()
		bad := "https://tiles.example.com/tile.png"
		wantErr := tiles.Config{Kind: tiles.KindHTTP, URLTemplate: bad}.Validate()
		if wantErr == nil {
			t.Fatalf("%q passes validation", bad)
		}
		url.SetText(bad)
		test.Tap(apply)
		if !labelShows(wantErr.Error()) {
			t.Fatalf("the form does not show %q", wantErr)
		}
		if mv.m.Loader() != loader || prefs.String(tilePrefKey) != saved {
			t.Fatal("an invalid template changed the map's source or the preferences")
		}

		// The built-in basemap: the map switches and the choice is remembered.
		source.SetSelected(tileChoices[3].label)
		test.Tap(apply)
		if !labelShows("The map now uses: " + tileChoices[3].label) {
			t.Fatal("no confirmation after Apply")
		}
		base, err := tiles.Open(tiles.Config{Kind: tiles.KindBasemap})
		if err != nil {
			t.Fatal(err)
		}
		defer base.Close()
		if mv.m.Loader() == loader || mv.m.Loader().Attribution() != base.Attribution() {
			t.Fatalf("the map still uses %q", mv.m.Loader().Attribution())
		}
		var got tiles.Config
		if err := json.Unmarshal([]byte(prefs.String(tilePrefKey)), &got); err != nil {
			t.Fatalf("preferences hold %q: %v", prefs.String(tilePrefKey), err)
		}
		if got.Kind != tiles.KindBasemap || got.CacheDir != "" {
			t.Fatalf("preferences hold %+v", got)
		}
		if k := (&tileSettings{app: f.app}).load().Kind; k != tiles.KindBasemap {
			t.Fatalf("the next start would use %q", k)
		}
	})
}

func TestOpenPageByName(t *testing.T) {
	f := newDesk(t, basemapOnly())
	f.u.run(func() {
		for _, p := range f.s.PageNames() {
			for _, name := range []string{strings.ToLower(p), strings.ToUpper(p)} {
				OpenPage(f.s, name)
				if f.s.CurrentPage() != p {
					t.Fatalf("OpenPage(%q) shows %s", name, f.s.CurrentPage())
				}
			}
		}
		for short, full := range pageFlags {
			OpenPage(f.s, short)
			if f.s.CurrentPage() != full {
				t.Fatalf("OpenPage(%q) shows %s, want %s", short, f.s.CurrentPage(), full)
			}
		}
		f.s.ShowPage(ui.PageSettings)
		OpenPage(f.s, "no-such-page")
		if f.s.CurrentPage() != ui.PageSettings {
			t.Fatalf("an unknown name moved the window to %s", f.s.CurrentPage())
		}
		OpenPage(f.s, "manage")
		first := f.live.Session.Fleet().At(0).ID
		if f.s.Manage() == nil || f.s.Manage().DeviceID() != first || f.s.CurrentPage() != ui.PageConsole {
			t.Fatalf("OpenPage(manage) did not open %s's Manage page", first)
		}
	})
}
