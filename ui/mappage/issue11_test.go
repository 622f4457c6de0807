package mappage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

func texts(o fyne.CanvasObject) []string { return uitest.Texts(o) }

// Issue 11 item 6: a unit the backend reports offline is the guide's "lost contact": red, even
// when it went offline a minute ago; the legend explains the badge.
func TestOfflineUnitIsRedAndLegendExplainsBadge(t *testing.T) {
	h := newHarness(t)
	h.do(t, func() {
		ds := fleetOf()
		ds[0].Online = false // GEN-001 dropped off a minute ago
		h.p.SetFleet(fleet.NewIndex(ds), now)
	})
	h.run(t, func() {
		m := h.markers()["GEN-001"]
		if !m.Attention || m.Color != RedColor {
			t.Errorf("a unit the backend reports offline is drawn %+v, want red", m)
		}
		all := strings.Join(texts(h.p.Content()), "\n")
		for _, want := range []string{"Fleet Map", "Reporting normally", "Needs attention or lost contact (offline)",
			"Red badge on a group: how many of its units need attention", "last known location over a day old"} {
			if !strings.Contains(all, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
}

// Issue 11 item 12: filters set on the Fleet Console that the map has no control for are shown
// above the map and can be cleared there.
func TestConsoleOnlyFiltersAreVisibleOnTheMap(t *testing.T) {
	h := newHarness(t)
	h.do(t, func() {
		h.p.SetFilter(fleet.Filter{Consoles: []fleet.Console{fleet.ConsoleUltra}, Firmware: []string{"4.0.1"}})
	})
	h.do(t, func() {
		if ms := h.markers(); len(ms) > 1 {
			t.Fatalf("filter not applied: %v", ms)
		}
		if !h.p.others.content.Visible() {
			t.Fatal("the console's filters apply to the map but nothing on the map shows them")
		}
		if got := h.p.others.label.Text; !strings.Contains(got, "Ultra firmware console") || !strings.Contains(got, "firmware 4.0.1") {
			t.Errorf("active filters read %q", got)
		}
		test.Tap(findButton(h.p.others.content, "Clear these filters"))
	})
	h.run(t, func() {
		if h.p.others.content.Visible() || len(h.markers()) != 3 {
			t.Errorf("after clearing: bar visible %v, %d markers", h.p.others.content.Visible(), len(h.markers()))
		}
		last := h.filtered[len(h.filtered)-1]
		if len(last.Consoles) != 0 || len(last.Firmware) != 0 {
			t.Errorf("clearing reported %+v to the console", last)
		}
	})
}

// Issue 11 item 8: an old last known location is drawn faded and its card says how old it is.
func TestStaleLocationLooksOlder(t *testing.T) {
	h := newHarness(t)
	h.do(t, func() {
		ds := fleetOf()
		ds[1].GPS.FixTime = now.Add(-5 * 24 * time.Hour)
		h.p.SetFleet(fleet.NewIndex(ds), now)
	})
	h.run(t, func() {
		ms := h.markers()
		if !ms["GEN-002"].Stale || ms["GEN-001"].Stale {
			t.Errorf("stale flags: GEN-002 %v, GEN-001 %v", ms["GEN-002"].Stale, ms["GEN-001"].Stale)
		}
		h.tapUnit(t, -1.29, 36.82)
		card := cardText(h.p)
		if !slices.ContainsFunc(card, func(s string) bool {
			return strings.HasPrefix(s, "Last known location: 5 d ago") && strings.HasSuffix(s, "may have moved since")
		}) {
			t.Errorf("card %q", card)
		}
	})
}

// With the backend out of reach a unit's card does not claim it is online now: it says the last
// sync saw it online.
func TestCardSaysOnlineAtLastSyncWhileTheBackendIsAway(t *testing.T) {
	h := newHarness(t)
	h.do(t, func() {
		h.p.SetFleet(fleet.NewIndex(fleetOf()), now)
		h.p.SetBackendReachable(false)
	})
	h.run(t, func() {
		h.tapUnit(t, 48.85, 2.35) // GEN-001, online at the last sync
		if card := cardText(h.p); !slices.ContainsFunc(card, func(s string) bool { return strings.HasPrefix(s, "Online at last sync") }) {
			t.Errorf("card %q", card)
		}
	})
}
