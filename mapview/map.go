// Package mapview is a slippy-map widget for Fyne: z/x/y tiles (tile math from orb/maptile) loaded
// in the background through the tiles package's fallback chain, drag to pan, wheel, buttons and
// double-click to zoom around the pointer, and any number of coloured markers clustered per zoom.
// It knows nothing about what the markers stand for.
package mapview

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/paulmach/orb/maptile"
)

// Colours the widget uses for clusters (see BodyColor): a cluster whose members all need attention
// is AttentionColor; one whose other members share a colour takes it, with a red badge counting
// the members that need attention; a mixed one is ClusterColor.
var (
	AttentionColor = color.NRGBA{0xd3, 0x2f, 0x2f, 0xff}
	ClusterColor   = color.NRGBA{0x3b, 0x6e, 0xb5, 0xff}
	defaultColor   = color.NRGBA{0x2e, 0x9e, 0x44, 0xff}
)

const (
	tileSize       = 256
	defaultCellPx  = 56 // grid cell for clustering, in device-independent units
	markerRadius   = 7
	scrollPerNotch = 10 // the smallest notch Fyne's desktop drivers report
	retryEvery     = 25 * time.Second
)

// Map is the map widget. Create it with New or NewFromConfig; touch it only on the UI goroutine.
type Map struct {
	widget.BaseWidget

	// OnTap is called with the markers under a tap (one for a marker, all members for a
	// cluster), or with nil when the tap hit no marker.
	OnTap func(items []Marker)

	loader     *tiles.Loader
	ownsLoader bool

	zoom    int
	center  worldPoint
	minZoom int
	maxZoom int

	markers   []Marker
	pts       []worldPoint
	colors    []color.NRGBA
	attention []bool
	version   int // bumped on SetMarkers, invalidates the cluster cache
	selected  string

	cache    clusterCache
	clusters []Cluster // the clusters of the current frame
	hits     []hit     // what was drawn last frame, for tap hit-testing

	pendingFit bool
	autoFit    bool // until the dealer moves the view, layouts (window resizes) re-fit the markers
	scrollAcc  float32
	queued     atomic.Bool
	post       func(func()) // the page's UI goroutine (SetDispatcher); nil drops wake-ups
	detailNote string       // said past DetailZoom over the built-in basemap (SetDetailNote)
}

type clusterKey struct {
	zoom, version          int
	minX, minY, maxX, maxY float64
}

type hit struct {
	x, y, r float32
	c       *Cluster
}

// New creates a map over loader, centred on the world at zoom 2. The caller keeps ownership of
// the loader.
func New(loader *tiles.Loader) *Map {
	m := &Map{zoom: 2, center: worldPoint{0.5, 0.5}, minZoom: 0, maxZoom: 19, detailNote: DefaultDetailNote}
	m.ExtendBaseWidget(m)
	m.setLoader(loader, false)
	return m
}

// NewFromConfig opens the tile source the settings describe and creates a map that owns it.
func NewFromConfig(cfg tiles.Config) (*Map, error) {
	l, err := tiles.Open(cfg)
	if err != nil {
		return nil, err
	}
	m := New(l)
	m.ownsLoader = true
	return m, nil
}

func (m *Map) setLoader(l *tiles.Loader, owned bool) {
	old, oldOwned := m.loader, m.ownsLoader
	m.loader, m.ownsLoader = l, owned
	m.maxZoom = int(l.MaxZoom())
	if m.zoom > m.maxZoom {
		m.zoom = m.maxZoom
	}
	l.SetOnLoad(func(maptile.Tile) {
		// Many tiles land at once; one refresh per UI frame is enough.
		if m.queued.CompareAndSwap(false, true) && !m.wake(func() {
			m.queued.Store(false)
			m.Refresh()
		}) {
			m.queued.Store(false)
		}
	})
	if old != nil && old != l {
		old.SetOnLoad(nil)
		if oldOwned {
			go old.Close() // waits for in-flight requests; never on the UI goroutine
		}
	}
}

// SetTileConfig opens the source the settings describe and swaps it in; on error the map keeps
// its current source.
func (m *Map) SetTileConfig(cfg tiles.Config) error {
	l, err := tiles.Open(cfg)
	if err != nil {
		return err
	}
	m.setLoader(l, true)
	m.Refresh()
	return nil
}

// SetDispatcher sets how a tile arriving on a loader goroutine reaches the UI goroutine: the page
// passes its kit.Runner's Do. Until it is set, arriving tiles wait for the next refresh (a pan,
// a zoom, new markers); tests and headless renderers queue or drop these refreshes instead.
func (m *Map) SetDispatcher(post func(func())) { m.post = post }

