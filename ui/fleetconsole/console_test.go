package fleetconsole

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

var now0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// page is a Fleet Console on a test UI loop: the page's searches land on the loop, and the test's taps
// and reads run there too (inside loop.Run), as they take turns on the real UI goroutine.
type page struct {
	loop *uitest.Loop
	c    *Page
	w    fyne.Window
}

func newPage(t *testing.T, svc session.Fleet, opts Options, size fyne.Size) *page {
	t.Helper()
	p := &page{loop: uitest.NewLoop(t)}
	opts.UI = p.loop.Do
	p.run(t, func() {
		p.c = New(svc, opts)
		p.w = test.NewTempWindow(t, p.c.Content())
		p.w.Resize(size)
	})
	t.Cleanup(p.c.Close)
	// The first search runs in the background, as every later one does.
	p.loop.Eventually(t, 15*time.Second, "the first search to land", func() bool { return p.c.loaded })
	return p
}

// run runs f on the loop; a t.Fatal inside f ends the test here, on the test goroutine.
func (p *page) run(t *testing.T, f func()) {
	t.Helper()
	p.loop.Run(f)
}

// waitView waits until ok holds over a view with no search in flight.
func (p *page) waitView(t *testing.T, what string, ok func() bool) {
	t.Helper()
	p.loop.Eventually(t, 15*time.Second, what, func() bool {
		return p.c.sel.Current() && p.c.stopDebounce == nil && ok()
	})
}

