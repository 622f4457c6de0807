package mapview

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"github.com/paulmach/orb/maptile"

	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
)

// DetailZoom is the zoom from which the built-in basemap has nothing more to show than towns and
// borders: from there the map says once (SetDetailNote) where street detail comes from.
const DetailZoom = 10

// DefaultDetailNote is what the map says from DetailZoom on while the built-in basemap is drawn.
const DefaultDetailNote = "The built-in map shows borders and towns only: street detail needs an MBTiles file or the online map tiles."

// SetDetailNote sets what the map says, once, at the top of the view, when zoomed in past what the
// built-in basemap can show (DetailZoom) while it is drawn; "" says nothing.
func (m *Map) SetDetailNote(s string) {
	m.detailNote = s
	m.Refresh()
}

// placeObj is one place name drawn above the markers, with the dot of its place.
type placeObj struct {
	img  *canvas.Image
	dot  *canvas.Circle
	seen int
}

// box is a rectangle in widget coordinates.
type box struct{ x0, y0, x1, y1 float32 }

// boxOf is where o is, in its parent's coordinates.
func boxOf(o fyne.CanvasObject) box {
	p, s := o.Position(), o.Size()
	return box{p.X, p.Y, p.X + s.Width, p.Y + s.Height}
}

func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

// touchesCircle reports whether the box comes within r of (cx, cy).
func (a box) touchesCircle(cx, cy, r float32) bool {
	dx := max(a.x0-cx, 0, cx-a.x1)
	dy := max(a.y0-cy, 0, cy-a.y1)
	return dx*dx+dy*dy < r*r
}

// obstacle is the room a drawn marker or cluster takes, its red badge included.
func (h *hit) obstacle() float32 {
	if h.c != nil && h.c.Count > 1 && h.c.Attention > 0 {
		return h.r + 11 // the badge sits on the top right edge
	}
	return h.r + 1
}

// placeLabels draws the built-in basemap's place names above the markers, where basemap tiles are
// drawn (other sources' tiles carry their own names), each beside its place and clear of every
// marker and cluster and of the names placed before it: right of its dot, else left, below or
// above; a place under a cluster is named beside the cluster instead, without its dot. A name
// with no free spot is left out at this zoom (the markers win; a notch in frees it).
func (r *mapRenderer) placeLabels(size fyne.Size, left, top float64, reserved []box, objs []fyne.CanvasObject) []fyne.CanvasObject {
	m := r.m
	ls, err := basemap.DefaultLabels()
	if err != nil || ls == nil || m.zoom < 3 {
		return objs
	}
	if !ls.Ready(m.zoom) {
		// The first visit to this zoom: choose its names in the background, then draw again.
		if z := m.zoom; r.asked&(1<<z) == 0 {
			r.asked |= 1 << z
			go func() {
				ls.Prepare(z)
				m.wake(m.Refresh)
			}()
		}
		return objs
	}
	w, h := float64(size.Width), float64(size.Height)
	// Places a little off screen still have names reaching into it.
	cands := ls.In(m.zoom, left-200, top-20, left+w+20, top+h+20)
	placed := append([]box(nil), reserved...)
	r.grid.build(m.hits, size)
	dotR, gap := float32(basemap.LabelDotRadius), float32(basemap.LabelGap)
	for _, lb := range cands {
		tx, ty := int(math.Floor(lb.X/tileSize)), int(math.Floor(lb.Y/tileSize))
		if n := 1 << m.zoom; tx < 0 || ty < 0 || tx >= n || ty >= n {
			continue
		}
		t := maptile.New(uint32(tx), uint32(ty), maptile.Zoom(m.zoom))
		origin := tiles.OriginNone
		if o := r.tiles[t]; o != nil {
			origin = o.origin
		} else {
			origin, _ = m.drawnOrigin(t)
		}
		if origin != tiles.OriginBasemap {
			continue
		}
		img := ls.Image(lb.Name)
		iw, ih := float32(img.Bounds().Dx()), float32(img.Bounds().Dy())
		sx, sy := float32(lb.X-left), float32(lb.Y-top)
		// The spot to name: the place, or the cluster drawn over it.
		cx, cy, cr, withDot := sx, sy, dotR, true
		r.grid.near(box{sx, sy, sx, sy}, func(hh *hit) bool {
			if dx, dy := hh.x-sx, hh.y-sy; dx*dx+dy*dy < (hh.r+dotR)*(hh.r+dotR) {
				cx, cy, cr, withDot = hh.x, hh.y, hh.obstacle(), false
				return false
			}
			return true
		})
		spots := [...]box{
			{cx + cr + gap, cy - ih/2, cx + cr + gap + iw, cy + ih/2}, // right
			{cx - cr - gap - iw, cy - ih/2, cx - cr - gap, cy + ih/2}, // left
			{cx - iw/2, cy + cr + 1, cx + iw/2, cy + cr + 1 + ih},     // below
			{cx - iw/2, cy - cr - 1 - ih, cx + iw/2, cy - cr - 1},     // above
		}
		chosen := -1
		for i, b := range spots {
			if b.x1 < 0 || b.y1 < 0 || b.x0 > size.Width || b.y0 > size.Height {
				continue
			}
			if r.free(b, placed) {
				chosen = i
				break
			}
		}
		if chosen < 0 {
			continue
		}
		b := spots[chosen]
		placed = append(placed, box{b.x0 - 3, b.y0 - 1, b.x1 + 3, b.y1 + 1})
		o := r.places[lb.Name]
		if o == nil {
			o = &placeObj{img: canvas.NewImageFromImage(img), dot: canvas.NewCircle(basemap.LabelColor)}
			o.img.FillMode = canvas.ImageFillOriginal
			o.img.ScaleMode = canvas.ImageScalePixels
			o.dot.StrokeColor = color.NRGBA{0xff, 0xff, 0xff, 0xd0}
			o.dot.StrokeWidth = 1
			r.places[lb.Name] = o
		}
		if o.img.Image != image.Image(img) {
			o.img.Image = img
			o.img.Refresh()
		}
		o.seen = r.frame
		// Whole pixels: a name between two pixels is drawn blurred.
		o.img.Move(fyne.NewPos(float32(math.Round(float64(b.x0))), float32(math.Round(float64(b.y0)))))
		o.img.Resize(fyne.NewSize(iw, ih))
		if withDot {
			o.dot.Move(fyne.NewPos(sx-dotR, sy-dotR))
			o.dot.Resize(fyne.NewSize(2*dotR, 2*dotR))
			objs = append(objs, o.dot)
		}
		objs = append(objs, o.img)
	}
	for name, o := range r.places {
		if o.seen != r.frame {
			delete(r.places, name)
		}
	}
	return objs
}

