package console

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

var now0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// settled makes the console report each applied search on a channel.
func settled(c *Console) chan struct{} {
	ch := make(chan struct{}, 1024)
	c.onApplied = func() { ch <- struct{}{} }
	return ch
}

// waitView waits for applied searches until ok holds.
func waitView(t *testing.T, c *Console, ch chan struct{}, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() || c.applied.Load() != c.gen.Load() {
		if _, got := uitest.Recv(ch, time.Until(deadline)); !got {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// expected computes the view independently of the console and of fleet.Index.
func expected(devs []fleet.Device, text string, keep func(fleet.Device) bool) []string {
	needle := strings.ToLower(text)
	var ids []string
	for _, d := range devs {
		hit := strings.Contains(strings.ToLower(d.ID), needle) || strings.Contains(strings.ToLower(d.CustomerEmail), needle) ||
			strings.Contains(strings.ToLower(d.Name), needle)
		if hit && (keep == nil || keep(d)) {
			ids = append(ids, d.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func viewIDs(c *Console) []string {
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
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

func TestTypingFiltersRows(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := uitest.Offline(t, 2000, now0)
	kit.Lock()
	defer kit.Unlock()
	var opened []string
	c := New(svc, Options{OnManage: func(id string) { opened = append(opened, id) }, Debounce: 5 * time.Millisecond})
	defer c.Close()
	done := settled(c)
	w := test.NewTempWindow(t, c.Content())
	w.Resize(fyne.NewSize(1300, 700))

	if got := c.CountText(); got != "2,000 of 2,000 units" {
		t.Fatalf("count before typing = %q", got)
	}
	c.FocusSearch(w)
	for _, text := range []string{"okafor", "ADA.", "quarry 1", "D180-0"} {
		c.search.SetText("")
		test.Type(c.search, text)
		exp := expected(devs, text, nil)
		if len(exp) == 0 || len(exp) == len(devs) {
			t.Fatalf("%q matches %d of %d: a useless probe", text, len(exp), len(devs))
		}
		waitView(t, c, done, "search "+text, func() bool { return c.filter.Text == text && len(c.rows) == len(exp) })
		if got := viewIDs(c); strings.Join(got, ",") != strings.Join(exp, ",") {
			t.Fatalf("%q: rows %v, want %v", text, got[:3], exp[:3])
		}
		if want := kit.Thousands(len(exp)) + " of 2,000 units"; c.CountText() != want {
			t.Fatalf("count = %q, want %q", c.CountText(), want)
		}
		// What is drawn is the filtered view: the ID column of every visible row.
		for _, cl := range cellsOnScreen(w) {
			if cl.colID() && cl.label.Text != exp[cl.row] {
				t.Fatalf("%q: row %d shows %q, want %q", text, cl.row, cl.label.Text, exp[cl.row])
			}
		}
	}

	// An exact ID narrows to one unit, and Enter in the search box opens it.
	id := devs[1234].ID
	c.search.SetText("")
	test.Type(c.search, id)
	waitView(t, c, done, "search by ID", func() bool { return c.filter.Text == id && len(c.rows) == 1 })
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(opened) != 1 || opened[0] != id {
		t.Fatalf("Enter opened %v, want [%s]", opened, id)
	}
}

func TestSelectionKeyboardAndManageButton(t *testing.T) {
	test.NewTempApp(t)
	svc, _ := uitest.Offline(t, 300, now0)
	kit.Lock()
	defer kit.Unlock()
	var opened []string
	c := New(svc, Options{OnManage: func(id string) { opened = append(opened, id) }, Debounce: 5 * time.Millisecond})
	defer c.Close()
	w := test.NewTempWindow(t, c.Content())
	w.Resize(fyne.NewSize(1300, 700))

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
}

func TestSortAndChips(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := uitest.Offline(t, 1500, now0)
	kit.Lock()
	defer kit.Unlock()
	c := New(svc, Options{Debounce: 5 * time.Millisecond})
	defer c.Close()
	done := settled(c)
	w := test.NewTempWindow(t, c.Content())
	w.Resize(fyne.NewSize(1300, 700))

	// Tapping the "Last seen" header sorts most recent first; again reverses.
	hdr := button(w, ColLastSeen.Title())
	if hdr == nil {
		t.Fatal("no Last seen header")
	}
	test.Tap(hdr)
	waitView(t, c, done, "sort", func() bool { return c.sort == Sort{Col: ColLastSeen} })
	view := c.View()
	for i := 1; i < len(view); i++ {
		if view[i].LastSeen.After(view[i-1].LastSeen) {
			t.Fatalf("row %d seen %s after row %d (%s)", i, view[i].LastSeen, i-1, view[i-1].LastSeen)
		}
	}
	test.Tap(button(w, ColLastSeen.Title()))
	waitView(t, c, done, "reverse sort", func() bool { return c.sort.Desc })
	view = c.View()
	if !view[0].LastSeen.Before(view[len(view)-1].LastSeen) {
		t.Fatal("reversed sort does not start with the longest silent")
	}

	// The Lost chip keeps exactly the lost units; the Ultra chip then narrows to Ultra ones.
	test.Tap(button(w, "Lost"))
	exp := expected(devs, "", func(d fleet.Device) bool { return d.HealthAt(now0) == fleet.HealthLost })
	waitView(t, c, done, "lost chip", func() bool { return len(c.rows) == len(exp) && len(c.filter.Health) == 1 })
	got := viewIDs(c)
	slices.Sort(got)
	if !slices.Equal(got, exp) {
		t.Fatalf("Lost chip: %d rows, want %d", len(got), len(exp))
	}
	test.Tap(button(w, "Ultra"))
	exp = expected(devs, "", func(d fleet.Device) bool {
		return d.HealthAt(now0) == fleet.HealthLost && d.Console == fleet.ConsoleUltra
	})
	waitView(t, c, done, "ultra chip", func() bool { return len(c.rows) == len(exp) && len(c.filter.Consoles) == 1 })
	if len(exp) == 0 {
		t.Fatal("no lost Ultra unit in the generated fleet: a useless probe")
	}
	if want := fmt.Sprintf("%d of 1,500 units", len(exp)); c.CountText() != want {
		t.Fatalf("count %q, want %q", c.CountText(), want)
	}
	// Firmware picker.
	fw := devs[0].Firmware
	c.chips.firmware.SetSelected(fw)
	exp = expected(devs, "", func(d fleet.Device) bool {
		return d.HealthAt(now0) == fleet.HealthLost && d.Console == fleet.ConsoleUltra && d.Firmware == fw
	})
	waitView(t, c, done, "firmware pick", func() bool { return len(c.filter.Firmware) == 1 && len(c.rows) == len(exp) })
	test.Tap(button(w, "Clear filters"))
	waitView(t, c, done, "clear", func() bool { return len(c.rows) == len(devs) })
}

// TestOnlyVisibleRowsBuilt renders 100,000 units and counts the cells the table builds.
func TestOnlyVisibleRowsBuilt(t *testing.T) {
	test.NewTempApp(t)
	svc, _ := uitest.Offline(t, 100_000, now0)
	kit.Lock()
	defer kit.Unlock()
	c := New(svc, Options{})
	defer c.Close()
	w := test.NewTempWindow(t, c.Content())
	w.Resize(fyne.NewSize(1300, 800))
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
	c.table.ScrollToBottom()
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
}

// TestLiveUpdatesKeepSelectionAndScroll runs against the simulated backend: as syncs bring
// changes, the console re-searches, and the selected unit and the scroll position stay.
func TestLiveUpdatesKeepSelectionAndScroll(t *testing.T) {
	test.NewTempApp(t)
	live := uitest.StartLive(t, sim.Config{Devices: 400, Dealers: 1, Seed: 3, Speed: 120})
	kit.Lock()
	defer kit.Unlock()
	c := New(live.Session, Options{Debounce: 5 * time.Millisecond})
	defer c.Close()
	done := settled(c)
	w := test.NewTempWindow(t, c.Content())
	w.Resize(fyne.NewSize(1300, 600))

	c.table.ScrollTo(widget.TableCellID{Row: 60, Col: 0})
	top := func() int {
		m := -1
		for _, cl := range cellsOnScreen(w) {
			if m < 0 || cl.row < m {
				m = cl.row
			}
		}
		return m
	}
	before := top()
	if before < 30 {
		t.Fatalf("scrolled to row 60 but the top row is %d", before)
	}
	sel := c.View()[before+2].ID
	c.Select(sel)
	startIx := c.ix
	// Wait for syncs to replace the snapshot a few times (units report every simulated minute).
	waitView(t, c, done, "live updates", func() bool { return c.ix != startIx })
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
}
