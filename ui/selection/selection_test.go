package selection

import (
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

type ids []string

func (v ids) Len() int        { return len(v) }
func (v ids) ID(i int) string { return v[i] }

// TestLateResultNeverReplacesANewerSearch: the dealer types "a", then "ab"; the search for "a"
// finishes last and is dropped.
func TestLateResultNeverReplacesANewerSearch(t *testing.T) {
	var m Model
	m.Type("a")
	first := m.Search()
	m.Type("ab")
	second := m.Search()
	if !m.Show(second, ids{"AB-1"}) {
		t.Fatal("the newest result was dropped")
	}
	if m.Show(first, ids{"A-1", "AB-1"}) || !m.InView("AB-1") || m.InView("A-1") {
		t.Fatal("an older result replaced the newer one")
	}
	if !m.Current() {
		t.Fatal("the view answers the filter in force")
	}
}

// TestSelectionOnlyNamesAUnitInView: selecting a unit out of view does nothing; a result that
// drops the selected unit clears the selection.
func TestSelectionOnlyNamesAUnitInView(t *testing.T) {
	var m Model
	m.Show(m.Search(), ids{"A", "B", "C"})
	if m.Select("Z") || m.Selected() != "" {
		t.Fatal("selected a unit not in view")
	}
	if !m.Select("B") || m.Selected() != "B" || m.Row() != 1 {
		t.Fatalf("selection %q row %d", m.Selected(), m.Row())
	}
	m.Show(m.Search(), ids{"C", "B"}) // re-sorted: the unit stays selected
	if m.Selected() != "B" || m.Row() != 1 {
		t.Fatalf("a re-sort lost the selection: %q at %d", m.Selected(), m.Row())
	}
	m.Type("c")
	m.Show(m.Search(), ids{"C"})
	if m.Selected() != "" || m.Row() != -1 {
		t.Fatalf("the selection %q survived leaving the view", m.Selected())
	}
	if m.Select("B") {
		t.Fatal("reselected a unit the search removed")
	}
}

// TestTypedTextMustBeSearchedBeforeActing: what is typed and not yet searched makes the view not
// Current; the page searches before it acts, and the selection then follows the new view.
func TestTypedTextMustBeSearchedBeforeActing(t *testing.T) {
	var m Model
	m.Show(m.Search(), ids{"A", "B"})
	m.Select("A")
	if !m.Type("b") || m.Current() || !m.Typed() {
		t.Fatal("typing leaves the view behind the text")
	}
	if m.Selected() != "A" {
		t.Fatal("the selection changed before the search ran")
	}
	// The page flushes: it searches now and shows the result; A is gone, nothing to act on.
	s := m.Search()
	if s.Filter.Text != "b" || m.Typed() {
		t.Fatalf("search %+v, typed %v", s, m.Typed())
	}
	m.Show(s, ids{"B"})
	if !m.Current() || m.Selected() != "" {
		t.Fatalf("current %v, selected %q: would act on a unit the text filtered out", m.Current(), m.Selected())
	}
	// A search asked and not yet shown also leaves the view behind.
	m.Search()
	if m.Current() {
		t.Fatal("a search in flight counts as shown")
	}
}

// TestSetIsNotTyping: a filter set from outside is searched at once, and the page writing its
// text into the search box is no typing, so it is not reported back (no loop, no flag).
func TestSetIsNotTyping(t *testing.T) {
	var m Model
	f := fleet.Filter{Text: "farm", Health: []fleet.Health{fleet.HealthLost}}
	s := m.Set(f)
	if s.Filter.Text != "farm" || m.Typed() {
		t.Fatalf("set: %+v typed %v", s, m.Typed())
	}
	if m.Type("farm") {
		t.Fatal("writing the set text into the box counted as typing")
	}
	if !m.Type("farms") || m.Filter().Text != "farms" || len(m.Filter().Health) != 1 {
		t.Fatalf("typing after a set: %+v", m.Filter())
	}
}
