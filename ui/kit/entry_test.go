package kit

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// Issue 24 item 7: the desktop driver hands a focused widget every shortcut, and widget.Entry
// drops those it does not know. FleetDesk's text fields pass the window's own (Ctrl/Cmd+Q quits,
// Ctrl/Cmd+F searches) on to the window, and keep the rest (Ctrl+A selects the field's text).
func TestTextFieldsPassTheWindowsShortcutsOn(t *testing.T) {
	test.NewTempApp(t)
	entry, choice, multi := NewEntry(), NewSelectEntry([]string{"/dev/ttyUSB0"}), NewMultiLineEntry()
	w := test.NewTempWindow(t, container.NewVBox(entry, choice, multi))
	got := map[fyne.KeyName]int{}
	for _, k := range WindowKeys {
		w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) { got[k]++ })
	}
	for _, f := range []fyne.Shortcutable{entry, choice, multi} {
		for _, k := range WindowKeys {
			f.TypedShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault})
		}
	}
	for _, k := range WindowKeys {
		if got[k] != 3 {
			t.Errorf("Ctrl+%s reached the window from %d of the 3 fields", k, got[k])
		}
	}
	// Not a window shortcut: the field keeps it.
	entry.SetText("COM3")
	entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	if entry.SelectedText() != "COM3" {
		t.Fatalf("Select all in the field selected %q", entry.SelectedText())
	}
}
