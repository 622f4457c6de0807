package fleetconsole

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// Issue 24 item 4: the text that tells two units apart stays visible. Names and emails of one
// customer share their start, so a cut keeps both ends; a header never runs into the next one;
// the model reads whole once the window has room.
func TestTheTextThatTellsUnitsApartStays(t *testing.T) {
	test.NewTempApp(t)
	size := theme.TextSize()
	style := fyne.TextStyle{}
	pairs := [][2]string{
		{"Kariuki Retail North Depot", "Kariuki Retail South Depot"},
		{"ops@kariuki-retail-north.example", "ops@kariuki-retail-south.example"},
	}
	for i, p := range pairs {
		full := widths.width(p[0], size, style)
		for _, share := range []float32{0.5, 0.6, 0.75} {
			if share < 0.6 && i == 0 {
				continue // ten characters of a name cannot hold both its start and its distinguishing word
			}
			room := full * share
			a, b := widths.fitDistinct(p[0], room, size, style, i == 1), widths.fitDistinct(p[1], room, size, style, i == 1)
			if a == b || !strings.Contains(a, "…") || widths.width(a, size, style) > room {
				t.Errorf("in %.0f px %q and %q read %q and %q", room, p[0], p[1], a, b)
			}
		}
	}

	// In a few characters an email shows its customer's domain, not the mailbox all share.
	if got := widths.fitDistinct("ops@kariuki-farms.example", 60, size, style, true); !strings.HasPrefix(got, "@kari") {
		t.Errorf("in 60 px the email reads %q", got)
	}

	// At 1600 px (about 1420 for the table) AutoGen Ultra is whole.
	if ws := columnWidths(1420, 0); ws[ColModel] < ColModel.fullWidth() {
		t.Errorf("the model column is %.0f wide at 1600 px, %q needs %.0f", ws[ColModel], "AutoGen Ultra", ColModel.fullWidth())
	}

	// At 1024 px (about 860 for the console) names, emails and the columns whose header is
	// wider than their values give way first: health, connection, ID and last seen keep the
	// width their short texts need ("Lost contact", "Offline since 14:05", "59 min ago").
	ws := sortedColumnWidths(876-theme.ScrollBarSize()-2*theme.Padding(), 0, ColID) // the table is 876 px wide there
	for _, col := range []Column{ColHealth, ColConnection, ColID, ColLastSeen} {
		if ws[col] < col.minWidth()-0.01 {
			t.Errorf("at 1024 px %s is %.0f wide, under the %.0f its short texts need", col.Title(), ws[col], col.minWidth())
		}
	}

	// At 1024 px every header fits its column.
	svc, _ := testfleet.Offline(t, 300, now0)
	p := newPage(t, svc, Options{}, fyne.NewSize(860, 650))
	p.run(t, func() {
		var headers []*widget.Button
		uitest.Walk(p.w.Content(), true, func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok && b.Importance == widget.LowImportance && b.Alignment == widget.ButtonAlignLeading {
				headers = append(headers, b)
			}
		})
		if len(headers) < int(numColumns) {
			t.Fatalf("%d headers drawn", len(headers))
		}
		for _, b := range headers {
			need := fyne.MeasureText(b.Text, size, fyne.TextStyle{Bold: true}).Width + 2*theme.InnerPadding()
			if b.Icon != nil {
				need += theme.IconInlineSize() + theme.Padding()
			}
			if need > b.Size().Width+1 {
				t.Errorf("header %q needs %.0f px in a %.0f px column: it runs into the next", b.Text, need, b.Size().Width)
			}
		}
	})
}

// header is the column's header button, its title whole or cut to fit ("Last s…").
func header(w fyne.Window, col Column) *widget.Button {
	var found *widget.Button
	uitest.Walk(w.Content(), true, func(o fyne.CanvasObject) {
		b, ok := o.(*widget.Button)
		if !ok || found != nil || b.Importance != widget.LowImportance || b.Alignment != widget.ButtonAlignLeading || b.Text == "" {
			return
		}
		if b.Text == col.Title() || strings.HasPrefix(col.Title(), strings.TrimSuffix(b.Text, "…")) && strings.HasSuffix(b.Text, "…") {
			found = b
		}
	})
	return found
}

// The full text on hover (issue 24 item 4): the pointer over a cut cell shows that cell's whole
// text on the details line, however much else the line holds: it comes first after the device
// ID (it came in the column order, so a cut connection or last-seen text at the end of a long
// line was cut there too). Here the dealer has narrowed Connection and Last seen and the window
// is narrow, as on a small laptop.
func TestHoverShowsTheCutCellWhole(t *testing.T) {
	test.NewTempApp(t)
	svc, _ := testfleet.Offline(t, 300, now0)
	p := newPage(t, svc, Options{}, fyne.NewSize(760, 650))
	p.run(t, func() {
		p.c.SetColumnWidths(map[Column]float32{ColConnection: 50, ColLastSeen: 50, ColName: 60})
	})
	p.run(t, func() {
		checked := map[Column]int{}
		d := fyne.CurrentApp().Driver()
		table := d.AbsolutePositionForObject(p.c.w.table).Add(fyne.NewPos(p.c.w.table.Size().Width, p.c.w.table.Size().Height))
		for _, cl := range cellsOnScreen(p.w) {
			if cl.text.Text == cl.full || cl.full == "" {
				continue // whole already
			}
			pos := d.AbsolutePositionForObject(cl).Add(fyne.NewPos(cl.Size().Width/2, cl.Size().Height/2))
			if pos.X > table.X || pos.Y > table.Y {
				continue // out of the table's view (cells kept for scrolling)
			}
			test.MoveMouse(p.w.Canvas(), pos)
			if got := p.c.w.details.Text; !strings.Contains(got, cl.full) {
				t.Errorf("hovering %s's cut %q (shown %q), the details line reads %q", cl.col.Title(), cl.full, cl.text.Text, got)
			}
			// The clock's tick (every few seconds, as are live updates) redraws the line: the
			// hovered cell stays on it (it went back to the selection, within a second in the demo).
			p.c.tick()
			if got := p.c.w.details.Text; !strings.Contains(got, cl.full) {
				t.Errorf("hovering %s's cut %q, after a tick the details line reads %q", cl.col.Title(), cl.full, got)
			}
			checked[cl.col]++
		}
		for _, col := range []Column{ColConnection, ColLastSeen, ColName} {
			if checked[col] == 0 {
				t.Errorf("no cut %s cell was hovered (checked %v)", col.Title(), checked)
			}
		}
	})
}
