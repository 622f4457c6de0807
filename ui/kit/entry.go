package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// WindowKeys are the keys of the window's own shortcuts with Ctrl (⌘ on macOS): F goes to the
// Fleet Console's search, Q quits. The shell binds them on the window's canvas.
var WindowKeys = []fyne.KeyName{fyne.KeyF, fyne.KeyQ}

// IsWindowShortcut reports whether sc is one of the window's own shortcuts (WindowKeys).
func IsWindowShortcut(sc fyne.Shortcut) bool {
	cs, ok := sc.(*desktop.CustomShortcut)
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	for _, k := range WindowKeys {
		if cs.KeyName == k {
			return true
		}
	}
	return false
}

// Entry is a text field that lets the window's own shortcuts through while it has the focus.
// Fyne hands a focused widget every shortcut, and widget.Entry drops those it does not know, so
// in a plain entry Ctrl+Q would not quit and Ctrl+F would not reach the search. FleetDesk's text
// fields are Entries (NewEntry, NewMultiLineEntry, NewPasswordEntry).
type Entry struct {
	widget.Entry
}

// NewEntry is a one-line text field.
func NewEntry() *Entry {
	e := &Entry{}
	e.ExtendBaseWidget(e)
	return e
}

// NewMultiLineEntry is a text field of several lines.
func NewMultiLineEntry() *Entry {
	e := NewEntry()
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	return e
}

// NewPasswordEntry is a one-line field whose text is hidden, with a button to show it.
func NewPasswordEntry() *Entry {
	e := NewEntry()
	e.Password = true
	var reveal *widget.Button
	reveal = widget.NewButtonWithIcon("", theme.VisibilityOffIcon(), func() {
		e.Password = !e.Password
		if e.Password {
			reveal.SetIcon(theme.VisibilityOffIcon())
		} else {
			reveal.SetIcon(theme.VisibilityIcon())
		}
		e.Refresh()
	})
	reveal.Importance = widget.LowImportance
	e.ActionItem = reveal
	return e
}

// TypedShortcut passes the window's own shortcuts to the window and the rest to the entry. A
// widget that extends Entry passes itself to PassWindowShortcut in a TypedShortcut of its own:
// the window knows the outer widget, not the Entry inside it.
func (e *Entry) TypedShortcut(sc fyne.Shortcut) {
	if !PassWindowShortcut(e, sc) {
		e.Entry.TypedShortcut(sc)
	}
}

// PassWindowShortcut hands sc to the window that shows o when it is one of the window's own
// shortcuts (IsWindowShortcut), and reports whether it did.
func PassWindowShortcut(o fyne.CanvasObject, sc fyne.Shortcut) bool {
	if !IsWindowShortcut(sc) {
		return false
	}
	c, ok := fyne.CurrentApp().Driver().CanvasForObject(o).(fyne.Shortcutable)
	if ok {
		c.TypedShortcut(sc)
	}
	return ok
}

// SelectEntry is a text field with a list of choices (widget.SelectEntry) that lets the window's
// own shortcuts through, as Entry does.
type SelectEntry struct {
	widget.SelectEntry
}

// NewSelectEntry is a SelectEntry offering options.
func NewSelectEntry(options []string) *SelectEntry {
	e := &SelectEntry{}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.SetOptions(options)
	return e
}

// TypedShortcut passes the window's own shortcuts to the window and the rest to the field.
func (e *SelectEntry) TypedShortcut(sc fyne.Shortcut) {
	if !PassWindowShortcut(e, sc) {
		e.SelectEntry.TypedShortcut(sc)
	}
}
