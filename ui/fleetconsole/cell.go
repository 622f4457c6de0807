package fleetconsole

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// cell is one table cell. It handles its own taps so that selection belongs to the Fleet Console
// (by device ID) rather than to the table (by row number, which a live update can reassign).
//
// Its text is a canvas.Text it fits to the column itself, cut with "…" from per-character widths
// measured once (see fitText), instead of a widget.Label with ellipsis truncation: Fyne shapes a
// truncated label's text afresh on every change (a new font shaper each time), which made the
// visible cells of one keystroke allocate megabytes and brought a garbage collection every few
// keystrokes, the slow ones the dealer feels.
type cell struct {
	widget.BaseWidget
	c    *Page
	row  int
	col  Column
	bg   *canvas.Rectangle
	dot  *canvas.Circle
	text *canvas.Text // what the dealer reads: full, or as much of it as fits followed by "…"
	full string       // the whole value (the details line shows it too)
	room float32      // the width text was fitted to, 0 before the first layout
}

func newCell(c *Page) *cell {
	cl := &cell{c: c, row: -1}
	cl.bg = canvas.NewRectangle(transparent)
	cl.dot = kit.NewDot(fleet.HealthLive)
	cl.dot.Hide()
	cl.text = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	cl.text.TextSize = theme.TextSize()
	cl.ExtendBaseWidget(cl)
	return cl
}

func (cl *cell) CreateRenderer() fyne.WidgetRenderer { return &cellRenderer{cl: cl} }

// cellRenderer lays a cell out by hand: background, the health dot at the left, the text after
// it, vertically centred. It never asks the text for its size, which would shape it.
type cellRenderer struct{ cl *cell }

func (r *cellRenderer) Layout(size fyne.Size) {
	cl := r.cl
	cl.bg.Resize(size)
	pad := theme.InnerPadding()
	x := pad
	if cl.dot.Visible() {
		cl.dot.Resize(fyne.NewSize(kit.DotSize, kit.DotSize))
		cl.dot.Move(fyne.NewPos(0, (size.Height-kit.DotSize)/2))
		x += kit.DotSize + theme.Padding()
	}
	lineH := widths.lineHeight(cl.text.TextSize, cl.text.TextStyle)
	cl.text.Move(fyne.NewPos(x, (size.Height-lineH)/2))
	cl.text.Resize(fyne.NewSize(max(0, size.Width-x-pad), lineH))
	if room := max(0, size.Width-x-pad); room != cl.room {
		cl.room = room
		cl.fit()
	}
}

// MinSize is a label's: one line of text and its padding, as wide as a device ID.
func (r *cellRenderer) MinSize() fyne.Size {
	size, style := r.cl.text.TextSize, r.cl.text.TextStyle
	pad := 2 * theme.InnerPadding()
	return fyne.NewSize(fyne.MeasureText("AAAAAAAA-00000", size, style).Width+pad, widths.lineHeight(size, style)+pad)
}

func (r *cellRenderer) Refresh() {
	cl := r.cl
	cl.text.Color = theme.Color(theme.ColorNameForeground)
	if size := theme.TextSize(); cl.text.TextSize != size {
		cl.text.TextSize, cl.room = size, 0
	}
	r.Layout(cl.Size())
	cl.bg.Refresh()
	cl.dot.Refresh()
	cl.text.Refresh()
}

func (r *cellRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.cl.bg, r.cl.dot, r.cl.text}
}

func (r *cellRenderer) Destroy() {}

// setText shows s, fitted to the room the last layout left.
func (cl *cell) setText(s string) {
	if s == cl.full {
		return
	}
	cl.full = s
	cl.fit()
}

// fit cuts the full text to the room; before the first layout (no room known yet) it shows it all.
func (cl *cell) fit() {
	shown := cl.full
	switch {
	case cl.room <= 0:
	case cl.col == ColName || cl.col == ColEmail:
		shown = widths.fitDistinct(cl.full, cl.room, cl.text.TextSize, cl.text.TextStyle, cl.col == ColEmail)
	default:
		shown = widths.fit(cl.full, cl.room, cl.text.TextSize, cl.text.TextStyle)
	}
	if cl.text.Text != shown {
		cl.text.Text = shown
		cl.text.Refresh()
	}
}

