package basemap

import (
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"golang.org/x/image/vector"
)

// Natural Earth land at two scales from the npm package world-atlas (ISC; data public domain):
// the coarse one keeps whole-world tiles cheap, the finer one keeps coastlines honest when zoomed.
var (
	//go:embed data/land-110m.json
	land110m []byte
	//go:embed data/land-50m.json
	land50m []byte
	// Countries at the same two scales, for their internal borders only: without them an inland
	// view (a dealer whose units are all in Kansas) is one flat land colour with nothing to read.
	//go:embed data/countries-110m.json
	countries110m []byte
	//go:embed data/countries-50m.json
	countries50m []byte
	// US states from the npm package us-atlas (ISC; US Census Bureau cartographic boundaries,
	// public domain), for first-level boundaries where a large share of the fleet is.
	//go:embed data/states-10m.json
	states10m []byte
)

// Attribution credits the data the built-in basemap draws (see docs/map.md).
const Attribution = "Built-in map: Natural Earth, US Census Bureau, SimpleMaps (CC BY 4.0)"

// Colours of the offline basemap, close to OpenStreetMap's so switching sources does not jar.
var (
	SeaColor   = color.RGBA{0xaa, 0xd3, 0xdf, 0xff}
	LandColor  = color.RGBA{0xf2, 0xef, 0xe9, 0xff}
	CoastColor = color.RGBA{0x7f, 0x9c, 0xa8, 0xff}
	// BorderColor is a darker land tone: enough to orient by, quieter than the coast.
	BorderColor = color.RGBA{0xbd, 0xb1, 0xa6, 0xff}
	// StateColor is a light violet, like OpenStreetMap's administrative lines: a state border
	// must not be mistaken for a country's.
	StateColor = color.RGBA{0xb8, 0xa6, 0xc9, 0xff}
)

// stateZoom is the first zoom that draws state borders: below it they are noise.
const stateZoom = 3

// detailZoom is the first zoom drawn from the 1:50m data rather than 1:110m.
const detailZoom = 3

// poleLat is where rings that run around a pole are closed; Web Mercator cannot reach ±90.
const poleLat = 89.5

type vec struct{ x, y float64 }

type projRing struct {
	pts                    []vec
	minX, minY, maxX, maxY float64
}

type projPoly struct {
	rings                  []projRing
	minX, minY, maxX, maxY float64
}

// Layer is one decoded, projected land dataset ready to rasterize. It is immutable and safe for
// concurrent use.
type Layer struct {
	polys []projPoly
}

