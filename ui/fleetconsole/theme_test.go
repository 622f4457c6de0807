package fleetconsole

import (
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// A theme chosen in Settings while the Fleet Console is open repaints its cells at once: the
// text in the new foreground colour, the selected row in the new selection colour (they kept the
// old theme's colours, dark text on the dark page, until each cell's value changed).
func TestThemeSwitchRepaintsTheCells(t *testing.T) {
	app := test.NewTempApp(t)
	app.Settings().SetTheme(prefs.Theme(theme.VariantDark))
	svc, _ := testfleet.Offline(t, 300, now0)
	p := newPage(t, svc, Options{Debounce: time.Millisecond}, fyne.NewSize(1300, 700))
	var selected string
	p.run(t, func() {
		selected = p.c.View()[2].ID
		p.c.Select(selected)
	})
	for i, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		p.run(t, func() {
			// The theme is chosen on the Settings page: the console is on another tab meanwhile,
			// out of the window's tree (the tabs hold only the tab shown).
			p.w.SetContent(widget.NewLabel("Settings"))
			app.Settings().SetTheme(prefs.Theme(v))
		})
		p.run(t, func() {
			p.w.SetContent(p.c.Content())
			// Scrolled after the switch: the table reuses cells it had put aside.
			p.c.w.table.ScrollTo(widget.TableCellID{Row: 150 * i, Col: 0})
			p.c.w.table.ScrollToTop()
			th := app.Settings().Theme()
			fg, sel := th.Color(theme.ColorNameForeground, v), th.Color(theme.ColorNameSelection, v)
			cells := cellsOnScreen(p.w)
			if len(cells) == 0 {
				t.Fatal("no cells on screen")
			}
			for _, cl := range cells {
				if cl.text.Color != fg {
					t.Fatalf("variant %d: row %d's %s text is %v, the theme's foreground is %v", v, cl.row, cl.col.Title(), cl.text.Color, fg)
				}
				if cl.row == 2 && cl.bg.FillColor != sel {
					t.Fatalf("variant %d: the selected row is %v, the theme's selection is %v", v, cl.bg.FillColor, sel)
				}
			}
		})
	}
}

// A discarded Fleet Console (a profile switch closes the page and builds another) stops following
// the theme: each page added a settings listener that Fyne 2.7 keeps for the app's life (it has no
// way to remove one), holding every closed page, with its widgets and fleet view, one more per
// switch.
func TestClosedPageStopsFollowingTheTheme(t *testing.T) {
	app := test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 300, now0)
	loop := uitest.NewLoop(t)
	for i := range 3 {
		var c *Page
		loop.Run(func() { c = New(svc, Options{Debounce: time.Millisecond, UI: loop.Do}) })
		if got := kit.ThemeFollowers(app); got != 1 {
			t.Fatalf("page %d open: %d follow the theme, want 1", i, got)
		}
		loop.Eventually(t, 15*time.Second, "the first search to land", func() bool { return c.loaded })
		loop.Run(c.Close)
		if got := kit.ThemeFollowers(app); got != 0 {
			t.Fatalf("page %d closed: %d still follow the theme", i, got)
		}
	}
	// Fyne's own list (read through reflect: it is unexported) holds one listener for the app,
	// not one per page ever opened.
	if n := reflect.ValueOf(app.Settings()).Elem().FieldByName("listeners").Len(); n > 1 {
		t.Fatalf("Fyne holds %d settings listeners after 3 pages came and went", n)
	}
	loop.Run(func() { app.Settings().SetTheme(prefs.Theme(theme.VariantLight)) })
}
