package mapview

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func TestProjectionRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 10000; i++ {
		lat := rng.Float64()*170 - 85
		lon := rng.Float64()*359.99 - 180
		p := project(lat, lon)
		la, lo := unproject(p)
		if math.Abs(la-lat) > 1e-9 || math.Abs(lo-lon) > 1e-9 {
			t.Fatalf("(%v, %v) came back as (%v, %v)", lat, lon, la, lo)
		}
		// The tile the widget draws a point in is the tile orb says holds it.
		for _, z := range []maptile.Zoom{0, 3, 11, 19} {
			n := math.Exp2(float64(z))
			want := maptile.At(orb.Point{lon, lat}, z)
			if got := maptile.New(uint32(p.x*n), uint32(p.y*n), z); got != want {
				t.Fatalf("(%v, %v) z%d: tile %v, orb says %v", lat, lon, z, got, want)
			}
			// And the point lies inside that tile's geographic bound.
			if b := want.Bound(); !b.Contains(orb.Point{lon, lat}) {
				t.Fatalf("(%v, %v) outside its tile's bound %v", lat, lon, b)
			}
		}
	}
	// Beyond Mercator's limit the point sticks to the world's edge rather than leaving it.
	if p := project(89.9, 0); p.y != 0 {
		t.Errorf("north pole projects to y=%v", p.y)
	}
	if p := project(-89.9, 180); p.y >= 1 || p.x >= 1 {
		t.Errorf("south-east corner projects to %v", p)
	}
}

// waitTiles lets the loader finish and runs the refreshes it posted, on the test goroutine.
func waitTiles(t *testing.T, m *Map, posted chan func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 5; i++ {
		if err := m.loader.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		for drained := false; !drained; {
			select {
			case f := <-posted:
				f()
			default:
				drained = true
			}
		}
	}
}

// newTestMap is a map over the offline basemap whose background refreshes queue for the test
// goroutine instead of racing it.
func newTestMap(t *testing.T) (*Map, chan func()) {
	t.Helper()
	l, err := tiles.Open(tiles.Config{Kind: tiles.KindBasemap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	m := New(l)
	posted := make(chan func(), 1024)
	m.post = func(f func()) { posted <- f }
	return m, posted
}

func showMap(t *testing.T, m *Map, w, h float32) fyne.Window {
	t.Helper()
	win := test.NewTempWindow(t, m)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	return win
}

func TestPanZoomAndResizeKeepTheView(t *testing.T) {
	test.NewTempApp(t)
	m, _ := newTestMap(t)
	showMap(t, m, 600, 400)
	m.SetView(48.85, 2.35, 6)

	// Drag: the map moves with the pointer by exactly the dragged distance.
	before := m.ScreenPosition(48.85, 2.35)
	m.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: 40, DY: -25}})
	after := m.ScreenPosition(48.85, 2.35)
	if math.Abs(float64(after.X-before.X-40)) > 0.01 || math.Abs(float64(after.Y-before.Y+25)) > 0.01 {
		t.Errorf("Paris moved from %v to %v on a (40, -25) drag", before, after)
	}

	// Wheel zoom around the pointer: the point under the pointer stays under it.
	cursor := fyne.NewPos(450, 120)
	lat, lon := m.pointAt(cursor)
	m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: cursor}, Scrolled: fyne.Delta{DY: 10}})
	if m.Zoom() != 7 {
		t.Fatalf("zoom %d after one notch in", m.Zoom())
	}
	if p := m.ScreenPosition(lat, lon); math.Abs(float64(p.X-cursor.X)) > 0.01 || math.Abs(float64(p.Y-cursor.Y)) > 0.01 {
		t.Errorf("point under the pointer moved to %v", p)
	}
	// Touchpad: small deltas add up to one notch.
	for i := 0; i < 4; i++ {
		m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: cursor}, Scrolled: fyne.Delta{DY: -3}})
	}
	if m.Zoom() != 6 {
		t.Errorf("zoom %d after 12 units of touchpad scroll out", m.Zoom())
	}
	// A Linux or Windows wheel notch (25 units) is one level too, not two.
	m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: cursor}, Scrolled: fyne.Delta{DY: -25}})
	m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: cursor}, Scrolled: fyne.Delta{DY: 25}})
	if m.Zoom() != 6 {
		t.Errorf("zoom %d after a notch out and in", m.Zoom())
	}
	m.DoubleTapped(&fyne.PointEvent{Position: cursor})
	if m.Zoom() != 7 {
		t.Errorf("double-click: zoom %d", m.Zoom())
	}
	if p := m.ScreenPosition(lat, lon); math.Abs(float64(p.X-cursor.X)) > 0.01 {
		t.Errorf("double-click moved the point under the pointer to %v", p)
	}

	// Resize keeps the centre.
	clat, clon := m.Center()
	m.Resize(fyne.NewSize(900, 700))
	if la, lo := m.Center(); math.Abs(la-clat) > 1e-9 || math.Abs(lo-clon) > 1e-9 || m.Zoom() != 7 {
		t.Errorf("resize moved the view from (%v, %v) to (%v, %v)", clat, clon, la, lo)
	}

	// Zoom limits hold.
	for i := 0; i < 30; i++ {
		m.SetZoom(m.Zoom() + 1)
	}
	if m.Zoom() != 19 {
		t.Errorf("max zoom %d", m.Zoom())
	}
}

