// Package selection is the one model behind "act only on the unit the dealer sees": the filter a
// page shows (typed text, chips, another page's filter), which search result is in view, and the
// one unit selected in it. The Fleet Console and the Fleet Map both keep their view in a Model,
// so the rules are written and tested once, with no widget, goroutine or clock:
//
//   - a search result is shown only if it answers the newest search asked for (Show): an older
//     one, finishing late, never replaces it;
//   - the selection only ever names a unit in view: a result without it clears it;
//   - a filter set from outside (another page, a remembered state) is not taken for the dealer's
//     typing when the page writes it into its search box (Type of the text already in force is
//     no change), so two pages that follow each other do not loop and no re-entrancy flag is
//     needed;
//   - before acting, a page makes its view Current (what is typed is searched), then acts on
//     Selected: never on a unit the new text has filtered out.
//
// The page owns the searching (on its kit.Runner), the debounce timer and the widgets; the Model
// says what to search and whether an answer still counts.
package selection

import "github.com/fleetdesk/fleetdesk/app/fleet"

// View is a search result in display order: what a page shows.
type View interface {
	Len() int
	ID(i int) string
}

// Search is one search asked for: its number and the filter it must apply. Show takes its result.
type Search struct {
	Gen    uint64
	Filter fleet.Filter
}

// Model is one page's filter, view and selection. The zero Model shows nothing and selects
// nothing. Use it on the page's UI goroutine only.
type Model struct {
	filter   fleet.Filter
	typed    bool   // text was typed that no search asked for yet (the page's debounce runs)
	asked    uint64 // the newest search asked for
	shown    uint64 // the search whose result is in view
	view     View
	selected string
}

// Filter is the filter in force, typed text included.
func (m *Model) Filter() fleet.Filter { return m.filter }

// Type takes the search box's new text. It reports whether that is the dealer typing: false when
// the text is the filter's already (the page wrote it there itself, from Set). When true the page
// (re)starts its debounce and searches when typing pauses.
func (m *Model) Type(text string) bool {
	if text == m.filter.Text {
		return false
	}
	m.filter.Text = text
	m.typed = true
	return true
}

// Typed reports whether text was typed that no search has been asked for yet.
func (m *Model) Typed() bool { return m.typed }

// Set puts a whole filter in force (another page's, a remembered one, or this page's chips with
// its text) and returns the search to run at once: nothing typed is left waiting.
func (m *Model) Set(f fleet.Filter) Search {
	m.filter = f
	return m.Search()
}

// Search asks for a search of the filter in force (typing paused, the fleet or the clock moved,
// the sort changed); any search asked for earlier no longer counts.
func (m *Model) Search() Search {
	m.asked++
	m.typed = false
	return Search{Gen: m.asked, Filter: m.filter}
}

// Show takes the result of s and reports whether it is now in view: false, and nothing changes,
// when a newer search was asked for since. The selection follows the view: a unit that left it is
// no longer selected.
func (m *Model) Show(s Search, v View) bool {
	if s.Gen != m.asked {
		return false
	}
	m.shown, m.view = s.Gen, v
	if m.selected != "" && m.indexOf(m.selected) < 0 {
		m.selected = ""
	}
	return true
}

// Current reports whether the view answers the filter in force: nothing typed waits and the
// newest search's result is shown.
func (m *Model) Current() bool { return !m.typed && m.shown == m.asked }

// Select selects a unit of the view (the dealer tapped it, or a page asked to show it) and
// reports whether it is in view; a unit not in view is not selected and the selection stays.
func (m *Model) Select(id string) bool {
	if id == "" || m.indexOf(id) < 0 {
		return false
	}
	m.selected = id
	return true
}

// Unselect clears the selection (a card closed).
func (m *Model) Unselect() { m.selected = "" }

// Selected is the selected unit's ID, "" when none. It is always a unit of the view shown; act
// on it only once the view is Current.
func (m *Model) Selected() string { return m.selected }

// Row is the selected unit's place in the view, -1 when none is selected.
func (m *Model) Row() int {
	if m.selected == "" {
		return -1
	}
	return m.indexOf(m.selected)
}

// InView reports whether a unit is in the view shown.
func (m *Model) InView(id string) bool { return m.indexOf(id) >= 0 }

func (m *Model) indexOf(id string) int {
	if m.view == nil {
		return -1
	}
	for i, n := 0, m.view.Len(); i < n; i++ {
		if m.view.ID(i) == id {
			return i
		}
	}
	return -1
}
