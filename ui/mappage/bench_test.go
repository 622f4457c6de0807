package mappage

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
)

// BenchmarkSetFleet100k is one sync change on a 100,000-unit fleet as the Fleet Map page takes
// it: snapshots alternate between two that differ in 1% of the units (moved, and changed health).
// The benchmark is the UI goroutine: ns/op is the time spent on it per change, which is what
// holds a frame (SetFleet, then applying the built markers: projection, clustering, the count line
// and the card). The markers themselves (search, health, fix age) are built off the UI goroutine;
// build-ms is that step, shown-ms the time from SetFleet to the markers on the map (what the
// dealer waits, the UI goroutine free meanwhile). Target: under 8 ms on the UI goroutine.
func BenchmarkSetFleet100k(b *testing.B) {
	a := test.NewApp()
	defer a.Quit()
	l, err := tiles.Open(tiles.Config{Kind: tiles.KindBasemap})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rng := rand.New(rand.NewSource(1))
	ds := make([]fleet.Device, 100000)
	for i := range ds {
		ds[i] = fleet.Device{ID: fmt.Sprintf("GEN-%06d", i), Name: "site", Model: fleet.AllModels[i%6],
			Transport: fleet.AllTransports[i%2], Online: true, LastSeen: now.Add(-time.Duration(rng.Intn(60)) * time.Minute)}
		if i%10 != 0 {
			ds[i].GPS = &fleet.Position{Lat: rng.Float64()*120 - 60, Lon: rng.Float64()*360 - 180, FixTime: now}
		}
	}
	changed := slices.Clone(ds)
	for i := 0; i < len(changed); i += 100 {
		changed[i].Online = !changed[i].Online
		if p := changed[i].GPS; p != nil {
			changed[i].GPS = &fleet.Position{Lat: p.Lat + 0.01, Lon: p.Lon, FixTime: now}
		}
	}
	snapshots := []*fleet.Index{fleet.NewIndex(ds), fleet.NewIndex(changed)}

	// The page's runner delivers here; the benchmark runs what arrives, as the UI goroutine would.
	delivered := make(chan func(), 64)
	p := New(Options{Loader: l, UI: func(f func()) { delivered <- f }})
	defer p.Close()
	w := a.NewWindow("bench")
	w.SetContent(p.Content())
	w.Resize(fyne.NewSize(1280, 800))
	land := func() {
		for !p.upToDate() {
			(<-delivered)()
		}
	}
	p.SetFleet(snapshots[1], now)
	land()

	var build, shown []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		p.SetFleet(snapshots[i%2], now)
		b.StopTimer()
		for !p.upToDate() {
			f := <-delivered
			if len(build) < i+1 {
				build = append(build, ms(time.Since(start)))
			}
			b.StartTimer()
			f()
			b.StopTimer()
		}
		shown = append(shown, ms(time.Since(start)))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(medianOf(build), "build-ms")
	b.ReportMetric(medianOf(shown), "shown-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPatchMarkers100k is the marker work for one live update (issue 23) off the UI
// goroutine: 250 of 100,000 units changed (a quarter second at 1,000 changes a second), patched
// from the last set instead of built afresh, into the arrays of the set before it as the page
// hands them over.
func BenchmarkPatchMarkers100k(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	ix := fleet.NewIndex(liveFleet(rng, 100000))
	at := now
	base := markerQuery{ix: ix, now: at}.fullBuild()
	var spare spares
	var full []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		at = at.Add(250 * time.Millisecond)
		devs := ix.Devices()
		changed := make([]fleet.Device, 250)
		for c := range changed {
			changed[c] = *devs[rng.Intn(len(devs))]
			changed[c].LastSeen = at
		}
		ix = ix.Patch(changed, nil)
		q := markerQuery{ix: ix, now: at}
		if i < 5 {
			start := time.Now()
			q.fullBuild()
			full = append(full, ms(time.Since(start)))
		}
		b.StartTimer()
		next, ok := q.patch(&base, spare)
		if !ok {
			b.Fatal("a 250-unit delta was not patched")
		}
		spare, base = spares{base.markers, base.found, base.pos}, next
	}
	b.StopTimer()
	b.ReportMetric(medianOf(full), "full-build-ms")
}
