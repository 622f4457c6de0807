package fleetconsole

import (
	"fmt"
	"image/color"
	"math"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// shareWidth lays the table out over the whole space and shares the width among the columns by
// their weight (Column.width), so names and emails use a wide window instead of being truncated
// next to empty space, and a narrow one (1000 px) still shows every column. The dealer can drag
// a header's edge to set a column's width (columnHandle): that column keeps it, through new
// window widths and restarts (prefs.ConsoleState.Widths), and the others share what is left by
// the same rules; a double-click on the edge gives the column back to them.
type shareWidth struct {
	t     *widget.Table
	width float32
	idMin float32             // the device ID column's minimum for the fleet shown (see fitIDs)
	idsOf *fleet.Index        // the snapshot idMin was measured on
	cur   []float32           // the widths last shared, by column (the headers fit their titles to them)
	sort  Column              // the sorted column: its header has room for the sort arrow too
	set   [numColumns]float32 // the widths the dealer set, by column; 0 where the rules decide
	div   *dividers           // the handles that set them, over the header row
}

// headerAt is the table drawing col's header at x in its header row (scrolled sideways by as
// much as x is left of where the widths put it), height tall: the handles follow.
func (l *shareWidth) headerAt(col Column, x, height float32) {
	if l.div == nil || int(col) >= len(l.cur) {
		return
	}
	var at float32
	for c := range col {
		at += l.cur[c] + theme.Padding()
	}
	if off := at - x; off != l.div.offset || height != l.div.height {
		l.div.offset, l.div.height = off, height
		l.div.place(l.cur)
	}
}

// minSetWidth is the narrowest a dealer can drag a column: a few characters and the padding.
const minSetWidth = 40

// setWidth is the dealer setting col's width (w ≤ 0: back to the automatic width).
func (l *shareWidth) setWidth(col Column, w float32) {
	if w > 0 {
		w = float32(math.Round(float64(max(w, minSetWidth))))
	} else {
		w = 0
	}
	if col < 0 || col >= numColumns || l.set[col] == w {
		return
	}
	l.set[col] = w
	if l.width > 0 {
		l.share()
	}
}

// sortedBy shares the width again when the sorted column changes.
func (l *shareWidth) sortedBy(col Column) {
	if col == l.sort {
		return
	}
	l.sort = col
	if l.width > 0 {
		l.share()
	}
}

// colWidth is the width last shared to col, 0 before the first layout.
func (l *shareWidth) colWidth(col Column) float32 {
	if int(col) >= len(l.cur) {
		return 0
	}
	return l.cur[col]
}

func (l *shareWidth) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (l *shareWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs { // the table, and the dividers over its header row
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
	if l.div != nil && l.div.width != size.Width {
		l.div.width = size.Width
		l.div.place(l.cur)
	}
	if size.Width == l.width || size.Width <= 0 {
		return
	}
	l.width = size.Width
	l.share()
}

func (l *shareWidth) share() {
	l.cur = dealerColumnWidths(l.width-theme.ScrollBarSize()-2*theme.Padding(), l.idMin, l.sort, l.set[:])
	for col, w := range l.cur {
		l.t.SetColumnWidth(col, w)
	}
	if l.div != nil {
		l.div.place(l.cur)
	}
	l.t.Refresh() // the headers fit their titles to the new widths
}

// fitIDs makes the device ID column wide enough for the fleet's IDs (they are never cut: a
// dealer reads and types them), sharing the width again when that changes. The widest ID is
// taken among the longest ones (IDs of one fleet share a format), measured by character widths.
func (l *shareWidth) fitIDs(ix *fleet.Index) {
	if ix == l.idsOf {
		return
	}
	l.idsOf = ix
	longest, n := 0, ix.Len()
	for i := 0; i < n; i++ {
		longest = max(longest, len(ix.At(i).ID))
	}
	var widest float32
	for i, seen := 0, 0; i < n && seen < 64; i++ {
		if id := ix.At(i).ID; len(id) == longest {
			seen++
			widest = max(widest, widths.width(id, theme.TextSize(), fyne.TextStyle{}))
		}
	}
	idMin := float32(math.Ceil(float64(widest + widths.of1('0', theme.TextSize()) + 2*theme.InnerPadding())))
	if idMin != l.idMin {
		l.idMin = idMin
		if l.width > 0 {
			l.share()
		}
	}
}

// minWidth is the narrowest a column gets while the window has room for every minimum: wide
// enough for its header and its short texts ("Lost contact", "Offline since 14:05", "Stopped",
// "59 min ago"), so trouble always reads whole; names and emails may shrink (the details line
// shows them whole). fullWidth is what shows every text of the column whole. Measured in the
// current theme, once.
func (c Column) minWidth() float32 {
	widthsOnce.Do(measureWidths)
	return minWidths[c]
}

// headerWidth is the column's title in bold with the header's padding.
func (c Column) headerWidth() float32 {
	return float32(math.Ceil(float64(fyne.MeasureText(c.Title(), theme.TextSize(), fyne.TextStyle{Bold: true}).Width + 2*theme.InnerPadding())))
}

func (c Column) fullWidth() float32 {
	widthsOnce.Do(measureWidths)
	return fullWidths[c]
}

var (
	widthsOnce            sync.Once
	minWidths, fullWidths [numColumns]float32
	// squeezedWidths is how far a column gives way when not even the minimums fit (a 1024-pixel
	// window): names and emails to a few characters (the details line shows them whole), the
	// columns whose header is wider than their values to their values (the header is cut
	// instead: "Trans…" over "WiFi"); the others not at all, so trouble still reads whole.
	squeezedWidths [numColumns]float32
)

// nameFloor is the narrowest a name or email column gets before the others give way.
const nameFloor = 60

// shortText and longText are what each column must show whole at its minimum and full width;
// "" for the columns whose texts may shrink.
var (
	shortText = [numColumns]string{
		ColHealth: "Lost contact", ColConnection: "Offline since 14:05", ColID: "D100-00000",
		ColModel: "X Pro", ColTransport: "WiFi", ColFirmware: "10.10.10", ColRunState: "Stopped",
		ColLastSeen: "59 min ago",
	}
	longText = [numColumns]string{
		ColHealth: "Reporting normally", ColConnection: "Offline since Mon 14:05", ColModel: "AutoGen Ultra",
		ColName: "Okafor Cold Storage Loading Bay", ColEmail: "ops@okafor-cold-storage.example",
	}
)

func measureWidths() {
	size := theme.TextSize()
	pad := 2 * theme.InnerPadding()
	text := func(col Column, s string) float32 {
		w := fyne.MeasureText(s, size, fyne.TextStyle{}).Width + pad
		if col == ColHealth {
			w += kit.DotSize + 2*theme.Padding()
		}
		return w
	}
	for col := Column(0); col < numColumns; col++ {
		header := fyne.MeasureText(col.Title(), size, fyne.TextStyle{Bold: true}).Width + pad
		minW := max(header, text(col, shortText[col]))
		if shortText[col] == "" {
			minW = max(84, header*0.8) // a shrinking column keeps most of its header
		}
		minWidths[col] = float32(math.Ceil(float64(minW)))
		switch col {
		case ColName, ColEmail:
			squeezedWidths[col] = min(nameFloor, minWidths[col])
		case ColModel, ColTransport, ColFirmware, ColRunState:
			squeezedWidths[col] = float32(math.Ceil(float64(text(col, shortText[col]))))
		default:
			squeezedWidths[col] = minWidths[col]
		}
		fullWidths[col] = max(minWidths[col], float32(math.Ceil(float64(text(col, longText[col])))))
	}
}

// columnWidths shares avail among the columns: first every column's minimum (when even those do
// not fit, as in a 1000-pixel window, every column but the device ID gives up the same share, so
// all stay on screen and the details line shows what is cut); then names and emails grow to half
// of their full width, the health and connection words become whole, names and emails grow to
// full width; what is left goes to names and emails by weight (Column.width). idMin widens the
// device ID column's minimum to the fleet's IDs.
func columnWidths(avail, idMin float32) []float32 { return sortedColumnWidths(avail, idMin, -1) }

// sortedColumnWidths is columnWidths with the sorted column's minimum wide enough for its title
// and the sort arrow beside it.
func sortedColumnWidths(avail, idMin float32, sorted Column) []float32 {
	return dealerColumnWidths(avail, idMin, sorted, nil)
}

// dealerColumnWidths is sortedColumnWidths with the widths the dealer set (set[col] > 0) kept
// as they are: the other columns share what they leave by the same rules, and when even their
// squeezed widths do not fit, the table scrolls sideways (columns never overlap).
func dealerColumnWidths(avail, idMin float32, sorted Column, set []float32) []float32 {
	avail -= theme.Padding() * float32(numColumns)
	out := make([]float32, numColumns)
	auto := func(c Column) bool { return int(c) >= len(set) || set[c] <= 0 }
	autos := func(cols ...Column) []Column {
		var out []Column
		for _, c := range cols {
			if auto(c) {
				out = append(out, c)
			}
		}
		return out
	}
	var sum float32
	for col := Column(0); col < numColumns; col++ {
		if !auto(col) {
			out[col] = set[col]
			sum += out[col]
			continue
		}
		out[col] = col.minWidth()
		if col == ColID {
			out[col] = max(out[col], idMin)
		}
		if col == sorted {
			out[col] = max(out[col], col.headerWidth()+theme.IconInlineSize()+theme.Padding())
		}
		sum += out[col]
	}
	if sum > avail {
		// Give way in order: names and emails, then the columns whose header is wider than
		// their values, each group down to its squeezed width (squeezedWidths).
		for _, group := range [][]Column{autos(ColName, ColEmail), autos(ColModel, ColTransport, ColFirmware, ColRunState)} {
			var give float32
			for _, c := range group {
				give += out[c] - min(squeezedWidths[c], out[c])
			}
			if give <= 0 {
				continue
			}
			share := min((sum-avail)/give, 1)
			for _, c := range group {
				cut := (out[c] - min(squeezedWidths[c], out[c])) * share
				out[c] -= cut
				sum -= cut
			}
			if sum <= avail+0.01 {
				return out
			}
		}
		var kept, rest float32 // kept: the device ID and what the dealer set
		for col := Column(0); col < numColumns; col++ {
			if col == ColID || !auto(col) {
				kept += out[col]
			} else {
				rest += out[col]
			}
		}
		if rest <= 0 {
			return out
		}
		f := min(max(avail-kept, rest/3)/rest, 1) // below a third the table scrolls sideways instead
		for col := Column(0); col < numColumns; col++ {
			if col != ColID && auto(col) {
				out[col] *= f
			}
		}
		return out
	}
	free := avail - sum
	grow := func(target func(Column) float32, cols ...Column) {
		cols = autos(cols...)
		var need float32
		for _, c := range cols {
			need += max(target(c)-out[c], 0)
		}
		if need <= 0 || free <= 0 {
			return
		}
		share := min(free/need, 1)
		for _, c := range cols {
			add := max(target(c)-out[c], 0) * share
			out[c] += add
			free -= add
		}
	}
	half := func(c Column) float32 { return c.fullWidth() / 2 }
	full := func(c Column) float32 { return c.fullWidth() }
	grow(half, ColName, ColEmail)
	grow(full, ColHealth, ColConnection)
	grow(full, ColName, ColEmail)
	grow(full, ColModel) // "AutoGen Ultra" whole once names and emails are
	if free > 0 {
		var weight float32
		for col := Column(0); col < numColumns; col++ {
			if auto(col) {
				weight += col.width()
			}
		}
		for col := Column(0); col < numColumns && weight > 0; col++ {
			if auto(col) {
				out[col] += free * col.width() / weight
			}
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

func newEmptyState(c *Page) *emptyState {
	e := &emptyState{msg: widget.NewLabel("")}
	e.msg.Alignment = fyne.TextAlignCenter
	e.msg.Wrapping = fyne.TextWrapWord
	e.clear = widget.NewButtonWithIcon("Clear search", theme.ContentClearIcon(), c.clearAll)
	// Below the table's header row (which stays, with its sort), over the whole empty body in the
	// page's own colour: no column line runs through the words.
	header := canvas.NewRectangle(color.Transparent)
	header.SetMinSize(fyne.NewSize(0, 3*theme.Padding()+theme.TextSize()*2))
	gap := canvas.NewRectangle(color.Transparent)
	gap.SetMinSize(fyne.NewSize(0, theme.Padding()*4))
	body := container.NewStack(newBackdrop(), container.NewVBox(gap, e.msg, container.NewCenter(e.clear)))
	e.content = container.NewBorder(header, nil, nil, nil, body)
	e.content.Hide()
	return e
}

// backdrop is a plain area in the page's background colour, following the theme.
type backdrop struct{ widget.BaseWidget }

func newBackdrop() *backdrop {
	b := &backdrop{}
	b.ExtendBaseWidget(b)
	return b
}

func (b *backdrop) CreateRenderer() fyne.WidgetRenderer {
	r := &backdropRenderer{b: b, rect: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type backdropRenderer struct {
	b    *backdrop
	rect *canvas.Rectangle
}

func (r *backdropRenderer) Layout(s fyne.Size)           { r.rect.Resize(s) }
func (r *backdropRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (r *backdropRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.rect} }
func (r *backdropRenderer) Destroy()                     {}
func (r *backdropRenderer) Refresh() {
	r.rect.FillColor = r.b.Theme().Color(theme.ColorNameBackground, fyne.CurrentApp().Settings().ThemeVariant())
	r.rect.Refresh()
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
