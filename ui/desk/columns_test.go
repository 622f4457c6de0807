package desk

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/fleetconsole"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// consoleHeaders are the Fleet Console's header buttons, left to right.
func consoleHeaders(win fyne.Window) []*widget.Button {
	var out []*widget.Button
	uitest.Walk(win.Content(), true, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Importance == widget.LowImportance && b.Alignment == widget.ButtonAlignLeading &&
			b.IconPlacement == widget.ButtonIconTrailingText && b.Text != "" {
			out = append(out, b)
		}
	})
	return out
}

// headerOf is the header button of col (its title whole or cut: "Trans…").
func headerOf(t *testing.T, win fyne.Window, col fleetconsole.Column) *widget.Button {
	t.Helper()
	for _, b := range consoleHeaders(win) {
		if b.Text == col.Title() || strings.HasSuffix(b.Text, "…") && strings.HasPrefix(col.Title(), strings.TrimSuffix(b.Text, "…")) {
			return b
		}
	}
	t.Fatalf("no header for %s", col.Title())
	return nil
}

// Issue 24 item 4, widths the dealer sets: dragging the divider after a header sets that
// column's width; the other columns keep following the content and the window; the width is
// the profile's, back after a restart; a double-click on the divider gives the column back to
// the automatic widths; at 1024 px no header runs into the next.
func TestColumnWidthsTheDealerSetsAreRemembered(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	app := test.NewTempApp(t)
	u := &loopUI{loop: uitest.NewLoop(t), t: t}
	open := func(size fyne.Size) (s *ui.Shell, win fyne.Window) {
		svc, _ := testfleet.Offline(t, 300, now)
		u.run(func() {
			win = test.NewTempWindow(t, widget.NewLabel(""))
			win.Resize(size)
			s = New(Options{App: app, Window: win, UI: u.do}).Shell()
			s.Start(svc)
			win.Resize(size)
		})
		return s, win
	}
	// divider is where the dealer grabs the edge after col's header: the gap to the next one.
	divider := func(win fyne.Window, col fleetconsole.Column) fyne.Position {
		b := headerOf(t, win, col)
		p := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		return fyne.NewPos(p.X+b.Size().Width+theme.Padding()/2, p.Y+b.Size().Height/2)
	}
	noOverlap := func(win fyne.Window, when string) {
		hs := consoleHeaders(win)
		if len(hs) < 8 {
			t.Fatalf("%s: %d headers", when, len(hs))
		}
		d := fyne.CurrentApp().Driver()
		for i := 1; i < len(hs); i++ {
			prev, cur := hs[i-1], hs[i]
			if end := d.AbsolutePositionForObject(prev).X + prev.Size().Width; end > d.AbsolutePositionForObject(cur).X+0.5 {
				t.Errorf("%s: header %q ends at %.0f, over %q at %.0f", when, prev.Text, end, cur.Text, d.AbsolutePositionForObject(cur).X)
			}
			need := fyne.MeasureText(prev.Text, theme.TextSize(), fyne.TextStyle{Bold: true}).Width + 2*theme.InnerPadding()
			if prev.Icon != nil {
				need += theme.IconInlineSize() + theme.Padding()
			}
			if need > prev.Size().Width+1 {
				t.Errorf("%s: header %q needs %.0f px in %.0f", when, prev.Text, need, prev.Size().Width)
			}
		}
	}

	s, win := open(fyne.NewSize(1400, 800))
	var set float32
	u.run(func() {
		model, email := headerOf(t, win, fleetconsole.ColModel), headerOf(t, win, fleetconsole.ColEmail)
		before, emailBefore := model.Size().Width, email.Size().Width
		test.Drag(win.Canvas(), divider(win, fleetconsole.ColModel), 70, 0)
		set = model.Size().Width
		if set < before+60 || set > before+80 {
			t.Fatalf("dragged 70 px to the right, the Model column went from %.0f to %.0f px", before, set)
		}
		if w := s.FleetConsole().ColumnWidths()[fleetconsole.ColModel]; w != set {
			t.Fatalf("the page says the dealer set Model to %.0f, its header is %.0f", w, set)
		}
		// The columns the dealer did not set still share the window: the email gave up room.
		if got := email.Size().Width; got >= emailBefore {
			t.Errorf("the email column stayed %.0f px (was %.0f) while Model took 70 more", got, emailBefore)
		}
		s.Close() // the window's close saves the profile's view
	})

	// The next start, at 1024 px: Model keeps the dealer's width, nothing overlaps.
	s2, win2 := open(fyne.NewSize(1024, 700))
	t.Cleanup(func() { u.run(s2.Close) })
	u.run(func() {
		if got := headerOf(t, win2, fleetconsole.ColModel).Size().Width; got != set {
			t.Fatalf("after the restart the Model column is %.0f px, the dealer set %.0f", got, set)
		}
		noOverlap(win2, "1024 px with Model set")

		// A double-click on the divider: Model follows the content and the window again.
		pos := divider(win2, fleetconsole.ColModel)
		o, _ := findAt(win2, pos, func(o fyne.CanvasObject) bool { _, ok := o.(fyne.DoubleTappable); return ok })
		if o == nil {
			t.Fatal("nothing to double-click on the divider after Model")
		}
		test.DoubleTap(o.(fyne.DoubleTappable))
		if got := s2.FleetConsole().ColumnWidths(); len(got) != 0 {
			t.Fatalf("after a double-click on the divider the dealer's widths are %v", got)
		}
		if got := headerOf(t, win2, fleetconsole.ColModel).Size().Width; got == set {
			t.Errorf("Model kept the dealer's %.0f px after the double-click", got)
		}
		noOverlap(win2, "1024 px, automatic")
	})
}

// findAt is the object at pos that ok accepts, the last drawn (as the driver picks what a click
// reaches), with pos in its own coordinates.
func findAt(win fyne.Window, pos fyne.Position, ok func(fyne.CanvasObject) bool) (fyne.CanvasObject, fyne.Position) {
	var found fyne.CanvasObject
	var at fyne.Position
	d := fyne.CurrentApp().Driver()
	uitest.Walk(win.Content(), true, func(o fyne.CanvasObject) {
		p, sz := d.AbsolutePositionForObject(o), o.Size()
		if pos.X >= p.X && pos.Y >= p.Y && pos.X < p.X+sz.Width && pos.Y < p.Y+sz.Height && ok(o) {
			found, at = o, pos.Subtract(p)
		}
	})
	return found, at
}
