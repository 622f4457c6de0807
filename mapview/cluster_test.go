package mapview

import (
	"fmt"
	"image/color"
	"math"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
)

var (
	green = color.NRGBA{0, 160, 0, 255}
	blue  = color.NRGBA{0, 0, 200, 255}
)

func randomMarkers(n int, seed int64) []Marker {
	rng := rand.New(rand.NewSource(seed))
	out := make([]Marker, n)
	for i := range out {
		out[i] = Marker{ID: fmt.Sprintf("u%06d", i), Lat: rng.Float64()*140 - 70, Lon: rng.Float64()*360 - 180,
			Color: green, Attention: rng.Intn(50) == 0}
	}
	return out
}

func prepared(ms []Marker) (pts []worldPoint, colors []color.NRGBA, attn []bool) {
	for _, m := range ms {
		pts = append(pts, project(m.Lat, m.Lon))
		colors = append(colors, color.NRGBAModel.Convert(m.Color).(color.NRGBA))
		attn = append(attn, m.Attention)
	}
	return
}

// TestClusterPartition: every marker in the area lands in exactly one cluster, counts add up,
// a cluster counts exactly the members that need attention, and positions are member means.
func TestClusterPartition(t *testing.T) {
	ms := randomMarkers(20000, 1)
	ms[5].Color = blue
	pts, colors, attn := prepared(ms)
	var c clusterer
	for _, z := range []int{0, 2, 5, 9} {
		minX, minY, maxX, maxY := 0.2, 0.1, 0.7, 0.9
		cl := c.cluster(pts, colors, attn, z, 56, minX, minY, maxX, maxY)
		seen := make([]int, len(ms))
		total := 0
		for i := range cl {
			k := &cl[i]
			if len(k.members) != k.Count {
				t.Fatalf("z%d: cluster count %d but %d members", z, k.Count, len(k.members))
			}
			total += k.Count
			nAttn, sx, sy := 0, 0.0, 0.0
			sameColor := true
			for _, idx := range k.members {
				seen[idx]++
				if attn[idx] {
					nAttn++
				}
				sx += pts[idx].x
				sy += pts[idx].y
				sameColor = sameColor && colors[idx] == colors[k.members[0]]
			}
			if nAttn != k.Attention {
				t.Fatalf("z%d: %d needing attention, members say %d", z, k.Attention, nAttn)
			}
			if math.Abs(sx/float64(k.Count)-k.X) > 1e-12 || math.Abs(sy/float64(k.Count)-k.Y) > 1e-12 {
				t.Fatalf("z%d: cluster position is not the members' mean", z)
			}
			if sameColor && k.Color != colors[k.members[0]] || !sameColor && k.Color != ClusterColor {
				t.Fatalf("z%d: colour %v (members same colour: %v)", z, k.Color, sameColor)
			}
		}
		for i, p := range pts {
			in := p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
			if in && seen[i] != 1 || !in && seen[i] != 0 {
				t.Fatalf("z%d: marker %d (inside=%v) in %d clusters", z, i, in, seen[i])
			}
			if in {
				total--
			}
		}
		if total != 0 {
			t.Fatalf("z%d: counts off by %d", z, total)
		}
	}
}

// TestClusterGeometry: markers a few metres apart cluster; markers far apart on screen do not; at
// a deep zoom neighbours separate; and no two symbols sit on top of each other.
func TestClusterGeometry(t *testing.T) {
	ms := []Marker{
		{ID: "a", Lat: 51.5000, Lon: -0.1200, Color: green},
		{ID: "b", Lat: 51.5001, Lon: -0.1201, Color: green},
		{ID: "c", Lat: 51.5050, Lon: -0.1000, Color: green},
		{ID: "far", Lat: -33.86, Lon: 151.2, Color: green},
	}
	pts, colors, attn := prepared(ms)
	var c clusterer
	count := func(z int) []int {
		var out []int
		for _, k := range c.cluster(pts, colors, attn, z, 56, 0, 0, 1, 1) {
			out = append(out, k.Count)
		}
		return out
	}
	if got := count(3); len(got) != 2 {
		t.Errorf("z3: clusters %v, want London (3) and Sydney (1)", got)
	}
	if got := count(15); len(got) != 3 {
		t.Errorf("z15: clusters %v, want a+b together, c and far apart", got)
	}
	if got := count(19); len(got) != 4 {
		t.Errorf("z19: clusters %v, want all apart", got)
	}
	// Symbols never overlap much: any two clusters are at least 0.6 cell apart on one axis.
	many := randomMarkers(50000, 3)
	pts, colors, attn = prepared(many)
	for _, z := range []int{2, 4, 6} {
		cl := c.cluster(pts, colors, attn, z, 56, 0, 0, 1, 1)
		world := 256 * math.Exp2(float64(z))
		grid := map[[2]int][]int{}
		for i, k := range cl {
			grid[[2]int{int(k.X * world / 56), int(k.Y * world / 56)}] = append(grid[[2]int{int(k.X * world / 56), int(k.Y * world / 56)}], i)
		}
		close := 0
		for i, k := range cl {
			gx, gy := int(k.X*world/56), int(k.Y*world/56)
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					for _, j := range grid[[2]int{gx + dx, gy + dy}] {
						if j > i && math.Abs(cl[j].X-k.X)*world < 10 && math.Abs(cl[j].Y-k.Y)*world < 10 {
							close++
						}
					}
				}
			}
		}
		if close > len(cl)/100 {
			t.Errorf("z%d: %d of %d clusters within 10 px of another", z, close, len(cl))
		}
	}
}

