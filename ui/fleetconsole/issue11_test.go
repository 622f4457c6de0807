package fleetconsole

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

func labelTexts(w fyne.Window) []string {
	var out []string
	for _, o := range uitest.Objects(w.Canvas().Content()) {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	}
	return out
}

// Issue 11 item 1: Manage and Enter must never open a unit the search has filtered out.
func TestManageNeverOpensAFilteredOutUnit(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 300, now0)
	var opened []string
	// A debounce longer than the test: Enter comes before the typed search has run by itself.
	p := newPage(t, svc, Options{OnManage: func(id string) { opened = append(opened, id) }, Debounce: time.Hour},
		fyne.NewSize(1300, 700))
	c, w := p.c, p.w
	var picked, other string
	for _, d := range devs {
		switch {
		case picked == "" && d.Model == fleet.ModelD100:
			picked = d.ID
		case other == "" && d.Model == fleet.ModelD180:
			other = d.ID
		}
	}
	if picked == "" || other == "" {
		t.Fatal("the generated fleet has no D100 or no D180: a useless probe")
	}
	prefix := other[:len(other)-2] // e.g. D180-000: several D180 units, no D100
	p.run(t, func() {
		c.Select(picked)
		if c.Selected() != picked || button(w, "Manage").Disabled() {
			t.Fatalf("selecting %s: selected %q", picked, c.Selected())
		}
		c.FocusSearch(w)
		test.Type(c.w.search, prefix)
		w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if len(opened) != 0 {
			t.Fatalf("Enter after typing %q opened %v: the selected %s is no longer in view", prefix, opened, picked)
		}
		if c.Selected() != "" {
			t.Fatalf("selection %q stayed on a unit out of view", c.Selected())
		}
		if m := button(w, "Manage"); !m.Disabled() {
			t.Fatal("Manage enabled with the selected unit filtered out")
		}
		test.Tap(button(w, "Manage"))
		if len(opened) != 0 {
			t.Fatalf("Manage opened %v", opened)
		}
		for _, d := range c.View() {
			if !strings.HasPrefix(d.ID, prefix) {
				t.Fatalf("view holds %s after searching %q", d.ID, prefix)
			}
		}
		// A query with no result says so and offers the way back.
		c.w.search.SetText("")
		test.Type(c.w.search, "no-such-unit-zz")
		c.flush()
		want := "No units match “no-such-unit-zz”."
		if !containsText(labelTexts(w), want) {
			t.Fatalf("empty result shows %q, want %q", labelTexts(w), want)
		}
		clear := button(w, "Clear search")
		if clear == nil || !clear.Visible() {
			t.Fatal("no Clear search button on the empty result")
		}
		test.Tap(clear)
	})
	p.waitView(t, "the cleared search", func() bool { return len(c.v.rows) == len(devs) && c.SearchText() == "" })
	p.run(t, func() {
		if c.w.empty.content.Visible() {
			t.Fatal("the empty message stays after clearing")
		}
	})
}

func containsText(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Issue 11 item 7: an offline unit reads "Offline since …" and "Lost contact", never "Late".
func TestOfflineUnitSaysOffline(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 300, now0)
	var off fleet.Device
	for _, d := range devs {
		if !d.Online && !d.LastSeen.IsZero() {
			off = d
			break
		}
	}
	if off.ID == "" {
		t.Fatal("no offline unit in the generated fleet")
	}
	p := newPage(t, svc, Options{Debounce: time.Millisecond}, fyne.NewSize(1300, 700))
	p.run(t, func() { p.c.SetSearch(off.ID) })
	p.waitView(t, "the offline unit alone", func() bool { return len(p.c.v.rows) == 1 })
	p.run(t, func() {
		got := map[Column]string{}
		for _, cl := range cellsOnScreen(p.w) {
			if cl.row == 0 {
				got[cl.col] = cl.text.Text
			}
		}
		if !strings.HasPrefix(got[ColConnection], "Offline since ") {
			t.Errorf("connection column reads %q, want Offline since …", got[ColConnection])
		}
		if got[ColHealth] != "Lost contact" {
			t.Errorf("health column reads %q for an offline unit, want Lost contact", got[ColHealth])
		}
		// Its full record, connection included, is on the details line.
		if d := p.c.w.details.Text; !strings.Contains(d, off.CustomerEmail) || !strings.Contains(d, "Offline since") {
			t.Errorf("details line %q", d)
		}
		for _, name := range []string{"X Pro console", "Unified console", "Ultra console", "Lost contact", "Reporting normally"} {
			if button(p.w, name) == nil {
				t.Errorf("no %q filter chip", name)
			}
		}
	})
}

