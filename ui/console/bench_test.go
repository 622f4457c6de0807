package console

import (
	"context"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// benchCache fills a real SQLite cache with 100,000 generated units once per benchmark.
func benchCache(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := uitest.FillCache(context.Background(), dir, uitest.GenerateFleet(100_000, 42, now0), now0); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkConsoleColdStart100k is start-up to a searchable console: open the offline cache of
// 100,000 units (SQLite → fleet.Index), build the console, render it in a window, and finish a
// first search typed into the box. Target: under 1 s.
func BenchmarkConsoleColdStart100k(b *testing.B) {
	test.NewTempApp(b)
	dir := benchCache(b)
	var openT, uiT time.Duration
	kit.Lock()
	defer kit.Unlock()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		svc, err := uitest.OpenOffline(context.Background(), dir, now0)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		openT += t1.Sub(t0)
		c := New(svc, Options{Debounce: time.Millisecond})
		done := settled(c)
		w := test.NewWindow(c.Content())
		w.Resize(fyne.NewSize(1300, 800))
		test.Type(c.search, "okafor")
		for c.filter.Text != "okafor" || c.applied.Load() != c.gen.Load() || c.applied.Load() == 0 {
			uitest.Recv(done, time.Minute)
		}
		if len(c.rows) == 0 || len(c.rows) == 100_000 {
			b.Fatalf("search kept %d rows", len(c.rows))
		}
		uiT += time.Since(t1)
		b.StopTimer()
		c.Close()
		w.Close()
		svc.Close()
		b.StartTimer()
	}
	// The two halves: the data layer's cache open, and the console's own share.
	b.ReportMetric(float64(openT.Milliseconds())/float64(b.N), "cache-open-ms")
	b.ReportMetric(float64(uiT.Milliseconds())/float64(b.N), "console-ms")
}

// BenchmarkConsoleMemory100k reports the heap the app holds with 100,000 units loaded and the
// console on screen (heap-MB, after GC, over the empty app's baseline). Target: under 250 MB.
func BenchmarkConsoleMemory100k(b *testing.B) {
	test.NewTempApp(b)
	dir := benchCache(b)
	var peak float64
	kit.Lock()
	defer kit.Unlock()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		svc, err := uitest.OpenOffline(context.Background(), dir, now0)
		if err != nil {
			b.Fatal(err)
		}
		c := New(svc, Options{})
		w := test.NewWindow(c.Content())
		w.Resize(fyne.NewSize(1300, 800))
		c.table.ScrollToBottom()
		runtime.GC()
		runtime.ReadMemStats(&after)
		mb := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		peak = max(peak, mb)
		runtime.KeepAlive(c)
		c.Close()
		w.Close()
		svc.Close()
	}
	b.ReportMetric(peak, "heap-MB")
}