// BenchmarkCluster100k clusters 100,000 markers spread over the world for one frame at a zoom
// where all are in view (target: under 8 ms).
func BenchmarkCluster100k(b *testing.B) {
	pts, colors, attn := prepared(randomMarkers(100000, 2))
	var c clusterer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.cluster(pts, colors, attn, 2+i%3, 56, 0, 0, 1, 1)
	}
}

// BenchmarkMapMemory100k reports everything a map widget keeps alive for 100,000 markers once
// they are set, clustered and drawn at three zoom levels (the clusterings it keeps for wheel
// notches): the marker slice itself with its IDs (the widget holds it for taps), the projected
// points, colours, attention flags and the cluster buffers. Tiles are not counted.
func BenchmarkMapMemory100k(b *testing.B) {
	var before, after runtime.MemStats
	var held float64
	pos := fyne.NewPos(640, 400)
	for i := 0; i < b.N; i++ {
		m, closeWin := newBenchMap(b)
		m.SetView(20, 0, 3)
		if err := m.loader.Wait(b.Context()); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&before)
		tilesBefore, _ := m.loader.Memory().Used()
		m.SetMarkers(randomMarkers(100000, 4))
		for _, dy := range []float32{10, 10, -10, -10} {
			m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: pos}, Scrolled: fyne.Delta{DY: dy}})
		}
		// The zooms load tiles: wait for them, and count the tile cache apart (it is bounded by
		// its budget whatever the markers), with the renderers' pooled scratch dropped (two GCs).
		if err := m.loader.Wait(b.Context()); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		tilesAfter, _ := m.loader.Memory().Used()
		held = float64(after.HeapAlloc) - float64(before.HeapAlloc) - float64(tilesAfter-tilesBefore)
		runtime.KeepAlive(m)
		closeWin()
	}
	b.ReportMetric(held, "heap-bytes")
	b.ReportMetric(held/100000, "bytes/marker")
}

// BenchmarkSetMarkers100k is a sync bringing a new snapshot of 100,000 markers (a new slice in
// which 1% of the units moved and 2% changed colour): project, cluster, draw one frame.
func BenchmarkSetMarkers100k(b *testing.B) {
	a := randomMarkers(100000, 5)
	c := slices.Clone(a)
	rng := rand.New(rand.NewSource(6))
	for range 1000 {
		i := rng.Intn(len(c))
		c[i].Lat, c[i].Lon = c[i].Lat+0.01, c[i].Lon-0.01
	}
	for range 2000 {
		c[rng.Intn(len(c))].Color = blue
	}
	snaps := [][]Marker{a, c}
	m, closeWin := newBenchMap(b)
	defer closeWin()
	m.SetView(20, 0, 3)
	settle(b, m)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.SetMarkers(snaps[i%2])
	}
}

// BenchmarkSetMarkersAllMoved100k is the worst snapshot: every one of 100,000 markers at a new
// position (or a first load), so every one is projected again.
func BenchmarkSetMarkersAllMoved100k(b *testing.B) {
	snaps := [][]Marker{randomMarkers(100000, 5), randomMarkers(100000, 15)}
	m, closeWin := newBenchMap(b)
	defer closeWin()
	m.SetView(20, 0, 3)
	settle(b, m)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.SetMarkers(snaps[i%2])
	}
}

// BenchmarkPanFrame100k is one drag event with 100,000 markers: the frame the dealer waits for
// while panning.
func BenchmarkPanFrame100k(b *testing.B) {
	m, closeWin := newBenchMap(b)
	defer closeWin()
	m.SetMarkers(randomMarkers(100000, 6))
	m.SetView(20, 0, 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := float32(3)
		if i%200 >= 100 {
			d = -3
		}
		m.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: d, DY: d / 2}})
	}
}

// BenchmarkZoomFrame100k is one wheel notch with 100,000 markers, in and out again: each notch
// lands on a zoom level whose clustering the map kept, so this is the lookup path.
func BenchmarkZoomFrame100k(b *testing.B) { benchZoom(b, false) }

// BenchmarkZoomFrameRecluster100k is one wheel notch that has to cluster again (nothing kept for
// that zoom level): the worst zoom frame.
func BenchmarkZoomFrameRecluster100k(b *testing.B) { benchZoom(b, true) }

func benchZoom(b *testing.B, recluster bool) {
	m, closeWin := newBenchMap(b)
	defer closeWin()
	m.SetMarkers(randomMarkers(100000, 7))
	m.SetView(20, 0, 3)
	pos := fyne.NewPos(640, 400)
	for range 2 { // render both zoom levels' tiles before timing: a frame does not wait for them
		m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: pos}, Scrolled: fyne.Delta{DY: 10}})
		settle(b, m)
		m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: pos}, Scrolled: fyne.Delta{DY: -10}})
		settle(b, m)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dy := float32(10)
		if i%2 == 1 {
			dy = -10
		}
		if recluster {
			m.version++ // forget every kept clustering, as a new snapshot would
		}
		m.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: pos}, Scrolled: fyne.Delta{DY: dy}})
	}
}

// settle waits until the tile loader has rendered what the view wants, so the background tile
// work does not share the two cores with the frame being timed.
func settle(b *testing.B, m *Map) {
	b.Helper()
	if err := m.loader.Wait(b.Context()); err != nil {
		b.Fatal(err)
	}
}
