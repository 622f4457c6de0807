package kit

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/session"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1204: "1,204",
		100000: "100,000", 1234567: "1,234,567", -45678: "-45,678"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMergeChanges(t *testing.T) {
	a := session.Change{Devices: []string{"a"}}
	merge(&a, session.Change{Devices: []string{"b"}, Status: true})
	if !slices.Equal(a.Devices, []string{"a", "b"}) || !a.Status || a.All {
		t.Fatalf("merged %+v", a)
	}
	// A command's announcements in one burst all reach the page (issue 21 item 8: the history
	// reloads on them).
	merge(&a, session.Change{Commands: []string{"a"}})
	merge(&a, session.Change{Commands: []string{"b"}})
	if !slices.Equal(a.Commands, []string{"a", "b"}) {
		t.Fatalf("command logs lost in a burst: %+v", a)
	}
	merge(&a, session.Change{All: true})
	merge(&a, session.Change{Devices: []string{"c"}, Tokens: true})
	if !a.All || a.Devices != nil || !a.Tokens || len(a.Commands) != 2 {
		t.Fatalf("after All: %+v", a)
	}
}

func TestDismissTopClosesNewestFirst(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewEntry())
	w.Canvas().Focus(w.Content().(*widget.Entry))
	closed := []string{}
	d1 := dialog.NewInformation("one", "first", w)
	d1.SetOnClosed(func() { closed = append(closed, "one") })
	d2 := dialog.NewInformation("two", "second", w)
	d2.SetOnClosed(func() { closed = append(closed, "two") })
	ShowDialog(w, d1)
	ShowDialog(w, d2)
	if w.Canvas().Focused() != nil {
		t.Fatal("a focused entry behind the dialog would swallow Esc")
	}
	if OpenDialogs(w.Canvas()) != 2 {
		t.Fatalf("%d dialogs tracked", OpenDialogs(w.Canvas()))
	}
	if !DismissTop(w.Canvas()) || !DismissTop(w.Canvas()) || DismissTop(w.Canvas()) {
		t.Fatal("DismissTop did not close exactly the two dialogs")
	}
	if !slices.Equal(closed, []string{"two", "one"}) || w.Canvas().Overlays().Top() != nil {
		t.Fatalf("closed %v, overlay left %v", closed, w.Canvas().Overlays().Top())
	}
	// A dialog closed by its own button is forgotten too.
	d3 := dialog.NewInformation("three", "third", w)
	ShowDialog(w, d3)
	d3.Hide()
	if OpenDialogs(w.Canvas()) != 0 {
		t.Fatal("a dialog closed by its button is still tracked")
	}
}
