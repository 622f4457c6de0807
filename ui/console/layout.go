package console

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
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

// minWidth is the narrowest a column gets when the width is shared: an ID, a version or "Offline
// since 14:05" must stay whole; names and emails may shrink (the details line shows them whole).
func (c Column) minWidth() float32 {
	return [...]float32{104, 112, 112, 84, 100, 60, 56, 56, 68, 84}[c]
}

// columnWidths shares avail among the columns by weight (Column.width), none narrower than its
// minWidth: the space a column needs beyond its share comes from the others, by weight. When even
// the minimums do not fit, the table scrolls sideways.
func columnWidths(avail float32) []float32 {
	pad := theme.Padding()
	avail -= pad * float32(numColumns)
	out := make([]float32, numColumns)
	fixed := make([]bool, numColumns)
	for range numColumns {
		var free, weight float32
		free = avail
		for col := Column(0); col < numColumns; col++ {
			if fixed[col] {
				free -= out[col]
			} else {
				weight += col.width()
			}
		}
		changed := false
		for col := Column(0); col < numColumns; col++ {
			if fixed[col] {
				continue
			}
			out[col] = col.width() * max(free, 0) / weight
			if out[col] < col.minWidth() {
				out[col], fixed[col], changed = col.minWidth(), true, true
			}
		}
		if !changed {
			break
		}
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
	e.clear = widget.NewButtonWithIcon("Clear search", theme.ContentClearIcon(), c.clearAll)
	// Below the table's header row, centred, on a card so the empty columns do not cross it.
	card := widget.NewCard("", "", container.NewVBox(e.msg, container.NewCenter(e.clear)))
	header := canvas.NewRectangle(color.Transparent)
	header.SetMinSize(fyne.NewSize(0, 3*theme.Padding()+theme.TextSize()*2))
	e.content = container.NewBorder(header, nil, nil, nil, container.NewVBox(container.NewCenter(card)))
	e.content.Hide()
	return e
}

// wait says the fleet is not empty but not synced yet, with nothing to clear.
func (e *emptyState) wait() {
	e.msg.SetText("The first sync has not completed yet: your units show here as soon as it has.")
	e.clear.Hide()
	e.content.Show()
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