// pointAt is the geographic point under a widget position.
func (m *Map) pointAt(pos fyne.Position) (lat, lon float64) {
	sz := m.Size()
	world := m.worldSize()
	return unproject(worldPoint{m.center.x + float64(pos.X-sz.Width/2)/world, m.center.y + float64(pos.Y-sz.Height/2)/world})
}

func TestFitMarkersAndTap(t *testing.T) {
	test.NewTempApp(t)
	m, _ := newTestMap(t)
	markers := []Marker{
		{ID: "lisbon", Lat: 38.72, Lon: -9.14, Color: color.NRGBA{0, 200, 0, 255}},
		{ID: "warsaw", Lat: 52.23, Lon: 21.01, Color: color.NRGBA{0, 200, 0, 255}},
		{ID: "athens", Lat: 37.98, Lon: 23.73, Attention: true},
	}
	m.SetMarkers(markers)
	m.FitMarkers() // before the widget has a size: happens at first layout
	showMap(t, m, 640, 480)
	if m.Zoom() < 3 || m.Zoom() > 5 {
		t.Errorf("fit chose zoom %d for Europe in 640x480", m.Zoom())
	}
	for _, mk := range markers {
		p := m.ScreenPosition(mk.Lat, mk.Lon)
		if p.X < 0 || p.Y < 0 || p.X > 640 || p.Y > 480 {
			t.Errorf("%s at %v is off screen after fit", mk.ID, p)
		}
	}
	var got []Marker
	calls := 0
	m.OnTap = func(items []Marker) { got = items; calls++ }
	test.TapAt(m, m.ScreenPosition(52.23, 21.01))
	if calls != 1 || len(got) != 1 || got[0].ID != "warsaw" {
		t.Fatalf("tap on Warsaw gave %v", got)
	}
	test.TapAt(m, fyne.NewPos(630, 20)) // open sea in the corner
	if calls != 2 || got != nil {
		t.Errorf("tap on nothing gave %v", got)
	}
	// Zoomed out, the three merge; tapping the cluster hands back all three.
	m.SetView(45, 8, 0)
	test.TapAt(m, m.ScreenPosition(markers[0].Lat, markers[0].Lon))
	if len(got) != 3 {
		t.Fatalf("at zoom 0 the tap gave %d markers", len(got))
	}
	// A resize after the dealer moved the view does not re-fit.
	m.Resize(fyne.NewSize(500, 300))
	if m.Zoom() != 0 {
		t.Errorf("resize re-fitted to zoom %d", m.Zoom())
	}
}

// TestNeverBlank: over a tile server that never answers, every visible tile has an image from the
// first frame (an ancestor or the basemap world tile), and placing them does not wait on the network.
func TestNeverBlank(t *testing.T) {
	test.NewTempApp(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	src, err := tiles.NewHTTPSource(srv.URL+"/{z}/{x}/{y}.png", tiles.HTTPOptions{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	l, err := tiles.NewLoader(tiles.LoaderOptions{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := New(l)
	m.SetDispatcher(func(func()) {})
	showMap(t, m, 512, 512)
	start := time.Now()
	m.SetView(10, 10, 9)
	// Waiting on the hanging server would take the source's minute-long timeout; 20 s tells that
	// apart however loaded the machine is.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("a view change waited %v on a hanging server", d)
	}
	r := test.WidgetRenderer(m).(*mapRenderer)
	if len(r.tiles) < 4 {
		t.Fatalf("only %d tiles placed", len(r.tiles))
	}
	for k, o := range r.tiles {
		if o.img.Image == nil || o.img.Image.Bounds().Empty() {
			t.Errorf("tile %v drawn blank", k)
			continue
		}
		// GL uploads RGBA pixels row by row assuming a compact stride from the origin.
		if rgba, ok := o.img.Image.(*image.RGBA); !ok || rgba.Rect.Min != (image.Point{}) || rgba.Stride != 4*rgba.Rect.Dx() {
			t.Errorf("tile %v stand-in is not a compact RGBA image", k)
		}
	}
}
