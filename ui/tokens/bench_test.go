package tokens

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// BenchmarkPickerKeystroke is one keystroke in the device picker's search box over a
// 100,000-unit fleet: the search, the ownership filter, the list refresh and the re-judging of the
// request. It runs on the UI goroutine, so it must stay well under a frame.
func BenchmarkPickerKeystroke(b *testing.B) {
	svc := newMemSession(testNow)
	devs := make([]fleet.Device, 100_000)
	for i := range devs {
		owner := "ann@farm.example"
		if i%4 == 0 {
			owner = "bob@mill.example"
		}
		devs[i] = fleet.Device{ID: fmt.Sprintf("XP-%06d", i), Model: fleet.ModelXPro, Transport: fleet.TransportGSM,
			CustomerEmail: owner, Dealer: "d1", Online: true, LastSeen: testNow}
	}
	svc.fleet = fleet.NewIndex(devs)
	test.NewTempApp(b)
	win := test.NewTempWindow(b, nil)
	loop := uitest.NewLoop(b)
	var p *Page
	loop.Run(func() {
		p = New(svc, Options{Window: win, UI: loop.Do})
		win.SetContent(p.Content())
		win.Resize(fyne.NewSize(1280, 860))
		test.Tap(p.issueBtn)
	})
	defer loop.Run(p.Close)
	loop.Eventually(b, 30*time.Second, "the user accounts", func() bool { return p.busy == 0 })
	// The keystrokes run on the benchmark's goroutine: the page is idle, nothing else touches it.
	w := p.wizard
	w.users.list.Select(0)
	test.Tap(w.nextBtn)
	w.access.radio.SetSelected(optReadOnly)
	test.Tap(w.nextBtn)
	test.Tap(w.devices.restrict)
	queries := []string{"XP-0012", "XP-001", "XP-00", "farm", ""}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w.devices.picker.search.SetText(queries[i%len(queries)])
		i++
	}
	if len(w.devices.picker.shown) == 0 {
		b.Fatal("picker shows nothing")
	}
}
