package desk

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// searchTerm finds a word of unit names that picks out some, but not most, of the positioned
// units, so a search visibly narrows the map.
func searchTerm(t *testing.T, ix *fleet.Index, now time.Time, not string) string {
	t.Helper()
	total := 0
	for _, d := range ix.Devices() {
		if d.GPS != nil {
			total++
		}
	}
	for _, d := range ix.Devices() {
		for _, w := range append(strings.Fields(d.Name), strings.Split(d.CustomerEmail, "@")[0]) {
			w = strings.ToLower(w)
			if len(w) < 4 || w == not {
				continue
			}
			n := 0
			for _, p := range ix.Search(fleet.Filter{Text: w}, now) {
				if ix.At(p).GPS != nil {
					n++
				}
			}
			if n >= 2 && n <= total/2 {
				return w
			}
		}
	}
	t.Fatal("no search term narrows the fleet")
	return ""
}

func TestConsoleAndMapShareFilters(t *testing.T) {
	f := newDesk(t, basemapOnly())
	u := f.u
	svc := f.live.Session
	all := 0
	for _, d := range svc.Fleet().Devices() {
		if d.GPS != nil {
			all++
		}
	}

	// Typing on the console (nothing focused: the first character goes to the search box, as the
	// dealer finds it) narrows the map to the same units.
	term := searchTerm(t, svc.Fleet(), svc.Now(), "")
	var mv mapView
	u.run(func() {
		c := f.win.Canvas()
		c.OnTypedRune()(rune(term[0]))
		box := c.Focused()
		if box == nil {
			t.Fatal("typing on the console did not go to its search box")
		}
		test.Type(box, term[1:])
		mv = f.mapPage(t)
	})
	// The Fleet Map, built when first shown, may take the console's filter before the console's
	// typing pause ends and it reports the search: wait for both.
	u.eventually(10*time.Second, "the map to follow the console's search, and the console to report it", func() bool {
		got := markerIDs(mv.m)
		n := len(f.consoleChanges)
		return mv.m != nil && len(got) > 0 && len(got) < all && slices.Equal(got, f.consoleGPSIDs()) &&
			n > 0 && f.consoleChanges[n-1].Text == term
	})
	term2 := searchTerm(t, svc.Fleet(), svc.Now(), term)
	reported := 0
	u.run(func() {
		if mv.search.Text != term || f.s.FleetConsole().SearchText() != term {
			t.Fatalf("search boxes: map %q, console %q, typed %q", mv.search.Text, f.s.FleetConsole().SearchText(), term)
		}
		for _, mk := range mv.m.Markers() {
			d, _ := svc.Fleet().Get(mk.ID)
			if !strings.Contains(strings.ToLower(d.ID+" "+d.Name+" "+d.CustomerEmail), term) {
				t.Fatalf("%s on the map does not match %q", mk.ID, term)
			}
		}
		if n := len(f.consoleChanges); n == 0 || f.consoleChanges[n-1].Text != term {
			t.Fatalf("the console reported %v for the typed search", f.consoleChanges)
		}

		// Typing in the map's search box does the same for the console, and is not echoed back.
		reported = len(f.consoleChanges)
		mv = f.mapPage(t)
		mv.search.SetText("")
		test.Type(mv.search, term2)
	})
	u.eventually(10*time.Second, "the console to follow the map's search", func() bool {
		got := markerIDs(mv.m)
		if f.s.FleetConsole().SearchText() != term2 || len(got) == 0 || !slices.Equal(got, f.consoleGPSIDs()) {
			return false
		}
		for _, d := range f.s.FleetConsole().View() {
			if !strings.Contains(strings.ToLower(d.ID+" "+d.Name+" "+d.CustomerEmail), term2) {
				return false
			}
		}
		return true
	})
	// A model chip on the map narrows the console; the console's picker shows it.
	m := svc.Fleet().At(0).Model
	var ofModel []string
	for _, p := range svc.Fleet().Search(fleet.Filter{Models: []fleet.Model{m}}, svc.Now()) {
		ofModel = append(ofModel, svc.Fleet().At(p).ID)
	}
	slices.Sort(ofModel)
	u.run(func() {
		if f.s.FleetConsole().Filter().Text != term2 {
			t.Fatalf("console filter %+v, want text %q", f.s.FleetConsole().Filter(), term2)
		}
		if len(f.consoleChanges) != reported {
			t.Fatalf("the console echoed the map's change back: %v", f.consoleChanges[reported:])
		}
		mv.search.SetText("")
		mv.model.SetSelected(m.DisplayName())
	})
	u.eventually(10*time.Second, "the console to follow the map's model chip", func() bool {
		var listed []string
		for _, d := range f.s.FleetConsole().View() {
			listed = append(listed, d.ID)
		}
		slices.Sort(listed)
		return slices.Equal(listed, ofModel) && slices.Equal(markerIDs(mv.m), f.consoleGPSIDs())
	})
	u.run(func() {
		if f.s.FleetConsole().SearchText() != "" {
			t.Fatalf("the console kept the search %q the map cleared", f.s.FleetConsole().SearchText())
		}
		if got := f.s.FleetConsole().Filter().Models; !slices.Equal(got, []fleet.Model{m}) {
			t.Fatalf("console models %v, want %v", got, m)
		}
		for _, d := range f.s.FleetConsole().View() {
			if d.Model != m {
				t.Fatalf("console lists %s (%s) with the %s chip on", d.ID, d.Model, m)
			}
		}
		if !f.s.ShowPage(ui.PageFleetConsole) {
			t.Fatal("no console")
		}
		picker := find(f.win.Content(), func(s *widget.Select) bool { return s.Selected == m.DisplayName() })
		if len(picker) != 1 {
			t.Fatalf("the console's model picker does not show %s", m.DisplayName())
		}

		// A health chip on the console reaches the map.
		h := fleet.HealthLive
		chip := one(t, "console health chip", f.win.Content(), func(b *kit.Chip) bool { return b.Text == kit.HealthLabel(h) })
		before := len(f.consoleChanges)
		test.Tap(chip)
		if len(f.consoleChanges) != before+1 {
			t.Fatal("the console did not report its chip")
		}
		mv = f.mapPage(t)
		if !slices.Equal(f.s.FleetConsole().Filter().Health, []fleet.Health{h}) {
			t.Fatal("the console's health chip is not in its filter")
		}
		if got := mv.health.Selected; len(got) != 1 || got[0] != kit.HealthLabel(h) {
			t.Fatalf("map health chips %v after the console's %s chip", got, h)
		}
		if got := mv.m.Markers(); len(got) == 0 && len(f.consoleGPSIDs()) > 0 {
			t.Fatal("the map lost its markers with the console's health chip")
		}
		for _, mk := range mv.m.Markers() {
			d, _ := svc.Fleet().Get(mk.ID)
			if d.Model != m {
				t.Fatalf("%s (%s) on the map with the %s chip on", d.ID, d.Model, m)
			}
		}
	})
}
