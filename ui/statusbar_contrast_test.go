package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// The close "×" of a banner line (the clock note, the resync and other news) can be seen in both
// themes: 3:1 or more against the banner's blue, as a control's outline must be (it was drawn in
// the light theme's dark foreground, about 1.5:1 on the blue).
func TestBannerCloseCanBeSeen(t *testing.T) {
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		app := test.NewTempApp(t)
		app.Settings().SetTheme(prefs.Theme(v))
		r := newNewsRow()
		r.show("This computer's clock is 7 minutes ahead of the fleet backend's.")
		w := test.NewTempWindow(t, r.box)
		w.Resize(fyne.NewSize(700, 80))
		var close *widget.Button
		for _, o := range test.LaidOutObjects(r.box) {
			if b, ok := o.(*widget.Button); ok {
				close = b
			}
		}
		if close == nil {
			t.Fatal("no close button on the banner line")
		}
		img := w.Canvas().Capture()
		if c := uitest.MaxContrast(img, uitest.Rect(close), noticeColor); c < 3 {
			t.Errorf("variant %d: the banner's close × is %.2f:1 against its blue, want 3:1 or more", v, c)
		}
	}
}
