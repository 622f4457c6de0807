package mapview

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
)

func newBenchMap(b *testing.B) (*Map, func()) {
	l, err := tiles.Open(tiles.Config{Kind: tiles.KindBasemap})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	a := test.NewApp()
	m := New(l)
	m.post = func(func()) {}
	w := a.NewWindow("bench")
	w.SetContent(m)
	w.Resize(fyne.NewSize(1280, 800))
	return m, func() { w.Close() }
}

// TestGoldenBasemapWithMarkers renders the widget over the offline basemap with single markers,
// a green cluster with a red badge (one of its four needs attention) and a green cluster, over
// state borders and place names, in the fixed test theme, and compares it with the master
// in testdata/ (a mismatch writes the actual image to testdata/failed/).
func TestGoldenBasemapWithMarkers(t *testing.T) {
	test.NewTempApp(t)
	m, posted := newTestMap(t)
	greenC := color.NRGBA{0x2e, 0x9e, 0x44, 0xff}
	var ms []Marker
	for i := 0; i < 6; i++ { // a green cluster near Madrid
		ms = append(ms, Marker{ID: "m" + string(rune('a'+i)), Lat: 40.4 + float64(i)*0.05, Lon: -3.7 + float64(i)*0.04, Color: greenC})
	}
	for i := 0; i < 4; i++ { // near Berlin: one member needs attention, a red badge "1"
		ms = append(ms, Marker{ID: "b" + string(rune('a'+i)), Lat: 52.5 + float64(i)*0.03, Lon: 13.4, Color: greenC, Attention: i == 2})
	}
	ms = append(ms,
		Marker{ID: "oslo", Lat: 59.9, Lon: 10.75, Color: greenC},
		Marker{ID: "rome", Lat: 41.9, Lon: 12.5, Color: AttentionColor, Attention: true},
		Marker{ID: "dublin", Lat: 53.35, Lon: -6.26, Color: greenC},
	)
	m.SetMarkers(ms)
	prepare(t, 4) // the place names, drawn above the markers
	m.SetView(49, 5, 4)
	w := showMap(t, m, 480, 360)
	waitTiles(t, m, posted)
	m.Refresh()
	test.AssertImageMatches(t, "map_basemap_markers.png", w.Canvas().Capture())
}
