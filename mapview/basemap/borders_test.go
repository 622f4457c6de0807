package basemap

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Two countries side by side, A = (0,0)-(10,10) and B = (10,0)-(20,10), sharing arc 1 (the
// x=10 edge, used forward by A and reversed by B), plus a one-geometry "land" object made of
// their coast arcs, as world-atlas ships it. Country A also has an island whose two arcs only A
// uses. Only arc 1 is a border: the coast arcs are used twice too, but by different objects or
// by one feature, and neither makes a border.
const twoCountries = `{"type":"Topology",
 "arcs":[
  [[10,10],[0,10],[0,0],[10,0]],
  [[10,0],[10,5],[10,10]],
  [[10,0],[20,0],[20,10],[10,10]],
  [[30,30],[31,30],[31,31]],
  [[31,31],[30,31],[30,30]]],
 "objects":{
  "countries":{"type":"GeometryCollection","geometries":[
   {"type":"MultiPolygon","arcs":[[[0,1]],[[3,4]]]},
   {"type":"Polygon","arcs":[[2,-2]]}]},
  "land":{"type":"GeometryCollection","geometries":[
   {"type":"MultiPolygon","arcs":[[[0,2]],[[3,4]]]}]}}}`

func TestDecodeBorders(t *testing.T) {
	lines, err := DecodeBorders([]byte(twoCountries))
	if err != nil {
		t.Fatal(err)
	}
	want := Line{{10, 0}, {10, 5}, {10, 10}}
	if len(lines) != 1 || len(lines[0]) != len(want) {
		t.Fatalf("borders %v, want just %v", lines, want)
	}
	for i := range want {
		if lines[0][i] != want[i] {
			t.Fatalf("border %v, want %v", lines[0], want)
		}
	}
	// The land file alone has no internal borders at all.
	if _, err := DecodeBorders(land110m); err == nil || !strings.Contains(err.Error(), "no borders") {
		t.Errorf("land-110m: want a no-borders error, got %v", err)
	}
}

func TestDecodeBordersErrors(t *testing.T) {
	cases := map[string]string{
		"not json":       `[`,
		"wrong type":     `{"type":"Feature"}`,
		"arc index":      `{"type":"Topology","arcs":[[[0,0],[1,1]]],"objects":{"a":{"type":"GeometryCollection","geometries":[{"type":"LineString","arcs":[0]},{"type":"LineString","arcs":[-3]}]}}}`,
		"bad arcs shape": `{"type":"Topology","arcs":[[[0,0],[1,1]]],"objects":{"a":{"type":"Polygon","arcs":[0]}}}`,
		"not a geometry": `{"type":"Topology","arcs":[],"objects":{"a":7}}`,
		"too deep":       `{"type":"Topology","arcs":[],"objects":{"a":{"type":"GeometryCollection","geometries":[` + strings.Repeat(`{"type":"GeometryCollection","geometries":[`, 40) + strings.Repeat(`]}`, 40) + `]}}}`,
	}
	for name, in := range cases {
		if _, err := DecodeBorders([]byte(in)); err == nil {
			t.Errorf("%s: want an error", name)
		} else if !strings.HasPrefix(err.Error(), "basemap:") {
			t.Errorf("%s: error %q does not say where it comes from", name, err)
		}
	}
}

func TestEmbeddedBorders(t *testing.T) {
	for name, data := range map[string][]byte{"110m": countries110m, "50m": countries50m} {
		lines, err := DecodeBorders(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(lines) < 100 {
			t.Errorf("%s: only %d border lines", name, len(lines))
		}
		// The USA–Canada border runs along 49°N across the prairies.
		found := false
		for _, l := range lines {
			for _, p := range l {
				if math.Abs(p[0]+100) < 1 && math.Abs(p[1]-49) < 0.01 {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: no border point on 49°N near 100°W", name)
		}
	}
}

func dist(a, b color.RGBA) int {
	return abs(int(a.R)-int(b.R)) + abs(int(a.G)-int(b.G)) + abs(int(a.B)-int(b.B))
}

// bordered counts pixels that are plain land without borders and lean towards BorderColor with
// them, and fails if any sea pixel changed.
func bordered(t *testing.T, with, without *image.RGBA) int {
	t.Helper()
	n := 0
	for y := 0; y < TileSize; y++ {
		for x := 0; x < TileSize; x++ {
			a, b := with.RGBAAt(x, y), without.RGBAAt(x, y)
			if b == SeaColor && a != SeaColor {
				t.Fatalf("sea pixel (%d,%d) became %v", x, y, a)
			}
			if b == LandColor && dist(a, BorderColor) < dist(a, LandColor) {
				n++
			}
		}
	}
	return n
}

func TestRenderBorders(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	plain := r.WithBorders(nil, nil) // same states and labels, no country borders
	render := func(rr *Renderer, lon, lat float64, z maptile.Zoom) *image.RGBA {
		tile := maptile.At(orb.Point{lon, lat}, z)
		return rr.Render(uint8(z), tile.X, tile.Y)
	}
	inland := []struct {
		name     string
		lon, lat float64
		z        maptile.Zoom
	}{
		{"France–Switzerland–Italy", 7, 46.5, 5},
		{"USA–Canada prairies", -100, 49.2, 6},
		{"Europe at z2 (110m data)", 10, 50, 2},
		{"Germany–Poland at z9", 14.6, 52.5, 9},
	}
	for _, c := range inland {
		n := bordered(t, render(r, c.lon, c.lat, c.z), render(plain, c.lon, c.lat, c.z))
		if n < 100 {
			t.Errorf("%s: %d border pixels, want a visible line", c.name, n)
		}
		if n0 := bordered(t, render(plain, c.lon, c.lat, c.z), render(plain, c.lon, c.lat, c.z)); n0 != 0 {
			t.Errorf("%s: renderer without borders draws %d border pixels", c.name, n0)
		}
	}

	// The 49th parallel itself is drawn: the pixel row where it crosses the tile is border-coloured.
	z := maptile.Zoom(6)
	tile := maptile.At(orb.Point{-100, 49.2}, z)
	img := r.Render(uint8(z), tile.X, tile.Y)
	f := maptile.Fraction(orb.Point{-100, 49}, z)
	x, y := int((f[0]-float64(tile.X))*TileSize), int((f[1]-float64(tile.Y))*TileSize)
	darkest := LandColor
	for dy := -1; dy <= 1; dy++ {
		if c := img.RGBAAt(x, y+dy); dist(c, BorderColor) < dist(darkest, BorderColor) {
			darkest = c
		}
	}
	if dist(darkest, BorderColor) >= dist(darkest, LandColor) {
		t.Errorf("49°N at (%d,%d): %v, want border-coloured", x, y, darkest)
	}

	// Open ocean (with a few atolls at z3) looks the same with borders as without.
	for _, z := range []maptile.Zoom{3, 5, 9} {
		img, want := render(r, -150, 0, z), render(plain, -150, 0, z)
		sea := 0
		for py := 0; py < TileSize; py++ {
			for px := 0; px < TileSize; px++ {
				c := img.RGBAAt(px, py)
				if c != want.RGBAAt(px, py) {
					t.Fatalf("z%d mid Pacific: pixel (%d,%d) is %v with borders, %v without", z, px, py, c, want.RGBAAt(px, py))
				}
				if c == SeaColor {
					sea++
				}
			}
		}
		if sea < TileSize*TileSize*9/10 {
			t.Errorf("z%d mid Pacific: only %d sea pixels", z, sea)
		}
	}
}

func TestClipSegment(t *testing.T) {
	near := func(p, q vec) bool { return math.Abs(p.x-q.x) < 1e-6 && math.Abs(p.y-q.y) < 1e-6 }
	a, b, ok := clipSegment(vec{-1e9, 5}, vec{1e9, 5}, 0, 10)
	if !ok || !near(a, vec{0, 5}) || !near(b, vec{10, 5}) {
		t.Errorf("horizontal: %v %v %v", a, b, ok)
	}
	if _, _, ok := clipSegment(vec{-5, -5}, vec{-1, 20}, 0, 10); ok {
		t.Error("segment left of the square was kept")
	}
	a, b, ok = clipSegment(vec{2, 3}, vec{4, 5}, 0, 10)
	if !ok || a != (vec{2, 3}) || b != (vec{4, 5}) {
		t.Errorf("inside: %v %v %v", a, b, ok)
	}
}

// A border line that runs out to sea (as a maritime line in some other data set would) is drawn
// on land only: the sea keeps one colour.
func TestBordersStayOnLand(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	b := NewBorders([]Line{{{-7, 38.9}, {-8.5, 39}, {-11, 39.1}}}) // inland Portugal out to the Atlantic
	tile := maptile.At(orb.Point{-9.2, 38.7}, 6)
	with := r.WithBorders(b, b).Render(6, tile.X, tile.Y)
	without := r.WithBorders(nil, nil).Render(6, tile.X, tile.Y) // same labels and states, no country borders
	if n := bordered(t, with, without); n < 20 {
		t.Errorf("only %d border pixels on land", n)
	}
}

// BenchmarkRenderBorderTile renders inland tiles where borders are most of the work: the Alps at
// z5, the 49th parallel at z6 and the Germany–Poland border at z12.
func BenchmarkRenderBorderTile(b *testing.B) {
	r, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	tiles := []maptile.Tile{maptile.At(orb.Point{7, 46.5}, 5), maptile.At(orb.Point{-100, 49.2}, 6), maptile.At(orb.Point{14.6, 52.5}, 12)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := tiles[i%len(tiles)]
		r.Render(uint8(t.Z), t.X, t.Y)
	}
}

// BenchmarkDecodeBorders50m is the one-off start-up cost of the fine border data.
func BenchmarkDecodeBorders50m(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := DecodeBorders(countries50m); err != nil {
			b.Fatal(err)
		}
	}
}
