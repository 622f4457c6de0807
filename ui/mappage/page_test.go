package mappage

import (
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview"
	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func fleetOf() []fleet.Device {
	return []fleet.Device{
		{ID: "GEN-001", Name: "Quarry pump", CustomerEmail: "ops@quarry.example", Model: fleet.ModelD100, Transport: fleet.TransportWiFi,
			Online: true, LastSeen: now.Add(-time.Minute), GPS: &fleet.Position{Lat: 48.85, Lon: 2.35, FixTime: now.Add(-2 * time.Minute)}},
		{ID: "GEN-002", Name: "Hospital backup", CustomerEmail: "it@hospital.example", Model: fleet.ModelXPro, Transport: fleet.TransportWiFi,
			Online: false, LastSeen: now.Add(-3 * time.Hour), GPS: &fleet.Position{Lat: -1.29, Lon: 36.82, FixTime: now.Add(-3 * time.Hour)}},
		{ID: "GEN-003", Name: "Farm", Model: fleet.ModelV5, Transport: fleet.TransportGSM, Online: true, LastSeen: now},
		{ID: "GEN-004", Name: "Depot", Model: fleet.ModelV5, Transport: fleet.TransportGSM, Online: true, LastSeen: now},
		{ID: "ULT-005", Name: "Ultra site", CustomerEmail: "ultra@mine.example", Model: fleet.ModelUltra, Transport: fleet.TransportGSM,
			Online: true, LastSeen: now, Alarms: []string{"low fuel"}, GPS: &fleet.Position{Lat: 40.71, Lon: -74.0, FixTime: now}},
	}
}

type harness struct {
	loop     *uitest.Loop
	p        *Page
	w        fyne.Window
	managed  []string
	filtered []fleet.Filter
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	test.NewTempApp(t)
	l, err := tiles.Open(tiles.Config{Kind: tiles.KindBasemap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	h := &harness{loop: uitest.NewLoop(t)}
	h.loop.Run(func() {
		h.p = New(Options{Loader: l,
			OnManage:        func(id string) { h.managed = append(h.managed, id) },
			OnFilterChanged: func(f fleet.Filter) { h.filtered = append(h.filtered, f) },
			UI:              h.loop.Do})
		h.p.SetFleet(fleet.NewIndex(fleetOf()), now)
		h.w = test.NewTempWindow(t, h.p.Content())
		h.w.Resize(fyne.NewSize(1000, 700))
	})
	t.Cleanup(func() { h.p.Close() })
	h.landed(t)
	return h
}

// do runs f on the page's UI loop (a snapshot, a filter, a tap), then waits until the markers it
// asked for are built off the UI goroutine and shown.
func (h *harness) do(t *testing.T, f func()) {
	t.Helper()
	h.run(t, f)
	h.landed(t)
}

// landed waits until the map shows the newest snapshot and filter.
func (h *harness) landed(t *testing.T) {
	t.Helper()
	h.loop.Eventually(t, 20*time.Second, "the markers of the newest snapshot and filter", h.p.upToDate)
}

// run runs f on the page's UI loop; a t.Fatal inside f ends the test here.
func (h *harness) run(t *testing.T, f func()) {
	t.Helper()
	h.loop.Run(f)
}

func (h *harness) markers() map[string]mapview.Marker {
	out := map[string]mapview.Marker{}
	for _, m := range h.p.Map.Markers() {
		out[m.ID] = m
	}
	return out
}

func (h *harness) tapUnit(t *testing.T, lat, lon float64) {
	t.Helper()
	test.TapAt(h.p.Map, h.p.Map.ScreenPosition(lat, lon))
}

func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch w := o.(type) {
	case *widget.Button:
		if w.Text == text {
			return w
		}
	case *fyne.Container:
		for _, c := range w.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

func TestMapShowsUnitsWithColoursAndCounts(t *testing.T) {
	h := newHarness(t)
	h.run(t, func() {
		if got := h.p.status.Text; got != "3 units on the map · 2 units have no last known location" {
			t.Errorf("status %q", got)
		}
		ms := h.markers()
		if len(ms) != 3 {
			t.Fatalf("%d markers", len(ms))
		}
		if m := ms["GEN-001"]; m.Attention || m.Color != GreenColor {
			t.Errorf("live unit: %+v", m)
		}
		for _, id := range []string{"GEN-002", "ULT-005"} { // lost contact; alarm
			if m := ms[id]; !m.Attention || m.Color != color.Color(RedColor) {
				t.Errorf("%s should be red: %+v", id, m)
			}
		}
		// The first fleet fits the map: every unit is on screen.
		for _, m := range ms {
			p := h.p.Map.ScreenPosition(m.Lat, m.Lon)
			if p.X < 0 || p.Y < 0 || p.X > h.p.Map.Size().Width || p.Y > h.p.Map.Size().Height {
				t.Errorf("%s off screen at %v", m.ID, p)
			}
		}
	})
}

func TestTapUnitShowsCardAndManage(t *testing.T) {
	h := newHarness(t)
	h.run(t, func() {
		h.tapUnit(t, -1.29, 36.82)
		card := strings.Join(cardText(h.p), "\n")
		for _, want := range []string{"GEN-002", "Hospital backup", "it@hospital.example", "Offline since 09:00", "Lost contact", "Last known location: 3 h ago", "Manage"} {
			if !strings.Contains(card, want) {
				t.Errorf("card lacks %q:\n%s", want, card)
			}
		}
		test.Tap(findButton(h.p.cardBox, "Manage"))
		if !slices.Equal(h.managed, []string{"GEN-002"}) {
			t.Errorf("Manage opened %v", h.managed)
		}
		// Tapping open map closes the card.
		test.TapAt(h.p.Map, fyne.NewPos(5, h.p.Map.Size().Height/2))
		if cardText(h.p) != nil {
			t.Error("card still open after tapping the map")
		}
	})
}

func TestFiltersAreSharedWithTheConsole(t *testing.T) {
	h := newHarness(t)
	h.do(t, func() { test.Type(h.p.search, "ultra") })
	reported := 0
	h.do(t, func() {
		if len(h.filtered) == 0 || h.filtered[len(h.filtered)-1].Text != "ultra" {
			t.Fatalf("search did not report the filter: %v", h.filtered)
		}
		if ms := h.markers(); len(ms) != 1 || ms["ULT-005"].ID == "" {
			t.Errorf("search 'ultra' shows %v", ms)
		}
	})
	// Two words, each in another field (name and device ID), in any order: both must match.
	h.do(t, func() {
		h.p.search.SetText("")
		test.Type(h.p.search, "pump gen-")
	})
	h.do(t, func() {
		if ms := h.markers(); len(ms) != 1 || ms["GEN-001"].ID == "" {
			t.Errorf("search 'pump gen-' shows %v", ms)
		}
		reported = len(h.filtered)
		h.p.SetFilter(fleet.Filter{Health: []fleet.Health{fleet.HealthLost}})
	})
	h.do(t, func() {
		if len(h.filtered) != reported {
			t.Error("SetFilter from the console was echoed back")
		}
		if h.p.search.Text != "" || !slices.Equal(h.p.health.Selected, []string{"Lost contact"}) {
			t.Errorf("chips not updated: search %q health %v", h.p.search.Text, h.p.health.Selected)
		}
		if ms := h.markers(); len(ms) != 1 || ms["GEN-002"].ID == "" {
			t.Errorf("lost filter shows %v", ms)
		}
		// The page's model chip reports too, keeping the console's other filter fields.
		h.p.SetFilter(fleet.Filter{Transport: []fleet.Transport{fleet.TransportGSM}})
		h.p.model.SetSelected("AutoGen Ultra")
	})
	h.do(t, func() {
		last := h.filtered[len(h.filtered)-1]
		if !slices.Equal(last.Models, []fleet.Model{fleet.ModelUltra}) || !slices.Equal(last.Transport, []fleet.Transport{fleet.TransportGSM}) {
			t.Errorf("model chip reported %+v", last)
		}
		if got := h.p.status.Text; got != "1 unit on the map" {
			t.Errorf("status %q", got)
		}
		// A filter that empties the map, then a window resize: the map still lays out and no unit
		// is left drawn.
		h.p.SetFilter(fleet.Filter{Text: "no such unit"})
	})
	h.run(t, func() {
		h.w.Resize(fyne.NewSize(800, 500))
		if len(h.p.Map.Markers()) != 0 || h.p.status.Text != "0 units on the map" {
			t.Errorf("empty filter: %d markers, status %q", len(h.p.Map.Markers()), h.p.status.Text)
		}
		if h.p.Map.Size().Width < 700 {
			t.Errorf("map not resized: %v", h.p.Map.Size())
		}
	})
}

func TestLiveUpdateKeepsTheView(t *testing.T) {
	h := newHarness(t)
	var lat, lon float64
	h.do(t, func() {
		h.p.Map.SetView(0, 20, 5)
		h.tapUnit(t, -1.29, 36.82) // open GEN-002's card
		lat, lon = h.p.Map.Center()
		next := fleetOf()
		next[1].Online, next[1].LastSeen = true, now.Add(time.Minute) // back in contact
		next[1].GPS = &fleet.Position{Lat: -1.30, Lon: 36.90, FixTime: now.Add(time.Minute)}
		next[2].GPS = &fleet.Position{Lat: 5, Lon: 5, FixTime: now} // GEN-003 got a fix
		h.p.SetFleet(fleet.NewIndex(next), now.Add(time.Minute))
	})
	h.run(t, func() {
		if la, lo := h.p.Map.Center(); la != lat || lo != lon || h.p.Map.Zoom() != 5 {
			t.Errorf("sync moved the view to (%v, %v) z%d", la, lo, h.p.Map.Zoom())
		}
		ms := h.markers()
		if m := ms["GEN-002"]; m.Attention || m.Lon != 36.90 {
			t.Errorf("GEN-002 not updated: %+v", m)
		}
		if _, ok := ms["GEN-003"]; !ok || h.p.status.Text != "4 units on the map · 1 unit has no last known location" {
			t.Errorf("new fix not shown; status %q", h.p.status.Text)
		}
		if card := strings.Join(cardText(h.p), "\n"); !strings.Contains(card, "Online · Reporting normally") {
			t.Errorf("open card not refreshed:\n%s", card)
		}
	})
}

// A burst of snapshots and filter changes while markers are being built ends with the newest of
// both on the map, built at most once more, never an older result shown after a newer one.
func TestBurstOfChangesEndsOnTheNewest(t *testing.T) {
	h := newHarness(t)
	h.do(t, func() {
		for i := range 20 {
			ds := fleetOf()
			ds[0].GPS = &fleet.Position{Lat: float64(i), Lon: 10, FixTime: now}
			h.p.SetFleet(fleet.NewIndex(ds), now)
			if i == 10 {
				h.p.SetFilter(fleet.Filter{Text: "gen-00"})
			}
		}
		if !h.p.building || h.p.upToDate() {
			t.Fatal("the burst did not wait for a build off the UI goroutine")
		}
	})
	h.run(t, func() {
		ms := h.markers()
		if m, ok := ms["GEN-001"]; !ok || m.Lat != 19 || len(ms) != 2 {
			t.Fatalf("after the burst the map shows %v, want GEN-001 at its last position and GEN-002", ms)
		}
	})
}

func TestShowDeviceAndCoLocatedUnits(t *testing.T) {
	h := newHarness(t)
	h.do(t, func() {
		if !h.p.ShowDevice("ULT-005") {
			t.Fatal("ShowDevice failed")
		}
		if lat, lon := h.p.Map.Center(); abs(lat-40.71) > 1e-6 || abs(lon+74.0) > 1e-6 || h.p.Map.Zoom() < 12 {
			t.Errorf("centred on (%v, %v) z%d", lat, lon, h.p.Map.Zoom())
		}
		if card := cardText(h.p); len(card) == 0 || card[0] != "ULT-005" {
			t.Errorf("card %v", card)
		}
		if h.p.ShowDevice("NOPE") {
			t.Error("ShowDevice of an unknown unit succeeded")
		}
		// Two units at the same yard: a tap on their cluster lists both.
		ds := fleetOf()
		ds[2].GPS = &fleet.Position{Lat: 48.85, Lon: 2.35, FixTime: now}
		h.p.SetFleet(fleet.NewIndex(ds), now)
	})
	h.run(t, func() {
		h.p.Map.SetView(48.85, 2.35, 18)
		h.tapUnit(t, 48.85, 2.35)
		card := strings.Join(cardText(h.p), "\n")
		if !strings.Contains(card, "2 units here") || !strings.Contains(card, "GEN-001 · Quarry pump") {
			t.Fatalf("cluster card:\n%s", card)
		}
		test.Tap(findButton(h.p.cardBox, "GEN-003 · Farm"))
		if card := cardText(h.p); len(card) == 0 || card[0] != "GEN-003" {
			t.Errorf("row tap opened %v", card)
		}
	})
}

func TestBadTileConfigFallsBackToBasemap(t *testing.T) {
	test.NewTempApp(t)
	p := New(Options{Tiles: tiles.Config{Kind: tiles.KindMBTiles, MBTilesPath: "/nonexistent/region.mbtiles"},
		UI: func(func()) {}})
	defer p.Close()
	if p.tileErr == nil || !p.notice.Visible() || !strings.Contains(p.notice.Text, "built-in basemap") {
		t.Errorf("error %v notice %q", p.tileErr, p.notice.Text)
	}
	if p.Map.Loader().Attribution() != basemap.Attribution {
		t.Errorf("fell back to %q", p.Map.Loader().Attribution())
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestCardOnlyForAUnitInView (issue 21 item 11): the card shares the console's selection model. A
// search that hides the card's unit closes the card (Manage cannot open a unit the filters hide);
// the console's filter set here is not reported back; Show on map for a hidden unit clears the
// filters, and says so, before it opens the card.
func TestCardOnlyForAUnitInView(t *testing.T) {
	h := newHarness(t)
	h.landed(t)
	h.do(t, func() {
		if !h.p.ShowDevice("GEN-001") || !slices.Contains(cardText(h.p), "GEN-001") {
			t.Fatalf("no card for GEN-001: %v", cardText(h.p))
		}
		h.p.search.SetText("ultra") // the dealer types on the map
	})
	h.run(t, func() {
		if cardText(h.p) != nil {
			t.Fatalf("the card of a unit the search hides stays open: %v", cardText(h.p))
		}
		if len(h.filtered) != 1 || h.filtered[0].Text != "ultra" {
			t.Fatalf("the dealer's search reported %v", h.filtered)
		}
		h.p.showCard(fleet.Device{ID: "GEN-001"})
		if cardText(h.p) != nil {
			t.Fatal("a card opened for a unit out of view")
		}
		// The console's filter, written into the map's widgets, is not taken for the dealer's.
		h.filtered = nil
		h.p.SetFilter(fleet.Filter{Text: "gen", Health: []fleet.Health{fleet.HealthLost, fleet.HealthLive}, Models: []fleet.Model{fleet.ModelV5, fleet.ModelD100}})
		if len(h.filtered) != 0 {
			t.Fatalf("SetFilter reported back: %v", h.filtered)
		}
		if f := h.p.Filter(); len(f.Models) != 2 || len(f.Health) != 2 || f.Text != "gen" {
			t.Fatalf("the chips' echo changed the filter: %+v", f)
		}
	})
	// Show on map for a unit the filter hides: the filter goes (reported), the card opens.
	h.do(t, func() { h.p.SetFilter(fleet.Filter{Text: "ultra"}) })
	h.do(t, func() {
		if !h.p.ShowDevice("GEN-002") {
			t.Fatal("GEN-002 is not in the snapshot")
		}
	})
	h.run(t, func() {
		if !slices.Contains(cardText(h.p), "GEN-002") {
			t.Fatalf("no card for the hidden GEN-002: %v", cardText(h.p))
		}
		if !h.p.Filter().IsZero() || len(h.filtered) != 1 || !h.filtered[0].IsZero() {
			t.Fatalf("filter %+v, reported %v", h.p.Filter(), h.filtered)
		}
		test.Tap(findButton(h.p.Content(), "Manage"))
		if len(h.managed) != 1 || h.managed[0] != "GEN-002" {
			t.Fatalf("Manage opened %v", h.managed)
		}
	})
}

// cardText is the card's label and button texts in order, nil when it is closed.
func cardText(p *Page) []string {
	if !p.card.Visible() {
		return nil
	}
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Button:
			out = append(out, w.Text)
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		}
	}
	walk(p.cardBox)
	return out
}

// Issue 24 item 20: zoomed in to a city over the built-in basemap, the page says once where street
// detail comes from, in the app's words (Settings → Map tiles); at fleet zoom it says nothing.
func TestCityZoomSaysWhereStreetDetailComesFrom(t *testing.T) {
	h := newHarness(t)
	said := func() []string {
		var out []string
		for _, s := range uitest.Texts(h.p.Map) {
			if strings.Contains(s, "Map tiles") {
				out = append(out, s)
			}
		}
		return out
	}
	h.do(t, func() { h.p.Map.SetView(39.74, -104.99, 6) })
	h.run(t, func() {
		if s := said(); len(s) != 0 {
			t.Fatalf("at fleet zoom the map says %q", s)
		}
	})
	h.do(t, func() { h.p.Map.SetView(39.74, -104.99, 12) })
	h.loop.Eventually(t, 20*time.Second, "the note at city zoom", func() bool {
		h.p.Map.Refresh()
		return len(said()) == 1
	})
	h.run(t, func() {
		if s := said(); s[0] != detailNote {
			t.Fatalf("the map says %q", s)
		}
	})
}
