package fleetconsole

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/internal/testfleet"
)

// TestShowUnitsIsAVisibleClearableFilter (issue 11 items 11 and 12): narrowing the Fleet Console to
// some units (a rollout's) clears the search so all of them show, says so on a chip with their
// count, narrows further with a search, and the empty view's Clear gives the whole fleet back.
func TestShowUnitsIsAVisibleClearableFilter(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 400, now0)
	p := newPage(t, svc, Options{Debounce: time.Millisecond}, fyne.NewSize(1300, 700))
	c := p.c
	var ids []string
	for i := 0; i < len(devs) && len(ids) < 12; i += 7 {
		ids = append(ids, devs[i].ID)
	}
	slices.Sort(ids)
	p.run(t, func() {
		c.SetSearch("zzz")
		c.ShowUnits("Units of the firmware rollout", ids)
		if !c.units.box.Visible() || c.units.label.Text != "Units of the firmware rollout: 12" {
			t.Fatalf("chip %q (visible %v)", c.units.label.Text, c.units.box.Visible())
		}
		if c.SearchText() != "" {
			t.Fatalf("search %q left in place hides some of the units", c.SearchText())
		}
	})
	p.waitView(t, "the 12 units", func() bool { return slices.Equal(viewIDs(c), ids) })
	p.run(t, func() { c.SetSearch("no-such-unit") })
	p.waitView(t, "the empty view", func() bool { return len(c.View()) == 0 && c.w.empty.content.Visible() })
	p.run(t, func() {
		if !c.w.empty.clear.Visible() {
			t.Fatal("no way out of the empty view")
		}
		test.Tap(c.w.empty.clear)
		if c.units.box.Visible() {
			t.Fatal("the empty view's Clear kept the narrowing to the rollout's units")
		}
	})
	p.waitView(t, "the whole fleet", func() bool { return len(c.View()) == len(devs) })
	// The chip's own Clear.
	p.run(t, func() { c.ShowUnits("Units of the firmware rollout", ids[:3]) })
	p.waitView(t, "3 units", func() bool { return len(c.View()) == 3 })
	p.run(t, func() { test.Tap(c.units.clear) })
	p.waitView(t, "the whole fleet again", func() bool { return len(c.View()) == len(devs) && !c.units.box.Visible() })
}
