package console

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// shareWidth lays the table out over the whole space and shares the width among the columns by
// their weight (Column.width), so names and emails use a wide window instead of being truncated
// next to empty space, and a narrow one (1000 px) still shows every column. The dealer can drag
// a header's edge to resize a column (Fyne's table does that); a new window width shares again.
type shareWidth struct {
	t     *widget.Table
	width float32
}

// minShare keeps a column readable in a narrow window: below it the table scrolls sideways.
const minShare = 0.55

func (l *shareWidth) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (l *shareWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Resize(size)
	objs[0].Move(fyne.NewPos(0, 0))
	if size.Width == l.width || size.Width <= 0 {
		return
	}
	l.width = size.Width
	for col, w := range columnWidths(size.Width - theme.ScrollBarSize() - 2*theme.Padding()) {
		l.t.SetColumnWidth(col, w)
	}
}

// columnWidths shares avail among the columns by weight, each at least minShare of its weight.
func columnWidths(avail float32) []float32 {
	var sum float32
	for col := Column(0); col < numColumns; col++ {
		sum += col.width() + theme.Padding()
	}
	scale := max(avail/sum, minShare)
	out := make([]float32, numColumns)
	for col := Column(0); col < numColumns; col++ {
		out[col] = col.width() * scale
	}
	return out
}

// emptyState replaces the empty table with what the dealer needs: which search found nothing
// and one click to clear it.
type emptyState struct {
	msg     *widget.Label
	clear   *widget.Button
	content fyne.CanvasObject
}

func newEmptyState(c *Console) *emptyState {
	e := &emptyState{msg: widget.NewLabel("")}
	e.msg.Alignment = fyne.TextAlignCenter
	e.msg.Wrapping = fyne.TextWrapWord
	e.clear = widget.NewButtonWithIcon("Clear search", theme.ContentClearIcon(), c.clearAll)
	e.content = container.NewVBox(container.NewPadded(e.msg), container.NewCenter(e.clear))
	e.content.Hide()
	return e
}

// show shows the message when the view is empty and hides it otherwise.
func (e *emptyState) show(empty bool, total int, f fleet.Filter) {
	if !empty {
		e.content.Hide()
		return
	}
	chips := f
	chips.Text = ""
	switch {
	case total == 0:
		e.msg.SetText("No units in this fleet yet.")
		e.clear.Hide()
	case f.Text != "" && !chips.IsZero():
		e.msg.SetText(fmt.Sprintf("No units match “%s” with the filters above.", f.Text))
		e.clear.SetText("Clear search and filters")
		e.clear.Show()
	case f.Text != "":
		e.msg.SetText(fmt.Sprintf("No units match “%s”.", f.Text))
		e.clear.SetText("Clear search")
		e.clear.Show()
	default:
		e.msg.SetText("No units match the filters above.")
		e.clear.SetText("Clear filters")
		e.clear.Show()
	}
	e.content.Show()
}