// wake runs f on the UI goroutine through the dispatcher, if there is one.
func (m *Map) wake(f func()) bool {
	if m.post == nil {
		return false
	}
	m.post(f)
	return true
}

// Loader is the map's current tile loader.
func (m *Map) Loader() *tiles.Loader { return m.loader }

// Close stops the loader if the map owns it.
func (m *Map) Close() error {
	if m.ownsLoader {
		m.ownsLoader = false
		return m.loader.Close()
	}
	return nil
}

// SetMarkers replaces the markers; the map keeps ms, so do not modify it afterwards. The view
// does not move. A marker at the same index and position as before keeps its projection, so a
// sync that moved few units costs little more than a copy.
func (m *Map) SetMarkers(ms []Marker) {
	old := m.markers
	m.markers = ms
	m.hits = m.hits[:0] // they point at the old markers until the next frame
	reuse := min(len(old), len(m.pts), len(ms))
	m.pts = grow(m.pts, len(ms))
	m.colors = grow(m.colors, len(ms))
	m.attention = grow(m.attention, len(ms))
	// Projection (a sine and a logarithm a marker) is most of a first load's cost: split it over
	// the cores, joined before the frame.
	parallel(len(ms), func(from, to int) {
		for i := from; i < to; i++ {
			mk := &ms[i]
			if i >= reuse || old[i].Lat != mk.Lat || old[i].Lon != mk.Lon {
				m.pts[i] = project(mk.Lat, mk.Lon)
			}
			m.colors[i] = toNRGBA(mk.Color)
			m.attention[i] = mk.Attention
		}
	})
	m.version++
	m.Refresh()
}

// parallel runs f over [0,n) in one chunk per core (inline when n is small) and returns when
// every chunk is done.
func parallel(n int, f func(from, to int)) {
	workers := min(runtime.GOMAXPROCS(0), n/20000+1)
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for from := step; from < n; from += step {
		wg.Add(1)
		go func(from int) {
			defer wg.Done()
			f(from, min(n, from+step))
		}(from)
	}
	f(0, min(n, step))
	wg.Wait()
}

// grow returns s with length n, reusing its array when it is big enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return append(s[:cap(s)], make([]T, n-cap(s))...)[:n]
	}
	return s[:n]
}

