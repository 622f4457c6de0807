package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// The navigation (which pages, in which order, which is shown) and the window's keyboard.

// orderPages puts the known pages in the navigation's order and the rest after them.
func orderPages(pages []Page) []Page {
	out := slices.Clone(pages)
	rank := func(n string) int {
		if i := slices.Index(pageOrder, n); i >= 0 {
			return i
		}
		return len(pageOrder) - 1 // before Settings, which the shell adds last
	}
	slices.SortStableFunc(out, func(a, b Page) int { return rank(a.Name) - rank(b.Name) })
	return out
}

// PageNames lists the navigation entries shown, in order.
func (s *Shell) PageNames() []string {
	if s.tabs == nil {
		return nil
	}
	var out []string
	for _, ti := range s.tabs.Items {
		out = append(out, s.tabPages[ti])
	}
	return out
}

// ShowPage selects a navigation entry by name and reports whether it exists.
func (s *Shell) ShowPage(name string) bool {
	if s.tabs == nil {
		return false
	}
	for _, ti := range s.tabs.Items {
		if s.tabPages[ti] == name {
			s.buildIfLazy(ti) // before Select, so the page exists for whoever asked to show it
			s.tabs.Select(ti)
			return true
		}
	}
	return false
}

// CurrentPage is the selected navigation entry's name.
func (s *Shell) CurrentPage() string {
	if s.tabs == nil || s.tabs.Selected() == nil {
		return ""
	}
	return s.tabPages[s.tabs.Selected()]
}

// ShowUnitsInFleetConsole goes to the Fleet Console narrowed to these units under a chip named title
// (the Firmware Rollouts monitor's "Show these units in the Fleet Console"); an open Manage page
// closes first.
func (s *Shell) ShowUnitsInFleetConsole(title string, ids []string) {
	if s.console == nil {
		return
	}
	s.BackToFleetConsole()
	s.console.ShowUnits(title, ids)
}

// FocusSearch goes to the Fleet Console and puts the cursor in its search box (Ctrl/Cmd+F). A
// dialog in front keeps the keyboard.
func (s *Shell) FocusSearch() {
	if s.console == nil || kit.OpenDialogs(s.win.Canvas()) > 0 {
		return
	}
	if s.manage != nil || s.CurrentPage() != PageFleetConsole {
		s.BackToFleetConsole()
	}
	s.console.FocusSearch(s.win)
}

// installKeys wires the window's keyboard: Ctrl/Cmd+F search, Ctrl/Cmd+Q quit, Enter open, Esc
// close, Up/Down move the Fleet Console's selection. Text fields pass the Ctrl/Cmd shortcuts on
// (kit.Entry), so they work wherever the focus is.
func (s *Shell) installKeys() {
	c := s.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { s.FocusSearch() })
	// Closing the window is quitting: it is the app's only window, and closing it runs the same
	// teardown as its close button.
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { s.win.Close() })
	c.SetOnTypedKey(func(k *fyne.KeyEvent) { s.typedKey(k) })
	c.SetOnTypedRune(s.typedRune)
}

// typedRune is a character typed with no widget focused: on the Fleet Console it starts a search,
// so the dealer can type at once without the search box holding the focus (and its blinking
// cursor repainting) while nobody types.
func (s *Shell) typedRune(r rune) {
	c := s.win.Canvas()
	if s.console == nil || !s.onFleetConsole() {
		return
	}
	s.console.FocusSearch(s.win)
	if f := c.Focused(); f != nil {
		f.TypedRune(r)
	}
}

// typedKey handles keys no focused widget took.
func (s *Shell) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		if kit.DismissTop(s.win.Canvas()) {
			return
		}
		if s.manage != nil && s.tabs.Selected() == s.manageT {
			s.nav().Back()
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if s.onFleetConsole() {
			s.console.OpenSelected()
		}
	case fyne.KeyDown, fyne.KeyUp:
		// With nothing focused (after Esc from the Manage page, say) as in the search box.
		if !s.onFleetConsole() {
			return
		}
		delta := 1
		if k.Name == fyne.KeyUp {
			delta = -1
		}
		s.console.MoveSelection(delta)
	}
}

// onFleetConsole reports whether the Fleet Console itself is in front: its tab, no Manage page
// over it, no dialog.
func (s *Shell) onFleetConsole() bool {
	return s.console != nil && s.ManagePage() != PageFleetConsole && s.CurrentPage() == PageFleetConsole &&
		kit.OpenDialogs(s.win.Canvas()) == 0
}

// buildIfLazy builds a lazy page the first time its tab is shown.
func (s *Shell) buildIfLazy(ti *container.TabItem) {
	if build, ok := s.unbuilt[ti]; ok {
		delete(s.unbuilt, ti)
		build()
	}
}
