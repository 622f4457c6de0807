package basemap

import (
	"image"
	"image/png"
	"math"
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func TestEmbeddedPlaces(t *testing.T) {
	ps := ParsePlaces(placesTSV)
	if len(ps) < 20000 || len(ps) > 30000 {
		t.Fatalf("%d places embedded", len(ps))
	}
	byName := map[string]Place{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	// Towns of 20,000 too, so a city zoom still names its suburbs (issue 24 item 20).
	for _, name := range []string{"Kansas City", "Denver", "Munich", "Nairobi", "Canberra", "Delhi", "Ankara",
		"Lakewood", "Arvada", "Castle Rock", "Pierre"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if !byName["Canberra"].Capital || byName["Munich"].Capital || !byName["Pierre"].Admin || byName["Arvada"].Admin {
		t.Error("capital flags wrong")
	}
	if bad := ParsePlaces([]byte("# c\nx\t1\nA\t91\t0\t5\t\nB\t10\t20\tnope\nC\t10\t20\t300000\tP\n")); len(bad) != 1 || bad[0].Name != "C" {
		t.Errorf("bad lines not skipped: %+v", bad)
	}
}

// Issue 11 item 20: at fleet zoom over the US plains the built-in basemap shows state borders and
// place names, not plain beige.
func TestBasemapReadableInland(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	labels, err := DefaultLabels()
	if err != nil {
		t.Fatal(err)
	}
	// Kansas at zoom 5: inland, no coast, no country border. (The map draws the names above its
	// markers; rendered into the tile here to count them.)
	tile := maptile.At(orb.Point{-96, 38.5}, 5)
	full := r.WithStates(r.states, labels).Render(uint8(tile.Z), tile.X, tile.Y)
	bare := New(r.coarse, r.fine).WithBorders(r.bCoarse, r.bFine).Render(uint8(tile.Z), tile.X, tile.Y)
	states := r.WithStates(r.states, nil).Render(uint8(tile.Z), tile.X, tile.Y)
	if n := differ(bare, states); n < 200 {
		t.Errorf("state borders changed only %d pixels of an inland Kansas tile", n)
	}
	dark := 0
	for i := 0; i < len(full.Pix); i += 4 {
		if full.Pix[i] < 0x60 && full.Pix[i+1] < 0x60 && full.Pix[i+2] < 0x60 {
			dark++
		}
	}
	if dark < 30 {
		t.Errorf("only %d dark (label) pixels: no place names at fleet zoom", dark)
	}
	if os.Getenv("BASEMAP_PNG") != "" {
		f, _ := os.Create(os.Getenv("BASEMAP_PNG"))
		png.Encode(f, full)
		f.Close()
	}
}

func differ(a, b *image.RGBA) int {
	n := 0
	for i := 0; i < len(a.Pix); i += 4 {
		if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
			n++
		}
	}
	return n
}

// A label that crosses a tile edge is drawn in both tiles so that the halves meet: the two tiles'
// labels side by side are exactly the pair drawn as one image.
func TestLabelsMeetAcrossTileEdges(t *testing.T) {
	labels, err := DefaultLabels()
	if err != nil {
		t.Fatal(err)
	}
	r := &Renderer{labels: labels}
	const z = 6
	crossed := 0
	for _, lb := range r.labels.at(z) {
		tx := int(math.Floor(lb.x / TileSize))
		if int(math.Floor((lb.x+50)/TileSize)) == tx {
			continue // wants a label that runs over its tile's right edge
		}
		crossed++
		ty := math.Floor(lb.y/TileSize) * TileSize
		left := image.NewRGBA(image.Rect(0, 0, TileSize, TileSize))
		right := image.NewRGBA(image.Rect(0, 0, TileSize, TileSize))
		r.labels.drawAt(left, z, float64(tx)*TileSize, ty)
		r.labels.drawAt(right, z, float64(tx+1)*TileSize, ty)
		stitched := image.NewRGBA(image.Rect(0, 0, 2*TileSize, TileSize))
		for y := 0; y < TileSize; y++ {
			copy(stitched.Pix[y*stitched.Stride:], left.Pix[y*left.Stride:(y+1)*left.Stride])
			copy(stitched.Pix[y*stitched.Stride+4*TileSize:], right.Pix[y*right.Stride:(y+1)*right.Stride])
		}
		whole := image.NewRGBA(stitched.Bounds())
		r.labels.drawAt(whole, z, float64(tx)*TileSize, ty)
		if n := differ(stitched, whole); n > 0 {
			t.Fatalf("label %q across tiles %d/%d: %d pixels differ from one continuous drawing", lb.name, tx, tx+1, n)
		}
		if crossed == 5 {
			return
		}
	}
	if crossed == 0 {
		t.Fatal("no label crosses a tile edge at zoom 6: a useless probe")
	}
}

// Default's tiles carry no place names (the map draws them above its markers); the names are
// there for the map at every zoom from 3, more as it zooms in, and a city zoom has its suburbs.
func TestDefaultLabelsForTheMap(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	labels, err := DefaultLabels()
	if err != nil || labels == nil {
		t.Fatal(err)
	}
	if r.labels != nil {
		t.Fatal("the default tiles draw place names, under the markers")
	}
	denver := orb.Point{-104.99, 39.74}
	count := func(z int, span float64) []Label {
		scale := TileSize * math.Exp2(float64(z))
		x, y := (denver[0]+180)/360*scale, mercY(denver[1])*scale
		return labels.In(z, x-span, y-span, x+span, y+span)
	}
	if n := len(count(5, 300)); n < 1 {
		t.Fatalf("%d names around Denver at zoom 5", n)
	}
	city := count(11, 500) // about a 1000-pixel window on Denver at city zoom
	var names []string
	for _, l := range city {
		names = append(names, l.Name)
	}
	if len(city) < 6 {
		t.Fatalf("a city zoom on Denver names only %v", names)
	}
	if im := labels.Image("Lakewood"); im.Bounds().Dx() < 30 || im.Bounds().Dy() < 10 {
		t.Fatalf("name image %v", im.Bounds())
	}
}
