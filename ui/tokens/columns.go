package tokens

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// columnLayout lays out the token list's header and every row with the same column widths, taken
// from the content: each column as wide as its widest text (the header's included), and the room
// left over goes to the columns that hold free text (name, user account, devices). Only when the
// window is narrower than the content do those columns give way, and they alone truncate, down to
// their header's width; the dates, the access and Revoke always show whole.
type columnLayout struct {
	want []float32 // each column's natural width
	flex []bool    // the free-text columns that take extra room and give way first
}

// measure sets the natural widths from the texts each column shows, as a label draws them (the
// header's bold); last is the button column's width.
func (l *columnLayout) measure(header []string, rows [][]string, last float32) {
	probe := widget.NewLabel("")
	width := func(s string, bold bool) float32 {
		probe.TextStyle.Bold = bold
		probe.Text = s
		probe.Refresh()
		// A hair over: a truncating label given exactly its text's width may still cut it.
		return probe.MinSize().Width + 2
	}
	l.want = make([]float32, len(header))
	for i, h := range header {
		l.want[i] = width(h, true)
	}
	for _, r := range rows {
		for i, s := range r {
			l.want[i] = max(l.want[i], width(s, false))
		}
	}
	if n := len(l.want) - 1; n >= 0 {
		l.want[n] = max(l.want[n], last)
	}
}

// widths are the column widths for a row as wide as total.
func (l *columnLayout) widths(total float32) []float32 {
	out := append([]float32(nil), l.want...)
	var sum, flexSum float32
	for i, w := range out {
		sum += w
		if l.flex[i] {
			flexSum += w
		}
	}
	gap := theme.Padding() * float32(len(out)-1)
	free := total - gap - sum
	if flexSum == 0 {
		return out
	}
	if free < 0 {
		// Too narrow: the free-text columns give way, each in proportion to its width.
		var floor float32
		for i := range out {
			if l.flex[i] {
				floor += l.want[i] * 0.3
			}
		}
		shrink := min(-free, flexSum-floor)
		for i, w := range out {
			if l.flex[i] {
				out[i] = w - shrink*w/flexSum
			}
		}
		return out
	}
	for i, w := range out {
		if l.flex[i] {
			out[i] = w + free*w/flexSum
		}
	}
	return out
}

func (l *columnLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	ws := l.widths(size.Width)
	x := float32(0)
	for i, o := range objs {
		if i >= len(ws) {
			o.Resize(fyne.Size{}) // not measured yet: the next layout places it
			continue
		}
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(ws[i], h))
		o.Move(fyne.NewPos(x, (size.Height-h)/2))
		x += ws[i] + theme.Padding()
	}
}

func (l *columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		ms := o.MinSize()
		h = max(h, ms.Height)
		if i < len(l.want) && l.flex[i] {
			w += l.want[i] * 0.3 // a free-text column may give way to 30% of its width
		} else if i < len(l.want) {
			w += l.want[i]
		}
	}
	return fyne.NewSize(w+theme.Padding()*float32(max(len(objs)-1, 0)), h)
}
