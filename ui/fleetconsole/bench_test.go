package fleetconsole

import (
	"context"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// benchCache fills a real SQLite cache with 100,000 generated units once per benchmark.
func benchCache(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := testfleet.FillCache(context.Background(), dir, testfleet.GenerateFleet(100_000, 42, now0), now0); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkConsoleColdStart100k is start-up to a searchable console: open the offline cache of
// 100,000 units (SQLite → fleet.Index), build the Fleet Console, render it in a window, and finish a
// first search typed into the box. Target: under 1 s.
func BenchmarkConsoleColdStart100k(b *testing.B) {
	test.NewTempApp(b)
	dir := benchCache(b)
	var openT, uiT time.Duration
	loop := uitest.NewLoop(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		svc, err := testfleet.OpenOffline(context.Background(), dir, now0)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		openT += t1.Sub(t0)
		var c *Page
		var w fyne.Window
		loop.Run(func() {
			c = New(svc, Options{Debounce: time.Millisecond, UI: loop.Do})
			w = test.NewWindow(c.Content())
			w.Resize(fyne.NewSize(1300, 800))
			test.Type(c.w.search, "okafor")
		})
		loop.Eventually(b, time.Minute, "the search", func() bool {
			return c.sel.Filter().Text == "okafor" && c.stopDebounce == nil && c.sel.Current() && c.loaded
		})
		if n := len(c.v.rows); n == 0 || n == 100_000 {
			b.Fatalf("search kept %d rows", n)
		}
		uiT += time.Since(t1)
		b.StopTimer()
		c.Close()
		loop.Run(w.Close)
		svc.Close()
		b.StartTimer()
	}
	// The two halves: the data layer's cache open, and the Fleet Console's own share.
	b.ReportMetric(float64(openT.Milliseconds())/float64(b.N), "cache-open-ms")
	b.ReportMetric(float64(uiT.Milliseconds())/float64(b.N), "console-ms")
}

// BenchmarkConsoleMemory100k reports the heap the app holds with 100,000 units loaded and the
// console on screen (heap-MB, after GC, over the empty app's baseline). Target: under 250 MB.
func BenchmarkConsoleMemory100k(b *testing.B) {
	test.NewTempApp(b)
	dir := benchCache(b)
	var peak float64
	loop := uitest.NewLoop(b)
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		svc, err := testfleet.OpenOffline(context.Background(), dir, now0)
		if err != nil {
			b.Fatal(err)
		}
		var c *Page
		var w fyne.Window
		loop.Run(func() {
			c = New(svc, Options{UI: loop.Do})
			w = test.NewWindow(c.Content())
			w.Resize(fyne.NewSize(1300, 800))
			c.w.table.ScrollToBottom()
		})
		runtime.GC()
		runtime.ReadMemStats(&after)
		mb := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		peak = max(peak, mb)
		runtime.KeepAlive(c)
		c.Close()
		loop.Run(w.Close)
		svc.Close()
	}
	b.ReportMetric(peak, "heap-MB")
}