// Tapped selects the row.
func (cl *cell) Tapped(*fyne.PointEvent) { cl.c.selectRow(cl.row) }

// DoubleTapped opens the row's Manage page.
func (cl *cell) DoubleTapped(*fyne.PointEvent) { cl.c.openRow(cl.row) }

// MouseIn shows the hovered row in full on the details line, this cell's text first: a truncated
// name or email can be read without widening its column.
func (cl *cell) MouseIn(*desktop.MouseEvent) { cl.c.hoverCell(cl.row, cl.col) }

// MouseMoved is part of desktop.Hoverable.
func (cl *cell) MouseMoved(*desktop.MouseEvent) {}

// MouseOut gives the details line back to the selected unit.
func (cl *cell) MouseOut() { cl.c.hoverCell(-1, ColID) }

// transparent is the unselected background; one value, so tests can compare against it.
var transparent color.Color = color.Transparent

func (cl *cell) colID() bool { return cl.col == ColID }

// set shows one device's value for column col; d is nil for an empty cell. Only what changes is
// refreshed, so re-setting a cell to what it shows costs no frame.
func (cl *cell) set(row int, col Column, d *fleet.Device, v view, selected bool) {
	now := v.now
	cl.row, cl.col = row, col
	bg := transparent
	if selected {
		bg = theme.Color(theme.ColorNameSelection)
	}
	if cl.bg.FillColor != bg {
		cl.bg.FillColor = bg
		cl.bg.Refresh()
	}
	text := ""
	switch {
	case d == nil:
		cl.hideDot()
	case col == ColHealth:
		h := d.HealthAt(now)
		kit.SetDot(cl.dot, h)
		if !cl.dot.Visible() {
			cl.dot.Show()
			cl.room = 0 // the text moves right of the dot
			cl.Refresh()
		}
		text = kit.HealthLabel(h)
	default:
		cl.hideDot()
		text = cellText(col, d, now, v.stale)
	}
	cl.setText(text)
}

func (cl *cell) hideDot() {
	if cl.dot.Visible() {
		cl.dot.Hide()
		cl.room = 0
		cl.Refresh()
	}
}

// cellText is the text of a non-health column; stale says the backend cannot be reached, so a
// unit's "Online" is only what the last sync said.
func cellText(col Column, d *fleet.Device, now time.Time, stale bool) string {
	switch col {
	case ColHealth:
		return kit.HealthLabel(d.HealthAt(now))
	case ColConnection:
		return d.ConnectionAsOf(now, !stale)
	case ColID:
		return d.ID
	case ColName:
		return d.Name
	case ColEmail:
		return d.CustomerEmail
	case ColModel:
		return d.Model.DisplayName()
	case ColTransport:
		return d.Transport.DisplayName()
	case ColFirmware:
		return d.Firmware
	case ColRunState:
		return runStateText(d.RunState)
	case ColLastSeen:
		return fleet.Ago(now, d.LastSeen)
	}
	return ""
}

func runStateText(r fleet.RunState) string {
	if r == "" {
		return "unknown"
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// searchEntry is the search box; Up and Down move the table's selection so the keyboard can go
// from typing to opening a unit without the mouse.
type searchEntry struct {
	widget.Entry
	c *Page
}

func newSearchEntry(c *Page) *searchEntry {
	e := &searchEntry{c: c}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut lets the window's own shortcuts (Ctrl/Cmd+Q, Ctrl/Cmd+F) through.
func (e *searchEntry) TypedShortcut(sc fyne.Shortcut) {
	if !kit.PassWindowShortcut(e, sc) {
		e.Entry.TypedShortcut(sc)
	}
}

// TypedKey moves the selection on Up/Down and leaves everything else to the entry.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyDown:
		e.c.MoveSelection(1)
	case fyne.KeyUp:
		e.c.MoveSelection(-1)
	default:
		e.Entry.TypedKey(k)
	}
}
