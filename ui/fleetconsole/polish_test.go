package fleetconsole

import (
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// Issue 24 item 18: a filter chip that is off can be told from the page, in both themes: its
// outline is at least 3:1 against the background (a plain button's grey is 1.3:1).
func TestChipsThatAreOffAreVisible(t *testing.T) {
	app := test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 300, now0)
	p := newPage(t, svc, Options{Debounce: time.Millisecond}, fyne.NewSize(1300, 700))
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		p.run(t, func() {
			app.Settings().SetTheme(prefs.Theme(v))
			bg := app.Settings().Theme().Color(theme.ColorNameBackground, v)
			img := p.w.Canvas().Capture()
			for name, chip := range map[string]fyne.CanvasObject{
				"Lost contact": p.c.chips.health[fleet.HealthLost], "Unified console": p.c.chips.consoles[fleet.ConsoleUnified],
			} {
				r := uitest.Rect(chip)
				// The left edge, half way down: where the outline is and no text or icon is.
				edge := image.Rect(r.Min.X, r.Min.Y+r.Dy()/2-2, r.Min.X+2, r.Min.Y+r.Dy()/2+2)
				if c := uitest.MaxContrast(img, edge, bg); c < 3 {
					t.Errorf("variant %d: the %q chip (off) is %.1f:1 against the page, want 3:1", v, name, c)
				}
			}
		})
	}
}

// Issue 24 item 18: "No units match …" lies on the page's own colour over the empty table body:
// no column line runs through its words.
func TestNoMatchHasNoColumnLinesThroughIt(t *testing.T) {
	app := test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 300, now0)
	p := newPage(t, svc, Options{Debounce: time.Millisecond}, fyne.NewSize(1300, 700))
	p.run(t, func() { p.c.SetSearch("no such unit anywhere") })
	p.waitView(t, "the empty result", func() bool { return p.c.w.empty.content.Visible() })
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		p.run(t, func() {
			app.Settings().SetTheme(prefs.Theme(v))
			bg := app.Settings().Theme().Color(theme.ColorNameBackground, v)
			img := p.w.Canvas().Capture()
			msg := uitest.Rect(p.c.w.empty.msg)
			if msg.Dx() < 100 {
				t.Fatalf("the message is %v: not shown", msg)
			}
			// The message's row, above and below its letters (a label's inner padding) and across
			// the whole table: nothing but the page's colour.
			for _, y := range []int{msg.Min.Y + 2, msg.Max.Y - 2} {
				row := image.Rect(0, y, int(p.w.Canvas().Size().Width), y+1)
				if c := uitest.MaxContrast(img, row, bg); c > 1.05 {
					t.Errorf("variant %d: a line crosses the message's row at y=%d (%.2f:1)", v, y, c)
				}
			}
		})
	}
}