// toNRGBA converts without boxing for the usual case, a colour that is an NRGBA already.
func toNRGBA(c color.Color) color.NRGBA {
	switch v := c.(type) {
	case nil:
		return defaultColor
	case color.NRGBA:
		return v
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// Markers returns the markers last set.
func (m *Map) Markers() []Marker { return m.markers }

// SetSelected rings the marker (or the cluster holding it) with this ID; "" clears.
func (m *Map) SetSelected(id string) {
	m.selected = id
	m.Refresh()
}

// Zoom is the current zoom level.
func (m *Map) Zoom() int { return m.zoom }

// Center is the geographic point at the middle of the widget.
func (m *Map) Center() (lat, lon float64) { return unproject(m.center) }

// SetView centres the map on lat/lon at zoom z.
func (m *Map) SetView(lat, lon float64, z int) {
	m.center = project(lat, lon)
	m.zoom = max(m.minZoom, min(m.maxZoom, z))
	m.pendingFit, m.autoFit = false, false
	m.clampCenter()
	m.Refresh()
}

// SetZoom changes the zoom level around the centre.
func (m *Map) SetZoom(z int) {
	m.zoomAround(fyne.NewPos(m.Size().Width/2, m.Size().Height/2), z-m.zoom)
}

// FitMarkers shows all markers at the deepest zoom that holds them. Before the widget has a
// size, the fit happens at the first layout.
func (m *Map) FitMarkers() { m.FitPoints(m.markers) }

// FitPoints shows the given markers (a cluster's members, say) as FitMarkers does.
func (m *Map) FitPoints(ms []Marker) {
	if len(ms) == 0 {
		return
	}
	m.autoFit = len(ms) == len(m.markers) && (len(ms) == 0 || &ms[0] == &m.markers[0])
	sz := m.Size()
	if sz.Width < 1 || sz.Height < 1 {
		m.pendingFit = true
		return
	}
	m.pendingFit = false
	minX, minY, maxX, maxY := 1.0, 1.0, 0.0, 0.0
	for _, mk := range ms {
		p := project(mk.Lat, mk.Lon)
		minX, maxX = math.Min(minX, p.x), math.Max(maxX, p.x)
		minY, maxY = math.Min(minY, p.y), math.Max(maxY, p.y)
	}
	const pad = 48 // keep markers off the edges and clear of the controls
	w := math.Max(float64(sz.Width)-2*pad, 32)
	h := math.Max(float64(sz.Height)-2*pad, 32)
	z := m.maxZoom
	for z > m.minZoom {
		world := tileSize * math.Exp2(float64(z))
		if (maxX-minX)*world <= w && (maxY-minY)*world <= h {
			break
		}
		z--
	}
	m.zoom = min(z, 16) // one unit alone would otherwise zoom to the street
	m.center = worldPoint{(minX + maxX) / 2, (minY + maxY) / 2}
	m.clampCenter()
	m.Refresh()
}

// worldSize is the width of the whole world in units at the current zoom.
func (m *Map) worldSize() float64 { return tileSize * math.Exp2(float64(m.zoom)) }

// clampCenter keeps the world filling the widget where it can; a world smaller than the widget
// stays centred.
func (m *Map) clampCenter() {
	sz := m.Size()
	world := m.worldSize()
	fix := func(c *float64, extent float32) {
		half := float64(extent) / 2 / world
		if 2*half >= 1 {
			*c = 0.5
			return
		}
		*c = math.Max(half, math.Min(1-half, *c))
	}
	fix(&m.center.x, sz.Width)
	fix(&m.center.y, sz.Height)
}

// zoomAround changes zoom by dz keeping the world point under pos where it is.
func (m *Map) zoomAround(pos fyne.Position, dz int) {
	nz := max(m.minZoom, min(m.maxZoom, m.zoom+dz))
	m.pendingFit, m.autoFit = false, false
	if nz == m.zoom {
		return
	}
	sz := m.Size()
	world := m.worldSize()
	offX := float64(pos.X - sz.Width/2)
	offY := float64(pos.Y - sz.Height/2)
	px := m.center.x + offX/world
	py := m.center.y + offY/world
	m.zoom = nz
	world = m.worldSize()
	m.center = worldPoint{px - offX/world, py - offY/world}
	m.clampCenter()
	m.Refresh()
}

// Dragged pans the map with the pointer.
func (m *Map) Dragged(ev *fyne.DragEvent) {
	m.pendingFit, m.autoFit = false, false
	world := m.worldSize()
	m.center.x -= float64(ev.Dragged.DX) / world
	m.center.y -= float64(ev.Dragged.DY) / world
	m.clampCenter()
	m.Refresh()
}

// DragEnd is part of fyne.Draggable; panning needs nothing at the end.
func (m *Map) DragEnd() {}

// Scrolled zooms around the pointer, one level per wheel notch (Fyne reports a notch as 10 units
// on macOS and 25 elsewhere); a touchpad's small deltas add up to a notch.
func (m *Map) Scrolled(ev *fyne.ScrollEvent) {
	m.scrollAcc += ev.Scrolled.DY
	switch {
	case m.scrollAcc >= scrollPerNotch:
		m.scrollAcc = 0
		m.zoomAround(ev.Position, 1)
	case m.scrollAcc <= -scrollPerNotch:
		m.scrollAcc = 0
		m.zoomAround(ev.Position, -1)
	}
}

// DoubleTapped zooms in around the pointer.
func (m *Map) DoubleTapped(ev *fyne.PointEvent) { m.zoomAround(ev.Position, 1) }

// Tapped reports the marker or cluster under the pointer to OnTap.
func (m *Map) Tapped(ev *fyne.PointEvent) {
	if m.OnTap == nil {
		return
	}
	m.OnTap(m.MarkersAt(ev.Position))
}

// MarkersAt returns the markers drawn under pos (widget coordinates), topmost symbol first.
func (m *Map) MarkersAt(pos fyne.Position) []Marker {
	best, bestD := -1, float32(math.MaxFloat32)
	for i := len(m.hits) - 1; i >= 0; i-- {
		h := m.hits[i]
		dx, dy := pos.X-h.x, pos.Y-h.y
		d := dx*dx + dy*dy
		if r := h.r + 4; d <= r*r && d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		return nil
	}
	members := m.hits[best].c.members
	out := make([]Marker, len(members))
	for i, idx := range members {
		out[i] = m.markers[idx]
	}
	return out
}

// ScreenPosition is where a marker with this lat/lon is drawn, in widget coordinates.
func (m *Map) ScreenPosition(lat, lon float64) fyne.Position {
	p := project(lat, lon)
	sz := m.Size()
	world := m.worldSize()
	return fyne.NewPos(float32((p.x-m.center.x)*world)+sz.Width/2, float32((p.y-m.center.y)*world)+sz.Height/2)
}

// visibleClusters clusters the markers for the current view. Clusters are computed for the view
// grown by a screen on each side and reused while panning stays inside that area; the last few
// zoom levels' results are kept, so a wheel notch back to one of them is a lookup.
func (m *Map) visibleClusters() []Cluster {
	sz := m.Size()
	world := m.worldSize()
	hw, hh := float64(sz.Width)/2/world, float64(sz.Height)/2/world
	minX, maxX := m.center.x-hw, m.center.x+hw
	minY, maxY := m.center.y-hh, m.center.y+hh
	if e := m.cache.find(m.zoom, m.version, minX, minY, maxX, maxY); e != nil {
		m.clusters = e.out
		return m.clusters
	}
	e := m.cache.oldest()
	e.key = clusterKey{zoom: m.zoom, version: m.version,
		minX: minX - 2*hw, maxX: maxX + 2*hw, minY: minY - 2*hh, maxY: maxY + 2*hh}
	e.out = e.cl.cluster(m.pts, m.colors, m.attention, m.zoom, defaultCellPx, e.key.minX, e.key.minY, e.key.maxX, e.key.maxY)
	m.cache.use(e)
	m.clusters = e.out
	return m.clusters
}

// clusterCache keeps the clusterings of the last few views (each with its own buffers, reused
// when it is evicted).
type clusterCache struct {
	entries [cachedZooms]clusterEntry
	tick    int
}

// cachedZooms is how many clusterings the map keeps: the current zoom and the ones a wheel
// notch or two away that the dealer just left.
const cachedZooms = 3

type clusterEntry struct {
	key  clusterKey
	cl   clusterer
	out  []Cluster
	used int // cache tick of the last use; 0 when empty
}

func (c *clusterCache) find(zoom, version int, minX, minY, maxX, maxY float64) *clusterEntry {
	for i := range c.entries {
		e := &c.entries[i]
		k := e.key
		if e.used > 0 && k.zoom == zoom && k.version == version &&
			minX >= k.minX && maxX <= k.maxX && minY >= k.minY && maxY <= k.maxY {
			c.use(e)
			return e
		}
	}
	return nil
}

func (c *clusterCache) oldest() *clusterEntry {
	o := &c.entries[0]
	for i := range c.entries {
		if c.entries[i].used < o.used {
			o = &c.entries[i]
		}
	}
	return o
}

func (c *clusterCache) use(e *clusterEntry) {
	c.tick++
	e.used = c.tick
}

// MinSize keeps the controls usable.
func (m *Map) MinSize() fyne.Size { return fyne.NewSize(160, 120) }

// CreateRenderer is part of fyne.Widget.
func (m *Map) CreateRenderer() fyne.WidgetRenderer {
	r := &mapRenderer{m: m, tiles: map[maptile.Tile]*tileObj{}, places: map[string]*placeObj{}}
	r.note = canvas.NewText("", color.NRGBA{0x33, 0x33, 0x33, 0xff})
	r.note.TextSize = 12
	r.noteBg = canvas.NewRectangle(color.NRGBA{0xff, 0xff, 0xff, 0xd8})
	r.bg = canvas.NewRectangle(basemap.SeaColor)
	r.attr = canvas.NewText("", color.NRGBA{0x33, 0x33, 0x33, 0xff})
	r.attr.TextSize = 11
	r.attrBg = canvas.NewRectangle(color.NRGBA{0xff, 0xff, 0xff, 0xc0})
	r.ring = canvas.NewCircle(color.Transparent)
	r.ring.StrokeColor = color.NRGBA{0x11, 0x11, 0x11, 0xff}
	r.ring.StrokeWidth = 3
	r.ring.Hide()
	zoomIn := widget.NewButtonWithIcon("", theme.ZoomInIcon(), func() { m.SetZoom(m.zoom + 1) })
	zoomOut := widget.NewButtonWithIcon("", theme.ZoomOutIcon(), func() { m.SetZoom(m.zoom - 1) })
	fit := widget.NewButtonWithIcon("", theme.ZoomFitIcon(), m.FitMarkers)
	r.controls = container.NewVBox(zoomIn, zoomOut, fit)
	return r
}

type tileObj struct {
	img    *canvas.Image
	src    image.Image
	rect   image.Rectangle
	seen   int
	origin tiles.Origin // what the drawn image came from, for the attribution
	failed bool         // the source could not give this tile; a stand-in is drawn
}

type mapRenderer struct {
	m        *Map
	bg       *canvas.Rectangle
	tiles    map[maptile.Tile]*tileObj
	marks    []*markerObj
	texts    textSizes            // the marker texts' sizes
	places   map[string]*placeObj // place names drawn above the markers, by name
	grid     hitGrid              // this frame's markers by screen cell, for placing the names
	asked    uint32               // zooms whose names are being chosen in the background
	note     *canvas.Text         // the detail note (Map.SetDetailNote)
	noteBg   *canvas.Rectangle
	ring     *canvas.Circle
	attr     *canvas.Text
	attrBg   *canvas.Rectangle
	controls *fyne.Container
	objects  []fyne.CanvasObject
	frame    int
	wanted   []maptile.Tile
	wantedAt time.Time
	retry    *time.Timer // wakes the map to ask again for stand-in tiles
}

func (r *mapRenderer) Destroy() {
	if r.retry != nil {
		r.retry.Stop()
	}
}

func (r *mapRenderer) Layout(size fyne.Size) {
	if (r.m.pendingFit || r.m.autoFit) && size.Width > 0 && size.Height > 0 {
		r.m.pendingFit = false
		r.m.FitMarkers()
	}
	r.m.clampCenter()
	r.update(size)
}

func (r *mapRenderer) MinSize() fyne.Size { return r.m.MinSize() }

func (r *mapRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *mapRenderer) Refresh() { r.update(r.m.Size()) }

// crop returns the part r of src as an image of its own. A SubImage will not do: Fyne's GL painter
// uploads an *image.RGBA's Pix assuming rows of exactly the image's width, which a sub-image's
// rows (the parent's stride) are not.
func crop(src image.Image, r image.Rectangle) image.Image {
	if r == src.Bounds() && r.Min == (image.Point{}) {
		return src
	}
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), src, r.Min, draw.Src)
	return out
}

