package mapview

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/paulmach/orb/maptile"
)

// markerObj draws one marker or cluster: a dot, its count, and a red badge with how many of a
// cluster's members need attention. A cluster is not painted red because one member needs
// attention (most of a healthy fleet would read red); its body keeps the other members' colour
// and the badge says how many need attention. Only a cluster whose members all need attention is
// red all over.
type markerObj struct {
	dot       *canvas.Circle
	label     *canvas.Text
	badge     *canvas.Circle
	badgeText *canvas.Text
}

func newMarkerObj() *markerObj {
	dot := canvas.NewCircle(defaultColor)
	dot.StrokeColor = color.White
	dot.StrokeWidth = 2
	label := canvas.NewText("", color.White)
	label.Alignment = fyne.TextAlignCenter
	label.TextStyle = fyne.TextStyle{Bold: true}
	label.TextSize = 11
	badge := canvas.NewCircle(AttentionColor)
	badge.StrokeColor = color.White
	badge.StrokeWidth = 1.5
	bt := canvas.NewText("", color.White)
	bt.Alignment = fyne.TextAlignCenter
	bt.TextStyle = fyne.TextStyle{Bold: true}
	bt.TextSize = 10
	return &markerObj{dot: dot, label: label, badge: badge, badgeText: bt}
}

// BodyColor is the colour a cluster's body is drawn in: red only when every member needs
// attention; otherwise the colour its other members share (ClusterColor when they differ). A
// cluster mixing members that need attention with green ones is green with a red badge.
func BodyColor(c *Cluster) color.NRGBA {
	switch {
	case c.Attention >= c.Count:
		return AttentionColor
	case c.Attention > 0 && (c.Color == ClusterColor || c.Color == AttentionColor):
		// Mixed only because of the members that need attention: the others are the normal green.
		return defaultColor
	}
	return c.Color
}

// staleAlpha is how opaque a stale marker is: visibly older than a fresh one, still readable.
const staleAlpha = 0x70

// textSizes remembers how large the marker texts measure, by text: the count and badge labels
// keep one size and style, a frame draws hundreds of them, and measuring each through Fyne's
// text cache was a fifth of a frame. One per renderer (the UI goroutine's), emptied when it grows
// past what a frame could use or the theme changes.
type textSizes struct {
	sizes map[textKey]fyne.Size
	theme fyne.Theme
}

type textKey struct {
	text string
	size float32
}

// frame starts a frame's measuring: what the last theme measured is forgotten.
func (ts *textSizes) frame() {
	th := fyne.CurrentApp().Settings().Theme()
	if ts.sizes == nil || len(ts.sizes) > 4096 || ts.theme != th {
		ts.sizes, ts.theme = make(map[textKey]fyne.Size), th
	}
}

func (ts *textSizes) measure(t *canvas.Text) fyne.Size {
	k := textKey{t.Text, t.TextSize}
	sz, ok := ts.sizes[k]
	if !ok {
		sz = fyne.MeasureText(t.Text, t.TextSize, t.TextStyle)
		ts.sizes[k] = sz
	}
	return sz
}

// place lays the symbol for cluster c out at (sx, sy) with radius rad and appends what it draws;
// ts measures its texts.
func (mo *markerObj) place(c *Cluster, sx, sy, rad float32, stale bool, ts *textSizes, objs []fyne.CanvasObject) []fyne.CanvasObject {
	fill := BodyColor(c)
	mo.dot.StrokeColor = color.White
	if stale {
		// An old last known location: faded, with a ring in its own colour so it still reads.
		mo.dot.StrokeColor = fill
		fill.A = staleAlpha
	}
	mo.dot.FillColor = fill
	mo.dot.Move(fyne.NewPos(sx-rad, sy-rad))
	mo.dot.Resize(fyne.NewSize(2*rad, 2*rad))
	mo.dot.Refresh()
	objs = append(objs, mo.dot)
	if c.Count > 1 {
		mo.label.Text = countLabel(c.Count)
		th := ts.measure(mo.label).Height
		mo.label.Move(fyne.NewPos(sx-rad, sy-th/2))
		mo.label.Resize(fyne.NewSize(2*rad, th))
		mo.label.Refresh()
		objs = append(objs, mo.label)
	}
	if c.Count > 1 && c.Attention > 0 && c.Attention < c.Count {
		mo.badgeText.Text = countLabel(c.Attention)
		bs := ts.measure(mo.badgeText)
		br := max(bs.Width/2+3, bs.Height/2+1)
		bx, by := sx+rad*0.7, sy-rad*0.7 // the top right of the cluster
		mo.badge.Move(fyne.NewPos(bx-br, by-br))
		mo.badge.Resize(fyne.NewSize(2*br, 2*br))
		mo.badge.Refresh()
		mo.badgeText.Move(fyne.NewPos(bx-br, by-bs.Height/2))
		mo.badgeText.Resize(fyne.NewSize(2*br, bs.Height))
		mo.badgeText.Refresh()
		objs = append(objs, mo.badge, mo.badgeText)
	}
	return objs
}

// singleStale reports whether c is a single marker with a stale position.
func (m *Map) singleStale(c *Cluster) bool {
	return c.Count == 1 && len(c.members) == 1 && m.markers[c.members[0]].Stale
}

// drawnOrigin is where the image drawn for tile t comes from: its own entry in memory, else the
// ancestor Loader.Ancestor cuts it from, else the basemap. failed is true when the source was
// asked and could not give the tile (a stand-in waiting for a retry).
func (m *Map) drawnOrigin(t maptile.Tile) (o tiles.Origin, failed bool) {
	if e, ok := m.loader.Peek(t); ok {
		return e.Origin, !e.Final && (e.Origin == tiles.OriginBasemap || e.Origin == tiles.OriginParent)
	}
	for a, d := t.Parent(), 1; d <= int(t.Z); a, d = a.Parent(), d+1 {
		if e, ok := m.loader.Peek(a); ok {
			return e.Origin, false
		}
	}
	return tiles.OriginBasemap, false
}

// attribution credits only what is drawn: the source's line when its tiles are on screen, the
// built-in basemap's when it is, and says when the source's tiles are unavailable or loading.
func (m *Map) attribution(drawn map[maptile.Tile]*tileObj) string {
	src := m.loader.Attribution()
	if src == basemap.Attribution {
		return src
	}
	real, base, failed := false, false, false
	for _, o := range drawn {
		switch o.origin {
		case tiles.OriginBasemap:
			base = true
		default:
			real = true
		}
		failed = failed || o.failed
	}
	switch {
	case real && base:
		return src + " · " + basemap.Attribution
	case real:
		return src
	case failed:
		return "Map tiles unavailable, showing the built-in map · " + basemap.Attribution
	}
	return "Loading map tiles… · " + basemap.Attribution
}

func countLabel(n int) string {
	switch {
	case n >= 1_000_000:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 10_000:
		return strconv.Itoa(n/1000) + "k"
	case n >= 1000:
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + "k"
	}
	return strconv.Itoa(n)
}
