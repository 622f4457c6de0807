package desk

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui"
)

// TestBackReturnsWhereManageWasOpened (issue 21 item 9, for issue 24 item 19): the Controller
// keeps the routes. A Manage page opened from a Fleet Map card is shown in the map's tab (the
// sidebar highlights the Fleet Map, where the dealer came from), says it goes back to the Fleet Map
// and does; one opened from the console goes back to the console; Esc is the same Back.
func TestBackReturnsWhereManageWasOpened(t *testing.T) {
	f := newDesk(t, basemapOnly())
	var unit fleet.Device
	f.u.run(func() {
		unit = f.unitWithPosition(t)
		f.ctl.ShowOnMap(unit.ID) // the card opens on the map
		if got := f.ctl.Current(); got.Page != ui.PageFleetMap {
			t.Fatalf("Show on map is at %+v", got)
		}
	})
	manage := func(b *widget.Button) bool { return b.Text == "Manage" }
	f.u.eventually(10*time.Second, "the unit's card", func() bool { return len(find(f.win.Content(), manage)) == 1 })
	f.u.run(func() {
		test.Tap(one(t, "the card's Manage", f.win.Content(), manage))
		if got := f.ctl.Current(); got != (Route{Page: PageManage, Unit: unit.ID, Tab: ui.PageFleetMap}) {
			t.Fatalf("the card's Manage is at %+v", got)
		}
		if got := f.s.CurrentPage(); got != ui.PageFleetMap {
			t.Fatalf("the sidebar highlights %q while a Manage page opened from the map is shown", got)
		}
		back := one(t, "the back button", f.s.Manage().Content(), func(b *widget.Button) bool { return b.Text == ui.PageFleetMap })
		test.Tap(back)
		if got := f.ctl.Current(); got.Page != ui.PageFleetMap || f.s.Manage() != nil {
			t.Fatalf("back from a Manage page opened on the map is at %+v (Manage open: %v)", got, f.s.Manage() != nil)
		}
		if f.s.ManagePage() != "" || len(find(f.win.Content(), manage)) != 1 {
			t.Fatal("back on the map, the map's tab does not show the map and its card again")
		}

		// From the console: back (by Esc) is the console, with nothing left to go back to.
		f.ctl.Navigate(Route{Page: ui.PageFleetConsole})
		f.s.FleetConsole().Select(unit.ID)
		f.s.FleetConsole().OpenSelected()
		if f.s.Manage() == nil || f.ctl.BackLabel() != ui.PageFleetConsole {
			t.Fatalf("Manage from the console: open %v, back label %q", f.s.Manage() != nil, f.ctl.BackLabel())
		}
		f.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if got := f.ctl.Current(); got.Page != ui.PageFleetConsole || f.s.Manage() != nil {
			t.Fatalf("Esc from Manage is at %+v", got)
		}
	})
}
