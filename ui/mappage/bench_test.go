package mappage

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
)

// BenchmarkSetFleet100k is one sync change on a 100,000-unit fleet: filter, build markers,
// cluster and draw a frame, on the UI goroutine.
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
	ix := fleet.NewIndex(ds)
	p := New(Options{Loader: l, UI: func(func()) {}})
	w := a.NewWindow("bench")
	w.SetContent(p.Content())
	w.Resize(fyne.NewSize(1280, 800))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.SetFleet(ix, now)
	}
}
