package console

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// The console reports the dealer's own filter changes (typing once it pauses, chips, Clear) and
// takes another page's filter through SetFilter without reporting it back.
func TestFilterSharedWithAnotherPage(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := uitest.Offline(t, 1500, now0)
	kit.Lock()
	defer kit.Unlock()
	var reported []fleet.Filter
	c := New(svc, Options{Debounce: 5 * time.Millisecond, OnFilterChanged: func(f fleet.Filter) { reported = append(reported, f) }})
	defer c.Close()
	done := settled(c)
	w := test.NewTempWindow(t, c.Content())
	w.Resize(fyne.NewSize(1300, 700))

	// Typing: one report once typing pauses, carrying the text.
	c.FocusSearch(w)
	test.Type(c.search, "okafor")
	uitest.Await(t, 10*time.Second, "the typed search to be reported", func() bool { return len(reported) > 0 })
	if last := reported[len(reported)-1]; last.Text != "okafor" {
		t.Fatalf("reported %+v after typing okafor", last)
	}

	// A chip: reported at once, with the search text still in it.
	n := len(reported)
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
	exp := expected(devs, "quarry", func(d fleet.Device) bool { return d.Model == fleet.AllModels[1] })
	if len(exp) == 0 {
		t.Fatal("a useless probe: nothing matches")
	}
	waitView(t, c, done, "the other page's filter", func() bool { return slices.Equal(viewIDs(c), exp) })
	// Had the search box echoed SetFilter's text as typing, a debounced report would be pending
	// now: finding it pending is the failure, found at once, with no sleep hoping the timer fired.
	if c.stopDebounce != nil && c.stopDebounce() {
		t.Fatal("SetFilter's text in the search box started a debounced report, as if the dealer typed it")
	}
	if len(reported) != n {
		t.Fatalf("SetFilter was reported back: %+v", reported[n:])
	}

	// Clear filters keeps the search text and is reported.
	test.Tap(c.chips.clear)
	if got := reported[len(reported)-1]; len(reported) != n+1 || got.Text != "quarry" || len(got.Models) != 0 {
		t.Fatalf("Clear filters reported %+v", reported[n:])
	}
}
