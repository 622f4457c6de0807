package tokens

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// Issue 24 item 15: the token list's columns take their widths from what they show, so a long
// name or account is not cut while the date and access columns leave room beside it; at 1024
// pixels only the free-text columns give way, and no column overlaps another.
func TestTokenColumnsFitTheirText(t *testing.T) {
	svc := newMemSession(testNow)
	last := testNow.Add(-2 * time.Minute)
	svc.tokens = []token.Info{
		{ID: "tok-1", Name: "Kariuki Retail SCADA integration, north depot", UserID: "u-ann",
			UserEmail: "facilities.manager@kariuki-retail-north.example", Access: token.AccessControl,
			Devices: []string{"UN-D180G-00", "UN-D180G-01"}, CreatedAt: testNow.Add(-48 * time.Hour),
			ExpiresAt: testNow.Add(90 * 24 * time.Hour), LastUsed: &last},
		{ID: "tok-2", Name: "Dashboard", UserID: "u-bob", UserEmail: "bob@mill.example", Access: token.AccessReadOnly,
			CreatedAt: testNow.Add(-24 * time.Hour), ExpiresAt: testNow.Add(30 * 24 * time.Hour)},
	}
	h := openPage(t, svc)
	// The header is drawn too, one label a column, each whole.
	h.do(func() {
		for i, o := range h.p.header.Objects {
			l := o.(*widget.Label)
			if !l.Visible() || l.Size().Width < 10 || drawnText(l) != columns[i] {
				t.Fatalf("header %q drawn as %q (visible %v, %v wide)", columns[i], drawnText(l), l.Visible(), l.Size().Width)
			}
		}
	})
	for _, width := range []float32{1600, 1280, 1024} { // at 1600 everything fits; below, the free text gives way
		h.do(func() {
			h.win.Resize(fyne.NewSize(width, 700))
			cells := rowCells(h.p.list)
			if len(cells) == 0 {
				t.Fatal("no token rows drawn")
			}
			for _, row := range cells {
				var prevEnd float32 = -1
				for i, l := range row {
					pos := l.Position()
					if pos.X < prevEnd-0.5 {
						t.Fatalf("at %v px column %d overlaps the one before", width, i)
					}
					prevEnd = pos.X + l.Size().Width
					full := l.Text
					shown := drawnText(l)
					cut := strings.HasSuffix(shown, "…") || shown != full
					switch {
					case cut && width >= 1600:
						t.Errorf("at %v px %q is drawn as %q although the window has room", width, full, shown)
					case cut && !h.p.cols.flex[i]:
						t.Errorf("at %v px the %s column %q is cut to %q", width, columns[i], full, shown)
					}
				}
			}
		})
	}
}

// rowCells are the visible rows' text cells (Revoke aside), in column order.
func rowCells(list *widget.List) [][]*widget.Label {
	var out [][]*widget.Label
	uitest.Walk(list, true, func(o fyne.CanvasObject) {
		if c, ok := o.(*fyne.Container); ok && len(c.Objects) == len(columns) {
			var row []*widget.Label
			for _, x := range c.Objects[:len(columns)-1] {
				if l, ok := x.(*widget.Label); ok {
					row = append(row, l)
				}
			}
			if len(row) == len(columns)-1 && row[0].Text != "" {
				out = append(out, row)
			}
		}
	})
	return out
}

// drawnText is what a label draws (its text, or its text cut with an ellipsis).
func drawnText(l *widget.Label) string {
	var b strings.Builder
	uitest.Walk(l, true, func(o fyne.CanvasObject) {
		if tx, ok := o.(*canvas.Text); ok {
			b.WriteString(tx.Text)
		}
	})
	return b.String()
}