// NewLayer projects polygons (lon/lat) into normalized Web Mercator, x and y in [0, 1] for the
// visible world. Rings that cross the antimeridian are unwrapped so they stay continuous; rings
// that circle a pole (Antarctica) are closed along the pole.
func NewLayer(polys []Polygon) *Layer {
	l := &Layer{polys: make([]projPoly, 0, len(polys))}
	for _, p := range polys {
		pp := projPoly{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
		for _, r := range p {
			pr := projectRing(r)
			if len(pr.pts) < 3 {
				continue
			}
			pp.rings = append(pp.rings, pr)
			pp.minX, pp.minY = math.Min(pp.minX, pr.minX), math.Min(pp.minY, pr.minY)
			pp.maxX, pp.maxY = math.Max(pp.maxX, pr.maxX), math.Max(pp.maxY, pr.maxY)
		}
		if len(pp.rings) > 0 {
			l.polys = append(l.polys, pp)
		}
	}
	return l
}

func mercY(lat float64) float64 {
	lat = math.Max(-poleLat, math.Min(poleLat, lat))
	s := math.Sin(lat * math.Pi / 180)
	return 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}

func projectRing(r Ring) projRing {
	pr := projRing{pts: make([]vec, 0, len(r)+2), minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	var prevLon, sumLat float64
	for i, p := range r {
		lon := p[0]
		if i > 0 {
			// Unwrap across the antimeridian so the ring stays continuous.
			lon = prevLon + math.Remainder(lon-prevLon, 360)
		}
		prevLon = lon
		sumLat += p[1]
		pr.pts = append(pr.pts, vec{(lon + 180) / 360, mercY(p[1])})
	}
	if n := len(pr.pts); n >= 2 && math.Abs(pr.pts[n-1].x-pr.pts[0].x) > 0.5 {
		pole := mercY(poleLat)
		if sumLat < 0 {
			pole = mercY(-poleLat)
		}
		pr.pts = append(pr.pts, vec{pr.pts[n-1].x, pole}, vec{pr.pts[0].x, pole})
	}
	for _, v := range pr.pts {
		pr.minX, pr.maxX = math.Min(pr.minX, v.x), math.Max(pr.maxX, v.x)
		pr.minY, pr.maxY = math.Min(pr.minY, v.y), math.Max(pr.maxY, v.y)
	}
	return pr
}

// Renderer draws basemap tiles. The zero value is not usable; get one from Default or New.
type Renderer struct {
	coarse, fine   *Layer
	bCoarse, bFine *Borders
	states         *Borders // first-level boundaries, from stateZoom on
	labels         *Labels  // major place names, from zoom 3 on
}

// WithStates returns a copy of r that also strokes first-level boundaries (states, provinces)
// from zoom 3 on, and labels places. Either may be nil.
func (r *Renderer) WithStates(states *Borders, labels *Labels) *Renderer {
	c := *r
	c.states, c.labels = states, labels
	return &c
}

// New builds a renderer from a coarse layer (used below zoom 3) and a fine one.
func New(coarse, fine *Layer) *Renderer { return &Renderer{coarse: coarse, fine: fine} }

// WithBorders returns a copy of r that also strokes country borders, coarse below zoom 3 and
// fine from there on, like the land. Either may be nil.
func (r *Renderer) WithBorders(coarse, fine *Borders) *Renderer {
	c := *r
	c.bCoarse, c.bFine = coarse, fine
	return &c
}

var (
	defaultOnce sync.Once
	defaultR    *Renderer
	defaultErr  error
)

// Default returns the renderer over the embedded Natural Earth land and country borders,
// decoding them on first use.
func Default() (*Renderer, error) {
	defaultOnce.Do(func() {
		coarse, err := DecodeLand(land110m)
		if err != nil {
			defaultErr = fmt.Errorf("embedded 110m land: %w", err)
			return
		}
		fine, err := DecodeLand(land50m)
		if err != nil {
			defaultErr = fmt.Errorf("embedded 50m land: %w", err)
			return
		}
		bCoarse, err := DecodeBorders(countries110m)
		if err != nil {
			defaultErr = fmt.Errorf("embedded 110m countries: %w", err)
			return
		}
		bFine, err := DecodeBorders(countries50m)
		if err != nil {
			defaultErr = fmt.Errorf("embedded 50m countries: %w", err)
			return
		}
		states, err := DecodeBorders(states10m)
		if err != nil {
			defaultErr = fmt.Errorf("embedded states: %w", err)
			return
		}
		labels, err := NewLabels(ParsePlaces(placesTSV))
		if err != nil {
			defaultErr = fmt.Errorf("label font: %w", err)
			return
		}
		// Place names are not drawn into the tiles: the map draws them above its markers, placed
		// so that neither hides the other (DefaultLabels).
		defaultLabels = labels
		defaultR = New(NewLayer(coarse), NewLayer(fine)).WithBorders(NewBorders(bCoarse), NewBorders(bFine)).
			WithStates(NewBorders(states), nil)
	})
	return defaultR, defaultErr
}

var defaultLabels *Labels

// DefaultLabels are the embedded place names, which Default's tiles leave out for the map to draw
// above its markers.
func DefaultLabels() (*Labels, error) {
	_, err := Default()
	return defaultLabels, err
}

// TileSize is the edge of a rendered tile in pixels.
const TileSize = 256

// Render draws tile z/x/y: sea, land, state and country borders, a coastline, and place names
// when the renderer has labels (Default's has not: see DefaultLabels). It never fails: a tile
// outside the world is plain sea.
func (r *Renderer) Render(z uint8, x, y uint32) *image.RGBA {
	out := r.render(z, x, y)
	r.labels.draw(out, int(z), x, y)
	return out
}

// scratch is what drawing one tile layer needs and throws away: a rasterizer (a float per pixel,
// a quarter MB at tile size) and point buffers. Reused between tiles, because a screenful of
// tiles would otherwise leave dozens of MB of garbage.
type scratch struct {
	ras  *vector.Rasterizer
	a, b []vec
}

var scratches sync.Pool

// scratchFor is a scratch with a cleared size×size rasterizer; Put it back when done.
func scratchFor(size int) *scratch {
	if s, ok := scratches.Get().(*scratch); ok {
		s.ras.Reset(size, size)
		return s
	}
	return &scratch{ras: vector.NewRasterizer(size, size)}
}

func (r *Renderer) render(z uint8, x, y uint32) *image.RGBA {
	layer, borders := r.fine, r.bFine
	if z < detailZoom {
		layer, borders = r.coarse, r.bCoarse
	}
	const m = 1 // a one-pixel margin so coast detection sees neighbours across the tile edge
	const size = TileSize + 2*m
	scale := float64(TileSize) * math.Exp2(float64(z))
	ox := float64(x)*TileSize - m
	oy := float64(y)*TileSize - m

	// Tile bounds in normalized world coordinates, with the margin.
	tMinX, tMinY := ox/scale, oy/scale
	tMaxX, tMaxY := (ox+size)/scale, (oy+size)/scale

	sc := scratchFor(size)
	ras, clipA, clipB := sc.ras, sc.a, sc.b
	defer func() { sc.a, sc.b = clipA, clipB; scratches.Put(sc) }()
	for _, shift := range [...]float64{0, -1, 1} {
		for pi := range layer.polys {
			p := &layer.polys[pi]
			if p.maxX+shift < tMinX || p.minX+shift > tMaxX || p.maxY < tMinY || p.minY > tMaxY {
				continue
			}
			for ri := range p.rings {
				rg := &p.rings[ri]
				if rg.maxX+shift < tMinX || rg.minX+shift > tMaxX || rg.maxY < tMinY || rg.minY > tMaxY {
					continue
				}
				clipA = toPixels(clipA[:0], rg.pts, shift, scale, ox, oy)
				clipA, clipB = clipRect(clipA, clipB, -1, size+1)
				if len(clipA) < 3 {
					continue
				}
				ras.MoveTo(float32(clipA[0].x), float32(clipA[0].y))
				for _, v := range clipA[1:] {
					ras.LineTo(float32(v.x), float32(v.y))
				}
				ras.ClosePath()
			}
		}
	}
	mask := image.NewAlpha(image.Rect(0, 0, size, size))
	ras.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})

	// Borders only show on land: they never tint the sea, even where a shared arc runs offshore.
	var border, state *image.Alpha
	if mask.Pix[0] != 0 || !allSame(mask.Pix) {
		border = borders.stroke(scale, ox, oy, size)
		if z >= stateZoom {
			state = r.states.stroke(scale, ox, oy, size)
		}
	}

	out := image.NewRGBA(image.Rect(0, 0, TileSize, TileSize))
	if border == nil && state == nil && allSame(mask.Pix) {
		c := SeaColor
		if mask.Pix[0] >= 128 {
			c = LandColor
		}
		draw.Draw(out, out.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
		return out
	}
	for py := 0; py < TileSize; py++ {
		row := (py + m) * size
		for px := 0; px < TileSize; px++ {
			i := row + px + m
			a := int(mask.Pix[i])
			edge := 0
			for _, n := range [4]int{i - 1, i + 1, i - size, i + size} {
				if d := abs(a - int(mask.Pix[n])); d > edge {
					edge = d
				}
			}
			c := lerp(SeaColor, LandColor, a)
			if state != nil {
				c = lerp(c, StateColor, int(state.Pix[i])*a/255)
			}
			if border != nil {
				c = lerp(c, BorderColor, int(border.Pix[i])*a/255)
			}
			c = lerp(c, CoastColor, min(255, edge*3/2))
			o := out.PixOffset(px, py)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = c.R, c.G, c.B, 0xff
		}
	}
	return out
}

func allSame(p []uint8) bool {
	for _, v := range p {
		if v != p[0] {
			return false
		}
	}
	return true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func lerp(a, b color.RGBA, t int) color.RGBA {
	f := func(x, y uint8) uint8 { return uint8((int(x)*(255-t) + int(y)*t) / 255) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 0xff}
}

// toPixels maps a ring to tile pixels, dropping points closer than a quarter pixel to the last kept
// one: at low zoom thousands of coastline points fall into one pixel.
func toPixels(dst, pts []vec, shift, scale, ox, oy float64) []vec {
	var last vec
	for i, p := range pts {
		v := vec{(p.x+shift)*scale - ox, p.y*scale - oy}
		if i > 0 && math.Abs(v.x-last.x) < 0.25 && math.Abs(v.y-last.y) < 0.25 {
			continue
		}
		dst = append(dst, v)
		last = v
	}
	return dst
}

// clipRect clips a closed polygon to the square [lo, hi]² (Sutherland–Hodgman). The result may have
// edges running along the square's border, which fill correctly; it bounds every coordinate so the
// rasterizer never walks rows far outside the tile.
func clipRect(in, tmp []vec, lo, hi float64) ([]vec, []vec) {
	type edge struct {
		inside func(v vec) bool
		cross  func(a, b vec) vec
	}
	edges := [4]edge{
		{func(v vec) bool { return v.x >= lo }, func(a, b vec) vec { return vec{lo, a.y + (b.y-a.y)*(lo-a.x)/(b.x-a.x)} }},
		{func(v vec) bool { return v.x <= hi }, func(a, b vec) vec { return vec{hi, a.y + (b.y-a.y)*(hi-a.x)/(b.x-a.x)} }},
		{func(v vec) bool { return v.y >= lo }, func(a, b vec) vec { return vec{a.x + (b.x-a.x)*(lo-a.y)/(b.y-a.y), lo} }},
		{func(v vec) bool { return v.y <= hi }, func(a, b vec) vec { return vec{a.x + (b.x-a.x)*(hi-a.y)/(b.y-a.y), hi} }},
	}
	for _, e := range edges {
		tmp = tmp[:0]
		n := len(in)
		if n == 0 {
			break
		}
		prev := in[n-1]
		pin := e.inside(prev)
		for _, cur := range in {
			cin := e.inside(cur)
			if cin {
				if !pin {
					tmp = append(tmp, e.cross(prev, cur))
				}
				tmp = append(tmp, cur)
			} else if pin {
				tmp = append(tmp, e.cross(prev, cur))
			}
			prev, pin = cur, cin
		}
		in, tmp = tmp, in
	}
	return in, tmp
}