// Issue 11 item 19: the columns share the window's width; in a 1000×650 window (920 pixels for
// the Fleet Console beside the navigation) every column and Clear filters are on screen, and IDs whole.
func TestColumnsShareTheWidth(t *testing.T) {
	test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 300, now0)
	p := newPage(t, svc, Options{}, fyne.NewSize(920, 650))
	abs := func(o fyne.CanvasObject) (float32, float32) {
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
		return pos.X, pos.X + o.Size().Width
	}
	var narrowName float32
	p.run(t, func() {
		for _, name := range []string{"Clear filters", ColLastSeen.Title(), "Manage"} {
			b := button(p.w, name)
			if name == ColLastSeen.Title() {
				b = header(p.w, ColLastSeen) // in 920 pixels its title may be cut to fit
			}
			if b == nil {
				t.Fatalf("no %q", name)
			}
			if _, right := abs(b); right > 920 {
				t.Errorf("%q ends at x=%.0f, past the 920-pixel console", name, right)
			}
		}
		for _, cl := range cellsOnScreen(p.w) {
			if cl.col == ColID {
				need := fyne.MeasureText(cl.full, theme.TextSize(), cl.text.TextStyle).Width + 2*theme.InnerPadding()
				if cl.Size().Width < need || cl.text.Text != cl.full {
					t.Fatalf("device ID %q shown as %q: %.0f wide, needs %.0f", cl.full, cl.text.Text, cl.Size().Width, need)
				}
			}
		}
		narrowName = nameCellWidth(p.w)
		p.w.Resize(fyne.NewSize(1800, 800))
	})
	p.run(t, func() {
		wide := nameCellWidth(p.w)
		if wide < narrowName*1.5 {
			t.Errorf("name column %.0f wide at 1800 px, %.0f at 1000 px: the width is not shared", wide, narrowName)
		}
		_, right := abs(header(p.w, ColLastSeen))
		if right < 1600 {
			t.Errorf("the last column ends at x=%.0f in an 1800-pixel window: empty space left", right)
		}
	})
}

func nameCellWidth(w fyne.Window) float32 {
	for _, cl := range cellsOnScreen(w) {
		if cl.col == ColName {
			return cl.Size().Width
		}
	}
	return 0
}

func TestColumnWidthsKeepMinimums(t *testing.T) {
	test.NewTempApp(t)
	var sumMin float32
	for col := Column(0); col < numColumns; col++ {
		sumMin += col.minWidth() + theme.Padding()
	}
	for _, avail := range []float32{sumMin, sumMin + 300, 2400} {
		ws := columnWidths(avail, 0)
		var sum float32
		for col, w := range ws {
			if w < Column(col).minWidth()-0.01 {
				t.Errorf("at %.0f: %s is %.0f wide, under its minimum", avail, Column(col).Title(), w)
			}
			sum += w
		}
		if avail >= 1200 && sum > avail {
			t.Errorf("at %.0f the columns take %.0f", avail, sum)
		}
	}
}

// A window too narrow for every minimum still shows every column: all but the device ID give up
// the same share, and the ID stays whole.
func TestNarrowWindowSqueezesAllButTheID(t *testing.T) {
	test.NewTempApp(t)
	var sumMin float32
	for col := Column(0); col < numColumns; col++ {
		sumMin += col.minWidth() + theme.Padding()
	}
	avail := sumMin * 0.85
	ws := columnWidths(avail, 0)
	var sum float32
	for _, w := range ws {
		sum += w
	}
	if sum > avail-theme.Padding()*float32(numColumns)+0.5 {
		t.Errorf("the columns take %.0f of %.0f: the table would scroll", sum, avail)
	}
	if ws[ColID] < ColID.minWidth()-0.01 {
		t.Errorf("the device ID column shrank to %.0f", ws[ColID])
	}
}

// Issue 11 item 19: a truncated cell's full text shows while the pointer is over its row.
func TestHoverShowsTheRowInFull(t *testing.T) {
	test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 50, now0)
	p := newPage(t, svc, Options{}, fyne.NewSize(920, 650))
	p.run(t, func() {
		var email *cell
		for _, cl := range cellsOnScreen(p.w) {
			if cl.col == ColEmail && cl.row == 3 {
				email = cl
			}
		}
		if email == nil {
			t.Fatal("row 3 not on screen")
		}
		full := p.c.View()[3].CustomerEmail
		email.MouseIn(&desktop.MouseEvent{})
		if !strings.Contains(p.c.w.details.Text, full) {
			t.Fatalf("hovering row 3 shows %q, want its email %q", p.c.w.details.Text, full)
		}
		email.MouseOut()
		if strings.Contains(p.c.w.details.Text, full) {
			t.Fatal("the hovered row stays on the details line after the pointer left")
		}
	})
}

// With the backend out of reach, a unit the last sync saw online is not claimed "Online" now: the
// Connection column says the state is the last sync's.
func TestOnlineIsTheLastSyncsWhenTheBackendIsOutOfReach(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 300, now0) // a cache-only session: the backend is not reachable
	var on fleet.Device
	for _, d := range devs {
		if d.Reachable(now0) {
			on = d
			break
		}
	}
	if on.ID == "" {
		t.Fatal("no online unit in the generated fleet")
	}
	p := newPage(t, svc, Options{Debounce: time.Millisecond}, fyne.NewSize(1300, 700))
	p.run(t, func() { p.c.SetSearch(on.ID) })
	p.waitView(t, "the online unit alone", func() bool { return len(p.c.v.rows) == 1 })
	p.run(t, func() {
		for _, cl := range cellsOnScreen(p.w) {
			if cl.row == 0 && cl.col == ColConnection && cl.text.Text != "Online at last sync" {
				t.Errorf("connection column reads %q while the backend is out of reach", cl.text.Text)
			}
		}
	})
}
