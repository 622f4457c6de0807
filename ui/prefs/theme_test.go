package prefs

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// Issue 24 item 18: an unselected radio button and an unticked check box can be seen, in both
// themes: the most visible pixel of each is at least 3:1 against the page (WCAG's minimum for a
// control's boundary). Fyne's own outline is 1.6:1 (dark) and 1.3:1 (light).
func TestRadioAndCheckOutlinesVisible(t *testing.T) {
	app := test.NewTempApp(t)
	for _, variant := range []string{ThemeDark, ThemeLight} {
		s := New(app.Preferences())
		s.SetTheme(variant)
		s.ApplyTheme(app)
		radio := widget.NewRadioGroup([]string{"D180", "V5"}, nil)
		check := widget.NewCheck("Downgrade", nil)
		w := test.NewTempWindow(t, container.NewVBox(radio, check))
		w.Resize(fyne.NewSize(300, 200))
		img := w.Canvas().Capture()
		v := theme.VariantDark
		if variant == ThemeLight {
			v = theme.VariantLight
		}
		bg := app.Settings().Theme().Color(theme.ColorNameBackground, v)
		// The icons: the radio's first item and the check box, each a canvas.Image in the tree.
		var icons []*canvas.Image
		uitest.Walk(w.Content(), true, func(o fyne.CanvasObject) {
			if im, ok := o.(*canvas.Image); ok {
				icons = append(icons, im)
			}
		})
		if len(icons) < 2 {
			t.Fatalf("%s: found %d icons", variant, len(icons))
		}
		for i, im := range icons {
			if c := uitest.MaxContrast(img, uitest.Rect(im), bg); c < 3 {
				t.Errorf("%s theme: control %d's outline is %.1f:1 against the page, want 3:1", variant, i, c)
			}
		}
		// Fields keep theirs against an input's own background too.
		in := app.Settings().Theme().Color(theme.ColorNameInputBackground, v)
		if c := uitest.Contrast(app.Settings().Theme().Color(theme.ColorNameInputBorder, v), in); c < 3 {
			t.Errorf("%s theme: input border %.1f:1 against an input's background", variant, c)
		}
	}
}