// free reports whether a name may go in b: clear of every marker and cluster drawn and of the
// names placed already.
func (r *mapRenderer) free(b box, placed []box) bool {
	for _, p := range placed {
		if b.overlaps(p) {
			return false
		}
	}
	ok := true
	r.grid.near(b, func(hh *hit) bool {
		ok = !b.touchesCircle(hh.x, hh.y, hh.obstacle())
		return ok
	})
	return ok
}

// hitGrid buckets a frame's drawn markers and clusters by screen cell, so placing a name looks
// only at the few near it, not at every cluster of a zoomed-out fleet. Cells past the widget's
// edges fold into the edge cells.
type hitGrid struct {
	hits       []hit
	reach      float32 // the largest obstacle radius: how far a marker may reach out of its cell
	cols, rows int
	start      []int32 // cell c's hits are idx[start[c]:start[c+1]]
	idx        []int32
	next       []int32 // scratch for build
}

const hitCell = 64

func (g *hitGrid) cell(x, y float32) (int, int) {
	cx := min(max(int(math.Floor(float64(x/hitCell))), 0), g.cols-1)
	cy := min(max(int(math.Floor(float64(y/hitCell))), 0), g.rows-1)
	return cx, cy
}

func (g *hitGrid) build(hits []hit, size fyne.Size) {
	g.hits, g.reach = hits, 0
	g.cols, g.rows = int(size.Width/hitCell)+1, int(size.Height/hitCell)+1
	n := g.cols * g.rows
	g.start = grow(g.start, n+1)
	clear(g.start)
	for i := range hits {
		h := &hits[i]
		g.reach = max(g.reach, h.obstacle())
		cx, cy := g.cell(h.x, h.y)
		g.start[cy*g.cols+cx+1]++
	}
	for c := 1; c <= n; c++ {
		g.start[c] += g.start[c-1]
	}
	g.idx = grow(g.idx, len(hits))
	g.next = grow(g.next, n)
	copy(g.next, g.start[:n])
	next := g.next
	for i := range hits {
		cx, cy := g.cell(hits[i].x, hits[i].y)
		c := cy*g.cols + cx
		g.idx[next[c]] = int32(i)
		next[c]++
	}
}

// near calls f with every marker that could touch b, until f returns false.
func (g *hitGrid) near(b box, f func(*hit) bool) {
	if len(g.hits) == 0 {
		return
	}
	x0, y0 := g.cell(b.x0-g.reach, b.y0-g.reach)
	x1, y1 := g.cell(b.x1+g.reach, b.y1+g.reach)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			c := y*g.cols + x
			for _, i := range g.idx[g.start[c]:g.start[c+1]] {
				if !f(&g.hits[i]) {
					return
				}
			}
		}
	}
}

// detailNoteNow is the note to show now: past DetailZoom with basemap tiles drawn.
func (m *Map) detailNoteNow(drawn map[maptile.Tile]*tileObj) string {
	if m.zoom < DetailZoom || m.detailNote == "" {
		return ""
	}
	for _, o := range drawn {
		if o.origin == tiles.OriginBasemap {
			return m.detailNote
		}
	}
	return ""
}