// expected computes the view independently of the Fleet Console and of fleet.Index: every word
// typed must be in the device ID, customer email or name (each word in any of them).
func expected(devs []fleet.Device, text string, keep func(fleet.Device) bool) []string {
	var ids []string
	for _, d := range devs {
		hit := true
		for _, word := range strings.Fields(strings.ToLower(text)) {
			hit = hit && (strings.Contains(strings.ToLower(d.ID), word) || strings.Contains(strings.ToLower(d.CustomerEmail), word) ||
				strings.Contains(strings.ToLower(d.Name), word))
		}
		if hit && (keep == nil || keep(d)) {
			ids = append(ids, d.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func viewIDs(c *Page) []string {
	var ids []string
	for _, d := range c.View() {
		ids = append(ids, d.ID)
	}
	return ids
}

// cellsOnScreen are the table cells in use.
func cellsOnScreen(w fyne.Window) []*cell {
	var out []*cell
	for _, o := range uitest.Objects(w.Canvas().Content()) {
		if cl, ok := o.(*cell); ok && cl.Visible() && cl.row >= 0 {
			out = append(out, cl)
		}
	}
	return out
}

func button(w fyne.Window, text string) *widget.Button {
	for _, o := range uitest.Objects(w.Canvas().Content()) {
		switch b := o.(type) {
		case *widget.Button:
			if b.Text == text {
				return b
			}
		case *kit.Chip: // a filter chip is a button with an outline
			if b.Text == text {
				return &b.Button
			}
		}
	}
	return nil
}

func TestTypingFiltersRows(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 2000, now0)
	var opened []string
	p := newPage(t, svc, Options{OnManage: func(id string) { opened = append(opened, id) }, Debounce: 5 * time.Millisecond},
		fyne.NewSize(1300, 700))
	c, w := p.c, p.w

	p.run(t, func() {
		if got := c.CountText(); got != "2,000 of 2,000 units" {
			t.Fatalf("count before typing = %q", got)
		}
		c.FocusSearch(w)
	})
	// "okafor v5": a customer and a model (in the device ID), words in any order and field.
	for _, text := range []string{"okafor", "ADA.", "quarry 1", "D180-0", "okafor v5", "V5 OKAFOR", "pump ada 1"} {
		p.run(t, func() {
			c.w.search.SetText("")
			test.Type(c.w.search, text)
		})
		exp := expected(devs, text, nil)
		if len(exp) == 0 || len(exp) == len(devs) {
			t.Fatalf("%q matches %d of %d: a useless probe", text, len(exp), len(devs))
		}
		p.waitView(t, "search "+text, func() bool { return c.sel.Filter().Text == text && len(c.v.rows) == len(exp) })
		p.run(t, func() {
			if got := viewIDs(c); strings.Join(got, ",") != strings.Join(exp, ",") {
				t.Fatalf("%q: rows %v, want %v", text, got[:3], exp[:3])
			}
			if want := kit.Thousands(len(exp)) + " of 2,000 units"; c.CountText() != want {
				t.Fatalf("count = %q, want %q", c.CountText(), want)
			}
			// What is drawn is the filtered view: the ID column of every visible row.
			for _, cl := range cellsOnScreen(w) {
				if cl.colID() && cl.text.Text != exp[cl.row] {
					t.Fatalf("%q: row %d shows %q, want %q (cell %v room %v)", text, cl.row, cl.text.Text, exp[cl.row], cl.Size(), cl.room)
				}
			}
		})
	}

	// An exact ID narrows to one unit, and Enter in the search box opens it.
	id := devs[1234].ID
	p.run(t, func() {
		c.w.search.SetText("")
		test.Type(c.w.search, id)
	})
	p.waitView(t, "search by ID", func() bool { return c.sel.Filter().Text == id && len(c.v.rows) == 1 })
	p.run(t, func() {
		w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if len(opened) != 1 || opened[0] != id {
			t.Fatalf("Enter opened %v, want [%s]", opened, id)
		}
	})
}

func TestSelectionKeyboardAndManageButton(t *testing.T) {
	test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 300, now0)
	var opened []string
	p := newPage(t, svc, Options{OnManage: func(id string) { opened = append(opened, id) }, Debounce: 5 * time.Millisecond},
		fyne.NewSize(1300, 700))
	c, w := p.c, p.w
	p.run(t, func() {
		manage := button(w, "Manage")
		if manage == nil || !manage.Disabled() {
			t.Fatal("Manage must be there and disabled with nothing selected")
		}
		// Tap the third row's name cell, then move down twice from the search box.
		var target *cell
		for _, cl := range cellsOnScreen(w) {
			if cl.row == 2 && cl.col == ColName {
				target = cl
			}
		}
		if target == nil {
			t.Fatal("row 2 is not on screen")
		}
		test.Tap(target)
		if want := c.View()[2].ID; c.Selected() != want {
			t.Fatalf("tap selected %q, want %q", c.Selected(), want)
		}
		c.FocusSearch(w)
		w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		want := c.View()[4].ID
		if c.Selected() != want {
			t.Fatalf("after Down Down selected %q, want %q", c.Selected(), want)
		}
		if manage.Disabled() {
			t.Fatal("Manage still disabled with a selection")
		}
		test.Tap(manage)
		// Double-click on another row opens that one.
		for _, cl := range cellsOnScreen(w) {
			if cl.row == 7 && cl.col == ColEmail {
				test.DoubleTap(cl)
			}
		}
		if exp := []string{want, c.View()[7].ID}; !slices.Equal(opened, exp) {
			t.Fatalf("opened %v, want %v", opened, exp)
		}
		// Only the selected row is highlighted.
		for _, cl := range cellsOnScreen(w) {
			lit := cl.bg.FillColor != transparent
			if lit != (cl.row == 7) {
				t.Fatalf("row %d highlighted=%v with row 7 selected", cl.row, lit)
			}
		}
	})
}

func TestSortAndChips(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 1500, now0)
	p := newPage(t, svc, Options{Debounce: 5 * time.Millisecond}, fyne.NewSize(1300, 700))
	c, w := p.c, p.w

	// Tapping the "Last seen" header sorts most recent first; again reverses.
	p.run(t, func() {
		hdr := button(w, ColLastSeen.Title())
		if hdr == nil {
			t.Fatal("no Last seen header")
		}
		test.Tap(hdr)
	})
	p.waitView(t, "sort", func() bool { return c.sort == Sort{Col: ColLastSeen} })
	p.run(t, func() {
		view := c.View()
		for i := 1; i < len(view); i++ {
			if view[i].LastSeen.After(view[i-1].LastSeen) {
				t.Fatalf("row %d seen %s after row %d (%s)", i, view[i].LastSeen, i-1, view[i-1].LastSeen)
			}
		}
		test.Tap(button(w, ColLastSeen.Title()))
	})
	p.waitView(t, "reverse sort", func() bool { return c.sort.Desc })
	p.run(t, func() {
		view := c.View()
		if !view[0].LastSeen.Before(view[len(view)-1].LastSeen) {
			t.Fatal("reversed sort does not start with the longest silent")
		}
		// The Lost contact chip keeps exactly the lost units (offline ones included).
		test.Tap(button(w, "Lost contact"))
	})
	exp := expected(devs, "", func(d fleet.Device) bool { return d.HealthAt(now0) == fleet.HealthLost })
	p.waitView(t, "lost chip", func() bool { return len(c.v.rows) == len(exp) && len(c.sel.Filter().Health) == 1 })
	p.run(t, func() {
		got := viewIDs(c)
		slices.Sort(got)
		if !slices.Equal(got, exp) {
			t.Fatalf("Lost chip: %d rows, want %d", len(got), len(exp))
		}
		test.Tap(button(w, "Ultra console"))
	})
	exp = expected(devs, "", func(d fleet.Device) bool {
		return d.HealthAt(now0) == fleet.HealthLost && d.Console == fleet.ConsoleUltra
	})
	p.waitView(t, "ultra chip", func() bool { return len(c.v.rows) == len(exp) && len(c.sel.Filter().Consoles) == 1 })
	if len(exp) == 0 {
		t.Fatal("no lost Ultra unit in the generated fleet: a useless probe")
	}
	fw := devs[0].Firmware
	p.run(t, func() {
		if want := fmt.Sprintf("%d of 1,500 units", len(exp)); c.CountText() != want {
			t.Fatalf("count %q, want %q", c.CountText(), want)
		}
		c.chips.firmware.SetSelected(fw)
	})
	exp = expected(devs, "", func(d fleet.Device) bool {
		return d.HealthAt(now0) == fleet.HealthLost && d.Console == fleet.ConsoleUltra && d.Firmware == fw
	})
	p.waitView(t, "firmware pick", func() bool { return len(c.sel.Filter().Firmware) == 1 && len(c.v.rows) == len(exp) })
	p.run(t, func() { test.Tap(button(w, "Clear filters")) })
	p.waitView(t, "clear", func() bool { return len(c.v.rows) == len(devs) })
}

// TestOnlyVisibleRowsBuilt renders 100,000 units and counts the cells the table builds.
func TestOnlyVisibleRowsBuilt(t *testing.T) {
	test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 100_000, now0)
	p := newPage(t, svc, Options{}, fyne.NewSize(1300, 800))
	c, w := p.c, p.w
	p.run(t, func() {
		if c.CountText() != "100,000 of 100,000 units" {
			t.Fatalf("count %q", c.CountText())
		}
		rowH := newCell(c).MinSize().Height
		maxRows := int(800/rowH) + 4
		built := c.cellsBuilt
		if built == 0 || built > maxRows*int(numColumns) {
			t.Fatalf("built %d cells for a window that shows at most %d rows of %d columns", built, maxRows, numColumns)
		}
		rows := map[int]bool{}
		for _, cl := range cellsOnScreen(w) {
			rows[cl.row] = true
		}
		if len(rows) == 0 || len(rows) > maxRows {
			t.Fatalf("%d distinct rows laid out", len(rows))
		}
		// Scrolling to the end reuses cells rather than building the rows in between.
		c.w.table.ScrollToBottom()
		if c.cellsBuilt > 2*built {
			t.Fatalf("scrolling to the bottom built %d more cells", c.cellsBuilt-built)
		}
		last := false
		for _, cl := range cellsOnScreen(w) {
			last = last || cl.row == 99_999
		}
		if !last {
			t.Fatal("the last row is not on screen after ScrollToBottom")
		}
	})
}

