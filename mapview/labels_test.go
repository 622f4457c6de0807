package mapview

import (
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/mapview/basemap"
)

// Issue 24 item 20: at fleet zoom the dealer's units sit in clusters on the very cities whose
// names orient them; a cluster drawn over its city's name hid it. The names are drawn above the
// markers, each beside its place or beside the cluster over it, and never on a cluster, a badge
// or another name: neither hides the other.
func TestPlaceNamesAndClustersDoNotHideEachOther(t *testing.T) {
	test.NewTempApp(t)
	m, posted := newTestMap(t)
	green := color.NRGBA{0x2e, 0x9e, 0x44, 0xff}
	cities := map[string][2]float64{"Denver": {39.74, -104.99}, "Omaha": {41.26, -95.94}, "Wichita": {37.69, -97.34},
		"Kansas City": {39.10, -94.58}, "Oklahoma City": {35.47, -97.52}, "Des Moines": {41.59, -93.62}}
	var ms []Marker
	for name, ll := range cities {
		for i := 0; i < 30; i++ { // units around each city, a few needing attention
			ms = append(ms, Marker{ID: name + string(rune('a'+i)), Lat: ll[0] + float64(i%6-3)*0.04, Lon: ll[1] + float64(i/6-2)*0.05,
				Color: green, Attention: i%9 == 0})
		}
	}
	m.SetMarkers(ms)
	showMap(t, m, 1000, 620)
	prepare(t, 5, 6, 7)
	for _, z := range []int{5, 6, 7} {
		m.SetView(39, -99, z)
		waitTiles(t, m, posted)
		m.Refresh()
		r := test.WidgetRenderer(m).(*mapRenderer)
		named := map[string]bool{}
		var boxes []box
		for name, o := range r.places {
			p, s := o.img.Position(), o.img.Size()
			b := box{p.X, p.Y, p.X + s.Width, p.Y + s.Height}
			for i := range m.hits {
				h := &m.hits[i]
				if b.touchesCircle(h.x, h.y, h.obstacle()-1) {
					t.Errorf("zoom %d: %q is drawn on a marker or cluster (%.0f,%.0f r %.0f)", z, name, h.x, h.y, h.r)
				}
			}
			for _, o := range boxes {
				if b.overlaps(o) {
					t.Errorf("zoom %d: %q overlaps another name", z, name)
				}
			}
			boxes = append(boxes, b)
			named[name] = true
		}
		// The cities under the clusters that this zoom names (the basemap's choice for the view)
		// are named all the same, beside their cluster.
		ls, _ := basemap.DefaultLabels()
		world := m.worldSize()
		left, top := m.center.x*world-500, m.center.y*world-310
		shown := 0
		for _, l := range ls.In(z, left, top, left+1000, top+620) {
			if _, ok := cities[l.Name]; ok {
				shown++
				if !named[l.Name] {
					t.Errorf("zoom %d: %s, under a cluster, is not named (named: %v)", z, l.Name, keys(named))
				}
			}
		}
		if shown < 3 {
			t.Fatalf("zoom %d: only %d of the cities are in view and named by the basemap: a useless probe", z, shown)
		}
		// And the names are drawn after (above) every marker.
		objs := r.Objects()
		lastMarker, firstName := -1, len(objs)
		for i, o := range objs {
			switch o := o.(type) {
			case *canvas.Circle:
				if o.FillColor == green {
					lastMarker = i
				}
			case *canvas.Image:
				for _, p := range r.places {
					if p.img == o && i < firstName {
						firstName = i
					}
				}
			}
		}
		if firstName < lastMarker {
			t.Errorf("zoom %d: a name is drawn under a marker", z)
		}
	}
}

// Issue 24 item 20: zoomed in past what the built-in basemap holds (towns and borders), the map
// says once, at the top, where street detail comes from; at fleet zoom it says nothing.
func TestDetailNotePastTheBasemap(t *testing.T) {
	test.NewTempApp(t)
	m, posted := newTestMap(t)
	showMap(t, m, 1000, 620)
	note := func() string {
		for _, o := range test.WidgetRenderer(m).Objects() {
			if tx, ok := o.(*canvas.Text); ok && strings.Contains(strings.ToLower(tx.Text), "street detail") {
				return tx.Text
			}
		}
		return ""
	}
	prepare(t, 6, 11)
	m.SetView(39.74, -104.99, 6)
	waitTiles(t, m, posted)
	m.Refresh()
	if n := note(); n != "" {
		t.Fatalf("at fleet zoom the map says %q", n)
	}
	m.SetView(39.74, -104.99, 11)
	waitTiles(t, m, posted)
	m.Refresh()
	if n := note(); n != DefaultDetailNote {
		t.Fatalf("at city zoom the map says %q", n)
	}
	// The suburbs are named at city zoom: not a blank beige with one label.
	if n := len(test.WidgetRenderer(m).(*mapRenderer).places); n < 8 {
		t.Fatalf("%d names at city zoom over Denver", n)
	}
	m.SetDetailNote("Street detail: Settings → Map tiles")
	if n := note(); n != "Street detail: Settings → Map tiles" {
		t.Fatalf("the page's note is not the one shown: %q", n)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// prepare chooses the names of these zooms now, as the map does in the background on a first
// visit, so a frame drawn next has them.
func prepare(t *testing.T, zooms ...int) {
	ls, err := basemap.DefaultLabels()
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zooms {
		ls.Prepare(z)
	}
}
