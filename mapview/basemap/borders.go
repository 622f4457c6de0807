package basemap

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"sort"

	"golang.org/x/image/vector"
)

// Line is an open line of [lon, lat] points.
type Line [][2]float64

// DecodeBorders reads a TopoJSON topology of countries (world-atlas's countries-*.json) and
// returns its internal borders: the arcs used by two different geometries of the same object.
// Coastlines belong to one country only and are left out, so the lines it returns never double
// the coast the land layer already draws. Each object is looked at on its own, because
// world-atlas also ships a "land" object whose single geometry reuses the countries' coast arcs.
func DecodeBorders(data []byte) ([]Line, error) {
	topo, arcs, err := parseTopology(data)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(topo.Objects))
	for name := range topo.Objects {
		names = append(names, name)
	}
	sort.Strings(names) // map order is random; keep the output stable
	shared := make([]bool, len(arcs))
	w := arcWalker{arcs: len(arcs), shared: shared}
	for _, name := range names {
		if err := w.object(topo.Objects[name]); err != nil {
			return nil, fmt.Errorf("basemap: object %q: %w", name, err)
		}
	}
	var out []Line
	for i, s := range shared {
		if s && len(arcs[i]) >= 2 {
			out = append(out, Line(arcs[i]))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("basemap: topology has no borders (no arc is shared by two geometries)")
	}
	return out, nil
}

// arcWalker records which feature of the current object first used each arc; an arc met again
// from another feature is a border.
type arcWalker struct {
	arcs   int
	shared []bool
	owner  map[int]int
	refs   int
}

func (w *arcWalker) object(raw json.RawMessage) error {
	w.owner = map[int]int{}
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return err
	}
	if g.Type != "GeometryCollection" {
		return w.walk(raw, 1, 0)
	}
	// Each member of the top collection is one feature (a country), however many parts it has.
	for id, sub := range g.Geometries {
		if err := w.walk(sub, 1, id); err != nil {
			return err
		}
	}
	return nil
}

func (w *arcWalker) walk(raw json.RawMessage, depth, id int) error {
	if depth > maxGeometryDepth {
		return errors.New("geometry collections nested too deep")
	}
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return err
	}
	var flat []int
	switch g.Type {
	case "GeometryCollection":
		for _, sub := range g.Geometries {
			if err := w.walk(sub, depth+1, id); err != nil {
				return err
			}
		}
		return nil
	case "LineString":
		if err := json.Unmarshal(g.Arcs, &flat); err != nil {
			return fmt.Errorf("linestring arcs: %w", err)
		}
	case "Polygon", "MultiLineString":
		var rings [][]int
		if err := json.Unmarshal(g.Arcs, &rings); err != nil {
			return fmt.Errorf("%s arcs: %w", g.Type, err)
		}
		for _, r := range rings {
			flat = append(flat, r...)
		}
	case "MultiPolygon":
		var polys [][][]int
		if err := json.Unmarshal(g.Arcs, &polys); err != nil {
			return fmt.Errorf("multipolygon arcs: %w", err)
		}
		for _, p := range polys {
			for _, r := range p {
				flat = append(flat, r...)
			}
		}
	default:
		return nil // points and null geometries have no arcs
	}
	w.refs += len(flat)
	if w.refs > maxRingArcs*4 {
		return errors.New("too many arc references")
	}
	for _, ref := range flat {
		idx := ref
		if idx < 0 {
			idx = ^ref
		}
		if idx < 0 || idx >= w.arcs {
			return fmt.Errorf("arc index %d out of range (have %d arcs)", ref, w.arcs)
		}
		if first, ok := w.owner[idx]; !ok {
			w.owner[idx] = id
		} else if first != id {
			w.shared[idx] = true
		}
	}
	return nil
}

// borderChunk is a short run of projected border points with its bounds, so a zoomed-in tile
// skips almost all of a long border without looking at its points.
type borderChunk struct {
	pts                    []vec
	minX, minY, maxX, maxY float64
}

// chunkLen is the most points in one chunk; consecutive chunks share their end point.
const chunkLen = 32

// Borders is one decoded, projected set of border lines ready to stroke. It is immutable and safe
// for concurrent use.
type Borders struct {
	chunks []borderChunk
}

