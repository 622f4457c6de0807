package fleetconsole

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// dividers lie over the table's header row, one handle on each column's right edge and the gap to
// the next header. Fyne's table can resize a column from that gap itself, but it tells nobody (it
// has no callback), so the width would be neither kept through a new window width nor
// remembered; and its body, laid over the header row, takes the events from anything inside the
// header cells. So the handles are a layer of their own over the table, placed from the widths
// shared (shareWidth.cur) and the header row's sideways scroll.
type dividers struct {
	box     *fyne.Container
	handles [numColumns]*columnHandle
	offset  float32 // how far the header row is scrolled sideways
	height  float32 // the header row's
	width   float32 // the table's
}

func newDividers(c *Page) *dividers {
	d := &dividers{box: container.NewWithoutLayout()}
	for col := range numColumns {
		h := &columnHandle{c: c, col: col}
		h.ExtendBaseWidget(h)
		h.Hide()
		d.handles[col] = h
		d.box.Add(h)
	}
	return d
}

// place puts each handle on its column's right edge, with the columns cur wide and the header row
// scrolled offset sideways; a handle outside the table is hidden.
func (d *dividers) place(cur []float32) {
	sep := theme.Padding()
	var x float32
	for col, h := range d.handles {
		if col >= len(cur) || d.height <= 0 {
			h.Hide()
			continue
		}
		x += cur[col]
		edge := x - d.offset
		x += sep
		if edge < 0 || edge > d.width {
			h.Hide()
			continue
		}
		h.Move(fyne.NewPos(edge-handleInside, 0))
		h.Resize(fyne.NewSize(handleInside+sep, d.height))
		h.Show()
	}
}

// handleInside is how much of a handle lies over its header's own right edge; the rest covers the
// gap to the next header.
const handleInside = 4

// columnHandle is the divider after a column's header: dragged, it sets the column's width (kept
// and remembered); double-clicked, it gives the column back to the automatic widths.
type columnHandle struct {
	widget.BaseWidget
	c   *Page
	col Column
	// The drag: the width the column had when it began and how far the pointer has moved since.
	dragging bool
	start    float32
	moved    float32
}

var (
	_ fyne.Draggable      = (*columnHandle)(nil)
	_ fyne.DoubleTappable = (*columnHandle)(nil)
	_ desktop.Cursorable  = (*columnHandle)(nil)
	_ desktop.Mouseable   = (*columnHandle)(nil)
)

func (h *columnHandle) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(transparent))
}

// Cursor says the divider can be dragged sideways.
func (h *columnHandle) Cursor() desktop.Cursor { return desktop.HResizeCursor }

// Dragged moves the column's right edge with the pointer.
func (h *columnHandle) Dragged(e *fyne.DragEvent) {
	if h.col < 0 || h.col >= numColumns {
		return
	}
	cols := h.c.w.columns
	if !h.dragging {
		h.dragging, h.start, h.moved = true, cols.colWidth(h.col), 0
	}
	h.moved += e.Dragged.DX
	cols.setWidth(h.col, h.start+h.moved)
}

// DragEnd ends the drag; the width stays.
func (h *columnHandle) DragEnd() { h.dragging = false }

// DoubleTapped gives the column back to the automatic widths (content and window).
func (h *columnHandle) DoubleTapped(*fyne.PointEvent) {
	if h.col >= 0 && h.col < numColumns {
		h.c.w.columns.setWidth(h.col, 0)
	}
}

// MouseDown and MouseUp keep the press on the divider from the table under it, which would start
// its own resize of the column (one the page would not know of).
func (h *columnHandle) MouseDown(*desktop.MouseEvent) {}

// MouseUp is part of desktop.Mouseable.
func (h *columnHandle) MouseUp(*desktop.MouseEvent) {}
