package console

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// cell is one table cell. It handles its own taps so that selection belongs to the console
// (by device ID) rather than to the table (by row number, which a live update can reassign).
type cell struct {
	widget.BaseWidget
	c     *Console
	row   int
	col   Column
	bg    *canvas.Rectangle
	dot   *canvas.Circle
	dotBx *fyne.Container
	label *widget.Label
}

func newCell(c *Console) *cell {
	cl := &cell{c: c, row: -1}
	cl.bg = canvas.NewRectangle(transparent)
	cl.dot = kit.NewDot(fleet.HealthLive)
	cl.dotBx = container.NewCenter(container.NewGridWrap(fyne.NewSize(kit.DotSize, kit.DotSize), cl.dot))
	cl.label = widget.NewLabel("AAAAAAAA-00000")
	cl.label.Truncation = fyne.TextTruncateEllipsis
	cl.ExtendBaseWidget(cl)
	return cl
}

func (cl *cell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(cl.bg,
		container.NewBorder(nil, nil, cl.dotBx, nil, cl.label)))
}

// Tapped selects the row.
func (cl *cell) Tapped(*fyne.PointEvent) { cl.c.selectRow(cl.row) }

// DoubleTapped opens the row's Manage page.
func (cl *cell) DoubleTapped(*fyne.PointEvent) { cl.c.openRow(cl.row) }

// MouseIn shows the hovered row in full on the details line: a truncated name or email can be
// read without widening its column.
func (cl *cell) MouseIn(*desktop.MouseEvent) { cl.c.hoverRow(cl.row) }

// MouseMoved is part of desktop.Hoverable.
func (cl *cell) MouseMoved(*desktop.MouseEvent) {}

// MouseOut gives the details line back to the selected unit.
func (cl *cell) MouseOut() { cl.c.hoverRow(-1) }

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
		if !cl.dotBx.Visible() {
			cl.dotBx.Show()
		}
		text = kit.HealthLabel(h)
	default:
		cl.hideDot()
		text = cellText(col, d, now, v.stale)
	}
	if cl.label.Text != text {
		cl.label.SetText(text)
	}
}

func (cl *cell) hideDot() {
	if cl.dotBx.Visible() {
		cl.dotBx.Hide()
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
	c *Console
}

func newSearchEntry(c *Console) *searchEntry {
	e := &searchEntry{c: c}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey moves the selection on Up/Down and leaves everything else to the entry.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyDown:
		e.c.moveSelection(1)
	case fyne.KeyUp:
		e.c.moveSelection(-1)
	default:
		e.Entry.TypedKey(k)
	}
}