// update places tiles, markers and controls for the current view.
func (r *mapRenderer) update(size fyne.Size) {
	m := r.m
	r.frame++
	r.bg.Resize(size)
	objs := append(r.objects[:0], fyne.CanvasObject(r.bg))

	// Tiles.
	z := maptile.Zoom(m.zoom)
	n := 1 << m.zoom
	world := m.worldSize()
	left := m.center.x*world - float64(size.Width)/2
	top := m.center.y*world - float64(size.Height)/2
	tx0, ty0 := max(0, int(math.Floor(left/tileSize))), max(0, int(math.Floor(top/tileSize)))
	tx1 := min(n-1, int(math.Floor((left+float64(size.Width))/tileSize)))
	ty1 := min(n-1, int(math.Floor((top+float64(size.Height))/tileSize)))
	var want []maptile.Tile
	standIns := false
	for ty := ty0; ty <= ty1; ty++ {
		for tx := tx0; tx <= tx1; tx++ {
			t := maptile.New(uint32(tx), uint32(ty), z)
			var (
				src  image.Image
				rect image.Rectangle
			)
			if e, ok := m.loader.Peek(t); ok {
				src, rect = e.Image, e.Image.Bounds()
				if !e.Final {
					want = append(want, t) // the loader skips it until its retry time
					standIns = true
				}
			} else {
				src, rect = m.loader.Ancestor(t)
				want = append(want, t)
			}
			o := r.tiles[t]
			if o == nil {
				o = &tileObj{img: &canvas.Image{FillMode: canvas.ImageFillStretch, ScaleMode: canvas.ImageScaleSmooth}}
				r.tiles[t] = o
			}
			if o.src != src || o.rect != rect {
				o.src, o.rect = src, rect
				o.img.Image = crop(src, rect)
				o.img.Refresh()
			}
			o.seen = r.frame
			o.origin, o.failed = m.drawnOrigin(t)
			o.img.Move(fyne.NewPos(float32(float64(tx*tileSize)-left), float32(float64(ty*tileSize)-top)))
			o.img.Resize(fyne.NewSize(tileSize, tileSize))
			objs = append(objs, o.img)
		}
	}
	for t, o := range r.tiles {
		if o.seen != r.frame {
			delete(r.tiles, t)
		}
	}
	// Load the centre first: it is what the eye is on.
	cx, cy := (left+float64(size.Width)/2)/tileSize, (top+float64(size.Height)/2)/tileSize
	sort.Slice(want, func(i, j int) bool {
		di := math.Hypot(float64(want[i].X)+0.5-cx, float64(want[i].Y)+0.5-cy)
		dj := math.Hypot(float64(want[j].X)+0.5-cx, float64(want[j].Y)+0.5-cy)
		return di < dj
	})
	if !sameTiles(want, r.wanted) || time.Since(r.wantedAt) > retryEvery {
		r.wanted, r.wantedAt = want, time.Now()
		m.loader.Want(want)
	}
	if standIns && r.retry == nil {
		// Nothing else may move the view; wake up to fetch what the network could not give.
		r.retry = time.AfterFunc(retryEvery, func() {
			m.wake(func() {
				r.retry = nil
				m.Refresh()
			})
		})
	}

	// Markers and clusters.
	m.hits = m.hits[:0]
	r.ring.Hide()
	used := 0
	if len(m.pts) > 0 && size.Width > 0 {
		selIdx := int32(-1)
		if m.selected != "" {
			for i := range m.markers {
				if m.markers[i].ID == m.selected {
					selIdx = int32(i)
					break
				}
			}
		}
		r.texts.frame()
		for ci := range m.visibleClusters() {
			c := &m.clusters[ci]
			sx := float32(c.X*world - left)
			sy := float32(c.Y*world - top)
			rad := float32(markerRadius)
			if c.Count > 1 {
				rad = float32(10 + 2*math.Min(6, math.Log10(float64(c.Count))*2.5))
			}
			if sx < -rad || sy < -rad || sx > size.Width+rad || sy > size.Height+rad {
				continue
			}
			if used == len(r.marks) {
				r.marks = append(r.marks, newMarkerObj())
			}
			mo := r.marks[used]
			used++
			objs = mo.place(c, sx, sy, rad, m.singleStale(c), &r.texts, objs)
			if selIdx >= 0 && containsIdx(c.members, selIdx) {
				rr := rad + 4
				r.ring.Move(fyne.NewPos(sx-rr, sy-rr))
				r.ring.Resize(fyne.NewSize(2*rr, 2*rr))
				r.ring.Show()
				r.ring.Refresh()
			}
			m.hits = append(m.hits, hit{x: sx, y: sy, r: rad, c: c})
		}
	}
	if len(r.marks) > used+256 {
		r.marks = r.marks[:used+256] // let a zoom-out's burst of symbols be collected
	}
	objs = append(objs, r.ring)
	// Past what the built-in basemap holds, say once, at the top, where street detail comes from.
	note := m.detailNoteNow(r.tiles)
	if note != "" {
		r.note.Text = note
		ns := fyne.MeasureText(note, r.note.TextSize, r.note.TextStyle)
		x := max((size.Width-ns.Width)/2, 56) // clear of the zoom buttons
		r.noteBg.Resize(fyne.NewSize(ns.Width+12, ns.Height+6))
		r.noteBg.Move(fyne.NewPos(x-6, theme.Padding()*2))
		r.note.Resize(ns)
		r.note.Move(fyne.NewPos(x, theme.Padding()*2+3))
		r.note.Refresh()
	}

	// Attribution of what is drawn, always visible, bottom right; controls top left.
	r.attr.Text = m.attribution(r.tiles)
	ts := fyne.MeasureText(r.attr.Text, r.attr.TextSize, r.attr.TextStyle)
	pad := float32(4)
	r.attrBg.Resize(fyne.NewSize(ts.Width+2*pad, ts.Height+2))
	r.attrBg.Move(fyne.NewPos(size.Width-ts.Width-2*pad, size.Height-ts.Height-2))
	r.attr.Resize(ts)
	r.attr.Move(fyne.NewPos(size.Width-ts.Width-pad, size.Height-ts.Height-1))
	r.attr.Refresh()
	cs := r.controls.MinSize()
	r.controls.Resize(cs)
	r.controls.Move(fyne.NewPos(theme.Padding()*2, theme.Padding()*2))

	// Place names go above the markers, clear of them and of the map's own words and buttons.
	reserved := []box{boxOf(r.attrBg), boxOf(r.controls)}
	if note != "" {
		reserved = append(reserved, boxOf(r.noteBg))
	}
	objs = r.placeLabels(size, left, top, reserved, objs)
	if note != "" {
		objs = append(objs, r.noteBg, r.note)
	}
	objs = append(objs, r.attrBg, r.attr, r.controls)
	r.objects = objs
}

func containsIdx(list []int32, v int32) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sameTiles(a, b []maptile.Tile) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