// TestLiveUpdatesKeepSelectionAndScroll runs against the simulated backend: as syncs bring
// changes, the Fleet Console re-searches, and the selected unit and the scroll position stay.
func TestLiveUpdatesKeepSelectionAndScroll(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	svc, srv, _ := testfleet.StartManual(ctx, t, sim.Config{Devices: 400, Dealers: 1, Seed: 3, ManualClock: true, AccessTTL: 48 * time.Hour})
	if _, err := svc.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	p := newPage(t, svc, Options{Debounce: 5 * time.Millisecond}, fyne.NewSize(1300, 600))
	c, w := p.c, p.w
	top := func() int {
		m := -1
		for _, cl := range cellsOnScreen(w) {
			if m < 0 || cl.row < m {
				m = cl.row
			}
		}
		return m
	}
	var before int
	var sel string
	var startIx *fleet.Index
	p.run(t, func() {
		c.w.table.ScrollTo(widget.TableCellID{Row: 60, Col: 0})
		before = top()
		if before < 30 {
			t.Fatalf("scrolled to row 60 but the top row is %d", before)
		}
		sel = c.View()[before+2].ID
		c.Select(sel)
		startIx = c.v.ix
	})
	// Two simulated minutes pass (units report every minute or so) and a sync brings them; the
	// console then searches the new snapshot.
	srv.Advance(2 * time.Minute)
	if _, err := svc.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	p.waitView(t, "the new snapshot in view", func() bool { return c.v.ix != startIx && c.v.ix == svc.Fleet() })
	p.run(t, func() {
		changed := 0
		for _, d := range c.View() {
			if old, ok := startIx.Get(d.ID); ok && !old.LastSeen.Equal(d.LastSeen) {
				changed++
			}
		}
		if changed == 0 {
			t.Fatal("a new snapshot arrived but no unit's last seen changed")
		}
		if c.Selected() != sel {
			t.Fatalf("selection moved from %s to %s", sel, c.Selected())
		}
		if after := top(); after != before {
			t.Fatalf("scroll moved: top row %d → %d", before, after)
		}
		lit := 0
		for _, cl := range cellsOnScreen(w) {
			if cl.bg.FillColor != transparent {
				lit++
				if c.View()[cl.row].ID != sel {
					t.Fatalf("highlighted row %d is %s, not the selected %s", cl.row, c.View()[cl.row].ID, sel)
				}
			}
		}
		if lit == 0 {
			t.Fatal("the selected row is not highlighted")
		}
	})
}