// NewBorders projects lines (lon/lat) into normalized Web Mercator, unwrapping the antimeridian
// as NewLayer does.
func NewBorders(lines []Line) *Borders {
	b := &Borders{}
	for _, ln := range lines {
		pts := make([]vec, 0, len(ln))
		var prevLon float64
		for i, p := range ln {
			lon := p[0]
			if i > 0 {
				lon = prevLon + math.Remainder(lon-prevLon, 360)
			}
			prevLon = lon
			pts = append(pts, vec{(lon + 180) / 360, mercY(p[1])})
		}
		for start := 0; start < len(pts)-1; start += chunkLen - 1 {
			end := min(start+chunkLen, len(pts))
			c := borderChunk{pts: pts[start:end], minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
			for _, v := range c.pts {
				c.minX, c.maxX = math.Min(c.minX, v.x), math.Max(c.maxX, v.x)
				c.minY, c.maxY = math.Min(c.minY, v.y), math.Max(c.maxY, v.y)
			}
			b.chunks = append(b.chunks, c)
		}
	}
	return b
}

// borderHalfWidth is half the stroke width in pixels: a line about one pixel wide, antialiased.
const borderHalfWidth = 0.6

// stroke rasterizes the borders that cross the tile into an alpha mask of size×size pixels whose
// origin is at (ox, oy) in world pixels, or returns nil when no border comes near the tile.
// x/image/vector only fills, so each segment becomes a thin quad; every quad has the same winding
// so quads that cross never cancel each other out.
func (b *Borders) stroke(scale, ox, oy float64, size int) *image.Alpha {
	if b == nil {
		return nil
	}
	pad := borderHalfWidth + 1
	tMinX, tMinY := (ox-pad)/scale, (oy-pad)/scale
	tMaxX, tMaxY := (ox+float64(size)+pad)/scale, (oy+float64(size)+pad)/scale
	var ras *vector.Rasterizer
	sc := scratchFor(size)
	defer scratches.Put(sc)
	px := sc.a
	defer func() { sc.a = px }()
	lo, hi := -pad, float64(size)+pad
	for _, shift := range [...]float64{0, -1, 1} {
		for ci := range b.chunks {
			c := &b.chunks[ci]
			if c.maxX+shift < tMinX || c.minX+shift > tMaxX || c.maxY < tMinY || c.minY > tMaxY {
				continue
			}
			px = px[:0]
			var last vec
			for i, p := range c.pts {
				v := vec{(p.x+shift)*scale - ox, p.y*scale - oy}
				// Keep the end point so chunks join; drop points within half a pixel of the last.
				if i > 0 && i < len(c.pts)-1 && math.Abs(v.x-last.x) < 0.5 && math.Abs(v.y-last.y) < 0.5 {
					continue
				}
				px = append(px, v)
				last = v
			}
			for i := 1; i < len(px); i++ {
				a, e, ok := clipSegment(px[i-1], px[i], lo, hi)
				if !ok {
					continue
				}
				ras = sc.ras
				quad(ras, a, e)
			}
		}
	}
	if ras == nil {
		return nil
	}
	mask := image.NewAlpha(image.Rect(0, 0, size, size))
	ras.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	return mask
}

// quad adds segment a–b as a rectangle borderHalfWidth either side. The ends are square and not
// extended: the rasterizer sums coverage, so overlapping quads along a straight border would
// leave darker dots at every joint; the notch a butt end leaves at a bend is under a pixel.
func quad(ras *vector.Rasterizer, a, b vec) {
	dx, dy := b.x-a.x, b.y-a.y
	l := math.Hypot(dx, dy)
	if l < 1e-9 {
		return
	}
	nx, ny := -dy/l*borderHalfWidth, dx/l*borderHalfWidth
	ras.MoveTo(float32(a.x+nx), float32(a.y+ny))
	ras.LineTo(float32(b.x+nx), float32(b.y+ny))
	ras.LineTo(float32(b.x-nx), float32(b.y-ny))
	ras.LineTo(float32(a.x-nx), float32(a.y-ny))
	ras.ClosePath()
}

// clipSegment clips a–b to the square [lo, hi]² (Liang–Barsky), so a border segment thousands of
// tiles long at high zoom never makes the rasterizer walk far outside the tile.
func clipSegment(a, b vec, lo, hi float64) (vec, vec, bool) {
	t0, t1 := 0.0, 1.0
	dx, dy := b.x-a.x, b.y-a.y
	for _, e := range [4][2]float64{{-dx, a.x - lo}, {dx, hi - a.x}, {-dy, a.y - lo}, {dy, hi - a.y}} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return a, b, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return a, b, false
			}
			t0 = math.Max(t0, r)
		} else {
			if r < t0 {
				return a, b, false
			}
			t1 = math.Min(t1, r)
		}
	}
	return vec{a.x + t0*dx, a.y + t0*dy}, vec{a.x + t1*dx, a.y + t1*dy}, true
}
