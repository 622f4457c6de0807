package mapview

import (
	"image/color"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Marker is one point on the map. The widget knows nothing of what it stands for: ID is handed back
// on tap, Color paints it, Attention counts it in its cluster's red badge, Stale draws it faded
// (an old last known location).
type Marker struct {
	ID        string
	Lat, Lon  float64
	Color     color.Color
	Attention bool
	Stale     bool
}

// worldPoint is a marker projected into normalized Web Mercator: x and y in [0, 1].
type worldPoint struct{ x, y float64 }

// project maps lon/lat to normalized Web Mercator (orb's tile fraction at zoom 0).
func project(lat, lon float64) worldPoint {
	f := maptile.Fraction(orb.Point{lon, lat}, 0)
	return worldPoint{clamp01(f[0]), clamp01(f[1])}
}

// unproject is project's inverse.
func unproject(p worldPoint) (lat, lon float64) {
	lon = p.x*360 - 180
	n := math.Pi - 2*math.Pi*p.y
	lat = 180 / math.Pi * math.Atan(math.Sinh(n))
	return lat, lon
}

func clamp01(v float64) float64 {
	if v < 0 || math.IsNaN(v) {
		return 0
	}
	if v >= 1 {
		return math.Nextafter(1, 0)
	}
	return v
}

// Cluster is a group of markers drawn as one symbol at one zoom level. X and Y are the members'
// mean position in normalized world coordinates.
type Cluster struct {
	X, Y      float64
	Count     int
	Attention int         // how many members need attention
	Color     color.NRGBA // the members' colour when they share one, else ClusterColor
	members   []int32     // indices into the marker slice
}

// clusterer groups markers on a grid anchored to the world, so a marker stays in the same cluster
// while the map pans and clusters never jump. Its buffers are reused frame to frame.
type clusterer struct {
	cells   map[uint64]int32 // cell → cluster, when the area has too many cells for grid
	grid    []int32          // cell → 1 + cluster, dense over the area's cells (the usual case)
	gx0     int64            // the grid's first cell column and row, and its width and height
	gy0     int64
	gw, gh  int64
	out     []Cluster
	memberA []int32
	cellOf  []int32
	sumX    []float64
	sumY    []float64
	visible []int32
	root    []int32 // grid cell cluster -> index of the merged cluster in out
	keys    []uint64
	final   []int32
}

// cluster groups the points inside the rectangle [minX,maxX]×[minY,maxY] (normalized world
// coordinates) into grid cells of cellPx pixels at zoom z. colors and attention run parallel to
// pts. The result is valid until the next call.
func (c *clusterer) cluster(pts []worldPoint, colors []color.NRGBA, attention []bool, z int, cellPx, minX, minY, maxX, maxY float64) []Cluster {
	cellsPerWorld := math.Exp2(float64(z)) * 256 / cellPx
	c.useGrid(cellsPerWorld, minX, minY, maxX, maxY)
	c.out = c.out[:0]
	c.cellOf = c.cellOf[:0]
	c.sumX, c.sumY = c.sumX[:0], c.sumY[:0]
	c.keys = c.keys[:0]
	visible := c.visible[:0]
	for i, p := range pts {
		if p.x < minX || p.x > maxX || p.y < minY || p.y > maxY {
			continue
		}
		key := uint64(uint32(p.x*cellsPerWorld))<<32 | uint64(uint32(p.y*cellsPerWorld))
		ci, ok := c.lookup(key)
		if !ok {
			ci = int32(len(c.out))
			c.store(key, ci)
			c.out = append(c.out, Cluster{Color: colors[i]})
			c.keys = append(c.keys, key)
			c.sumX = append(c.sumX, 0)
			c.sumY = append(c.sumY, 0)
		}
		cl := &c.out[ci]
		cl.Count++
		c.sumX[ci] += p.x
		c.sumY[ci] += p.y
		if attention[i] {
			cl.Attention++
		}
		if cl.Color != colors[i] {
			cl.Color = ClusterColor
		}
		visible = append(visible, int32(i))
		c.cellOf = append(c.cellOf, ci)
	}
	c.visible = visible
	c.merge(cellsPerWorld)
	// Lay members out contiguously per cluster (a counting sort) so a tap can hand them back
	// without a slice per cluster.
	if cap(c.memberA) < len(visible) {
		c.memberA = make([]int32, len(visible))
	}
	c.memberA = c.memberA[:len(visible)]
	start := 0
	for i := range c.out {
		cl := &c.out[i]
		cl.members = c.memberA[start : start : start+cl.Count]
		start += cl.Count
	}
	for k, idx := range visible {
		cl := &c.out[c.root[c.cellOf[k]]]
		cl.members = append(cl.members, idx)
	}
	return c.out
}

// maxGrid is the most cells the dense grid covers (4 MB); a larger area falls back to a map.
var maxGrid int64 = 1 << 20

// useGrid prepares the cell → cluster lookup for the area: a dense grid over its cells, which
// costs a few ns a marker where a map costs tens, or a map for an area too large for one.
func (c *clusterer) useGrid(cellsPerWorld, minX, minY, maxX, maxY float64) {
	limit := int64(math.Ceil(cellsPerWorld))
	cell := func(v float64) int64 { return max(0, min(limit, int64(math.Floor(v*cellsPerWorld)))) }
	c.gx0, c.gy0 = cell(minX), cell(minY)
	// One more column and row than the area holds: merge looks one cell right and down.
	c.gw, c.gh = cell(maxX)-c.gx0+2, cell(maxY)-c.gy0+2
	if c.gw*c.gh > maxGrid {
		c.gw, c.gh = 0, 0
		if c.cells == nil {
			c.cells = make(map[uint64]int32, 1024)
		}
		clear(c.cells)
		return
	}
	n := int(c.gw * c.gh)
	if cap(c.grid) < n {
		c.grid = make([]int32, n)
	}
	c.grid = c.grid[:n]
	clear(c.grid)
}

func (c *clusterer) lookup(key uint64) (int32, bool) {
	if c.gw == 0 {
		ci, ok := c.cells[key]
		return ci, ok
	}
	x, y := int64(key>>32)-c.gx0, int64(uint32(key))-c.gy0
	if x < 0 || y < 0 || x >= c.gw || y >= c.gh {
		return 0, false
	}
	v := c.grid[y*c.gw+x]
	return v - 1, v != 0
}

func (c *clusterer) store(key uint64, ci int32) {
	if c.gw == 0 {
		c.cells[key] = ci
		return
	}
	x, y := int64(key>>32)-c.gx0, int64(uint32(key))-c.gy0
	c.grid[y*c.gw+x] = ci + 1
}

// merge joins grid clusters whose centres ended up closer than half a cell across a cell border,
// where their symbols would overlap, then compacts out into the merged clusters.
func (c *clusterer) merge(cellsPerWorld float64) {
	n := len(c.out)
	if cap(c.root) < n {
		c.root = make([]int32, n)
	}
	c.root = c.root[:n]
	for i := range c.root {
		c.root[i] = int32(i)
	}
	find := func(i int32) int32 {
		for c.root[i] != i {
			c.root[i] = c.root[c.root[i]]
			i = c.root[i]
		}
		return i
	}
	limit := 0.6 / cellsPerWorld // in world units: 0.6 of a cell
	for i := 0; i < n; i++ {
		cx, cy := int64(c.keys[i]>>32), int64(uint32(c.keys[i]))
		xi, yi := c.sumX[i]/float64(c.out[i].Count), c.sumY[i]/float64(c.out[i].Count)
		// Look only forward (right, below) so every pair is considered once.
		for _, d := range [4][2]int64{{1, 0}, {-1, 1}, {0, 1}, {1, 1}} {
			nx, ny := cx+d[0], cy+d[1]
			if nx < 0 || ny < 0 {
				continue
			}
			j, ok := c.lookup(uint64(nx)<<32 | uint64(ny))
			if !ok {
				continue
			}
			xj, yj := c.sumX[j]/float64(c.out[j].Count), c.sumY[j]/float64(c.out[j].Count)
			if math.Abs(xi-xj) < limit && math.Abs(yi-yj) < limit {
				ri, rj := find(int32(i)), find(j)
				if ri != rj {
					c.root[rj] = ri
				}
			}
		}
	}
	// Fold every cluster into its root, then compact roots to the front of out.
	for i := 0; i < n; i++ {
		r := find(int32(i))
		if r == int32(i) {
			continue
		}
		a, b := &c.out[r], &c.out[i]
		a.Count += b.Count
		a.Attention += b.Attention
		if a.Color != b.Color {
			a.Color = ClusterColor
		}
		c.sumX[r] += c.sumX[i]
		c.sumY[r] += c.sumY[i]
	}
	if cap(c.final) < n {
		c.final = make([]int32, n)
	}
	final := c.final[:n]
	k := int32(0)
	for i := 0; i < n; i++ {
		if find(int32(i)) != int32(i) {
			continue
		}
		cl := c.out[i]
		cl.X = c.sumX[i] / float64(cl.Count)
		cl.Y = c.sumY[i] / float64(cl.Count)
		c.out[k] = cl // k <= i, and slot k was already folded or moved
		final[i] = k
		k++
	}
	for i := 0; i < n; i++ {
		if r := find(int32(i)); r != int32(i) {
			final[i] = final[r]
		}
	}
	copy(c.root, final)
	c.out = c.out[:k]
}
