package basemap

import (
	"image"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// A hand-made quantized topology: one square built from two arcs, the second used reversed, so
// the test checks delta decoding, the transform, arc reversal and the dropped shared point.
const square = `{"type":"Topology","transform":{"scale":[0.5,0.25],"translate":[10,20]},
 "arcs":[[[0,0],[20,0],[0,40]],[[0,0],[0,40],[20,0]]],
 "objects":{"land":{"type":"GeometryCollection","geometries":[{"type":"Polygon","arcs":[[0,-2]]}]}}}`

func TestDecodeLandQuantized(t *testing.T) {
	polys, err := DecodeLand([]byte(square))
	if err != nil {
		t.Fatal(err)
	}
	if len(polys) != 1 || len(polys[0]) != 1 {
		t.Fatalf("want one polygon with one ring, got %v", polys)
	}
	// arc 0 runs (10,20) (20,20) (20,30); arc 1 reversed runs (20,30) (10,30) (10,20).
	want := Ring{{10, 20}, {20, 20}, {20, 30}, {10, 30}}
	got := polys[0][0]
	if len(got) != len(want) {
		t.Fatalf("ring %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i][0]-want[i][0]) > 1e-9 || math.Abs(got[i][1]-want[i][1]) > 1e-9 {
			t.Fatalf("ring %v, want %v", got, want)
		}
	}
}

func TestDecodeLandErrors(t *testing.T) {
	cases := map[string]string{
		"not json":       `{"type":`,
		"wrong type":     `{"type":"FeatureCollection","features":[]}`,
		"arc index":      `{"type":"Topology","arcs":[[[0,0],[1,1]]],"objects":{"a":{"type":"Polygon","arcs":[[5]]}}}`,
		"short point":    `{"type":"Topology","arcs":[[[0]]],"objects":{}}`,
		"no polygons":    `{"type":"Topology","arcs":[],"objects":{"a":{"type":"LineString","arcs":[0]}}}`,
		"bad arcs shape": `{"type":"Topology","arcs":[],"objects":{"a":{"type":"MultiPolygon","arcs":[1,2]}}}`,
	}
	for name, in := range cases {
		if _, err := DecodeLand([]byte(in)); err == nil {
			t.Errorf("%s: want an error", name)
		} else if !strings.HasPrefix(err.Error(), "basemap:") {
			t.Errorf("%s: error %q does not say where it comes from", name, err)
		}
	}
}

func TestEmbeddedLand(t *testing.T) {
	for name, data := range map[string][]byte{"110m": land110m, "50m": land50m} {
		polys, err := DecodeLand(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(polys) < 100 {
			t.Errorf("%s: only %d polygons", name, len(polys))
		}
		for _, p := range polys {
			for _, r := range p {
				for _, pt := range r {
					if pt[0] < -180.001 || pt[0] > 180.001 || pt[1] < -90.001 || pt[1] > 90.001 {
						t.Fatalf("%s: point %v outside lon/lat range", name, pt)
					}
				}
			}
		}
	}
}

// pixelAt is the colour of the basemap at lon/lat on zoom z.
func pixelAt(t *testing.T, r *Renderer, lon, lat float64, z maptile.Zoom) [3]uint8 {
	t.Helper()
	f := maptile.Fraction(orb.Point{lon, lat}, z)
	tile := maptile.At(orb.Point{lon, lat}, z)
	img := r.Render(uint8(z), tile.X, tile.Y)
	x := int((f[0] - float64(tile.X)) * TileSize)
	y := int((f[1] - float64(tile.Y)) * TileSize)
	c := img.RGBAAt(x, y)
	return [3]uint8{c.R, c.G, c.B}
}

func rgb(c interface{ RGBA() (r, g, b, a uint32) }) [3]uint8 {
	r, g, b, _ := c.RGBA()
	return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
}

func TestRenderLandAndSea(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	land, sea := rgb(LandColor), rgb(SeaColor)
	places := []struct {
		name     string
		lon, lat float64
		want     [3]uint8
	}{
		{"Sahara", 2, 27, land}, // deep in Algeria: a pixel at z0 spans 1.4°, so keep clear of borders
		{"central Australia", 134, -25, land},
		{"Siberia", 100, 62, land},
		{"Kansas", -98, 38.5, land},
		{"mid Pacific", -150, 0, sea},
		{"mid Atlantic", -35, 30, sea},
		{"Indian Ocean", 75, -20, sea},
	}
	for _, z := range []maptile.Zoom{0, 2, 5, 9, 14, 19} {
		for _, p := range places {
			if got := pixelAt(t, r, p.lon, p.lat, z); got != p.want {
				t.Errorf("z%d %s: colour %v, want %v", z, p.name, got, p.want)
			}
		}
	}
}

func TestRenderCoastAndAntimeridian(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// A tile across a coastline holds land, sea and coast-coloured pixels.
	tile := maptile.At(orb.Point{-9.2, 38.7}, 6) // Lisbon
	img := r.Render(6, tile.X, tile.Y)
	seen := map[[3]uint8]bool{}
	for y := 0; y < TileSize; y++ {
		for x := 0; x < TileSize; x++ {
			seen[rgb(img.At(x, y))] = true
		}
	}
	if !seen[rgb(LandColor)] || !seen[rgb(SeaColor)] || len(seen) < 4 {
		t.Errorf("coast tile has %d colours; want land, sea and coastline shades", len(seen))
	}
	// Chukotka straddles 180°: both sides of the antimeridian are land.
	if got := pixelAt(t, r, 179.5, 66.5, 4); got != rgb(LandColor) {
		t.Errorf("Chukotka west of 180: %v", got)
	}
	if got := pixelAt(t, r, -179.5, 66.5, 4); got != rgb(LandColor) {
		t.Errorf("Chukotka east of 180: %v", got)
	}
	// Antarctica circles the pole; the bottom row of the world is land.
	if got := pixelAt(t, r, 60, -84, 1); got != rgb(LandColor) {
		t.Errorf("Antarctica: %v", got)
	}
	if b := r.Render(0, 0, 0).Bounds(); b != image.Rect(0, 0, TileSize, TileSize) {
		t.Errorf("tile bounds %v", b)
	}
}

func BenchmarkRenderTile(b *testing.B) {
	r, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	tiles := []maptile.Tile{maptile.New(0, 0, 0), maptile.At(orb.Point{-9.2, 38.7}, 6), maptile.At(orb.Point{12, 55}, 9)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := tiles[i%len(tiles)]
		r.Render(uint8(t.Z), t.X, t.Y)
	}
}
