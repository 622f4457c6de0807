package fleetconsole

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
)

// The Fleet Console reports the dealer's own filter changes (typing once it pauses, chips, Clear) and
// takes another page's filter through SetFilter without reporting it back.
func TestFilterSharedWithAnotherPage(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 1500, now0)
	var reported []fleet.Filter
	p := newPage(t, svc, Options{Debounce: 5 * time.Millisecond, OnFilterChanged: func(f fleet.Filter) { reported = append(reported, f) }},
		fyne.NewSize(1300, 700))
	c, w := p.c, p.w

	// Typing: one report once typing pauses, carrying the text.
	p.run(t, func() {
		c.FocusSearch(w)
		test.Type(c.w.search, "okafor")
	})
	p.loop.Eventually(t, 10*time.Second, "the typed search to be reported", func() bool { return len(reported) > 0 })
	var n int
	p.run(t, func() {
		if last := reported[len(reported)-1]; last.Text != "okafor" {
			t.Fatalf("reported %+v after typing okafor", last)
		}
		// A chip: reported at once, with the search text still in it.
		n = len(reported)
		test.Tap(c.chips.health[fleet.HealthLost])
		if len(reported) != n+1 || reported[n].Text != "okafor" || !slices.Equal(reported[n].Health, []fleet.Health{fleet.HealthLost}) {
			t.Fatalf("chip reported %+v", reported[n:])
		}
		// Another page's filter: search box and chips follow, the view follows, nothing reported.
		n = len(reported)
		other := fleet.Filter{Text: "quarry", Models: []fleet.Model{fleet.AllModels[1]}}
		c.SetFilter(other)
		if c.SearchText() != "quarry" || c.chips.model.Selected != fleet.AllModels[1].DisplayName() {
			t.Fatalf("search box %q, model picker %q after SetFilter", c.SearchText(), c.chips.model.Selected)
		}
		if c.chips.health[fleet.HealthLost].Importance == widget.HighImportance || len(c.Filter().Health) != 0 {
			t.Fatal("the Lost chip stayed on although the other page's filter has no health")
		}
	})
	exp := expected(devs, "quarry", func(d fleet.Device) bool { return d.Model == fleet.AllModels[1] })
	if len(exp) == 0 {
		t.Fatal("a useless probe: nothing matches")
	}
	p.waitView(t, "the other page's filter", func() bool { return slices.Equal(viewIDs(c), exp) })
	p.run(t, func() {
		// No debounce is pending: a search box echo of SetFilter would have armed one.
		if c.stopDebounce != nil || len(reported) != n {
			t.Fatalf("SetFilter was reported back: %+v", reported[n:])
		}
		// Clear filters keeps the search text and is reported.
		test.Tap(c.chips.clear)
		if got := reported[len(reported)-1]; len(reported) != n+1 || got.Text != "quarry" || len(got.Models) != 0 {
			t.Fatalf("Clear filters reported %+v", reported[n:])
		}
	})
}
