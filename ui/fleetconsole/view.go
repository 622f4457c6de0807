package fleetconsole

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/selection"
)

// newQuery captures search s of the current snapshot, on the UI goroutine.
func (c *Page) newQuery(s selection.Search) query {
	q := query{ix: c.v.ix, filter: s.Filter, sort: c.sort, now: c.svc.Now(), units: c.units.ids}
	q.filter.Health = append([]fleet.Health(nil), q.filter.Health...)
	return q
}

// requery searches the filter in force again (a sync, the clock, the sort, the unit narrowing).
func (c *Page) requery() { c.runSearch(c.sel.Search()) }

// runSearch runs s off the UI goroutine over the current snapshot; apply shows its result unless
// a newer search was asked for in the meantime.
func (c *Page) runSearch(s selection.Search) {
	q := c.newQuery(s)
	kit.Run(c.run, func(context.Context) []int {
		q.ix.FirmwareVersions() // computed here, once per snapshot, for apply's firmware chip
		return q.run()
	}, func(rows []int) { c.apply(s, q, rows) })
}

// flush brings the view up to date with the search box at once: Enter or Manage right after
// typing must act on the rows the new text selects, not on the ones still drawn.
func (c *Page) flush() {
	if c.sel.Current() {
		return
	}
	typed := c.sel.Typed()
	c.cancelTyping()
	s := c.sel.Search()
	q := c.newQuery(s)
	c.apply(s, q, q.run())
	if typed {
		c.reportFilter()
	}
}

// rowIDs is a search result as selection.Model reads it.
type rowIDs struct {
	devs []*fleet.Device
	rows []int
}

func (r rowIDs) Len() int        { return len(r.rows) }
func (r rowIDs) ID(i int) string { return r.devs[r.rows[i]].ID }

func (c *Page) apply(s selection.Search, q query, rows []int) {
	if !c.sel.Show(s, rowIDs{q.ix.Devices(), rows}) {
		return // a newer search was asked for
	}
	c.loaded = true
	sameRows := sameUnits(c.v, q.ix, rows)
	// The view first: fitting the ID column refreshes the table, whose cells must read rows of
	// the index they were searched in (a resync can replace a fleet of thousands by an empty one).
	c.v = view{ix: q.ix, rows: rows, now: q.now, stale: c.v.stale}
	c.w.columns.fitIDs(q.ix)
	c.chips.refreshFirmware(q.ix)
	c.showView()
	// Refresh, never ScrollTo: a live update must leave the dealer where they were. When the same
	// units stay in the same order (a sync that changed their data, not the view), only the cells
	// whose text changed are redrawn.
	if sameRows {
		c.refreshCells()
	} else {
		c.w.table.Refresh()
	}
	waiting := c.whenLoaded
	c.whenLoaded = nil
	for _, f := range waiting {
		f()
	}
}

// WhenLoaded calls f on the UI goroutine once the first search has landed and its rows are in the
// table (at once if they are): `fleetdesk --measure-startup` times the first rows, not a
// "Loading the fleet…" line.
func (c *Page) WhenLoaded(f func()) {
	if c.loaded {
		f()
		return
	}
	c.whenLoaded = append(c.whenLoaded, f)
}

// showView makes the selection follow the rows in view and updates what depends on them: the
// count, the empty-result message, Manage and the details line.
func (c *Page) showView() {
	// The model cleared a selection that left the view: Manage and Enter must not act on a unit
	// the dealer can no longer see. A single row left is the one they narrowed down to.
	if c.sel.Selected() == "" && len(c.v.rows) == 1 {
		c.sel.Select(c.v.ix.At(c.v.rows[0]).ID)
	}
	waiting := c.waiting()
	c.w.count.SetText(c.countText(waiting))
	switch {
	case !c.loaded:
		c.w.empty.content.Hide()
	case waiting:
		c.w.empty.wait()
	default:
		c.w.empty.show(len(c.v.rows) == 0, c.v.ix.Len(), c.sel.Filter())
	}
	if c.sel.Selected() == "" {
		c.w.manage.Disable()
	} else {
		c.w.manage.Enable()
	}
	c.showDetails()
}

// waiting reports that the view holds no units because no sync has completed yet (or the one
// running has not delivered): an empty fleet must not be claimed before the backend said so.
func (c *Page) waiting() bool {
	if c.v.ix.Len() > 0 {
		return false
	}
	st := c.svc.Status()
	return st.LastSync.IsZero() || st.Syncing
}

// countText is the count line: "312 of 1,204 units" once the first search has landed and a
// sync has completed.
func (c *Page) countText(waiting bool) string {
	switch {
	case !c.loaded:
		return "Loading the fleet…"
	case waiting:
		return "Waiting for the first sync…"
	}
	return fmt.Sprintf("%s of %s units", kit.Thousands(len(c.v.rows)), kit.Thousands(c.v.ix.Len()))
}

// hoverCell shows row's unit on the details line while the pointer is over its cell in col, that
// cell's whole text first (after the device ID), so a cut cell reads whole however long the rest
// of the line is; row -1 gives the line back to the selection.
func (c *Page) hoverCell(row int, col Column) {
	c.hoverID = ""
	if row >= 0 && row < len(c.v.rows) {
		c.hoverID, c.hoverCol = c.v.ix.At(c.v.rows[row]).ID, col
	}
	c.showDetails()
}

// showDetails writes the hovered unit's, else the selected unit's, every field in full on the
// line under the table, so a value truncated in its column can be read whole.
func (c *Page) showDetails() {
	if _, ok := c.v.ix.Get(c.hoverID); ok && c.hoverID != "" {
		c.showDetailsOf(c.hoverID, c.hoverCol)
		return
	}
	c.showDetailsOf(c.sel.Selected(), ColID)
}

// showDetailsOf writes unit id on the details line: its ID, then lead's text, then the rest.
func (c *Page) showDetailsOf(id string, lead Column) {
	d, ok := c.v.ix.Get(id)
	if id == "" || !ok {
		c.setDetails("Select a unit to see it in full here. Drag the edge of a column header to resize it; double-click the edge for its automatic width.")
		return
	}
	parts := []string{d.ID}
	if lead != ColID {
		if t := cellText(lead, &d, c.v.now, c.v.stale); t != "" {
			parts = append(parts, t)
		}
	}
	for col := ColName; col < numColumns; col++ {
		if t := cellText(col, &d, c.v.now, c.v.stale); t != "" && col != lead {
			parts = append(parts, t)
		}
	}
	if lead != ColConnection {
		parts = append(parts, d.ConnectionAsOf(c.v.now, !c.v.stale))
	}
	if lead != ColHealth {
		parts = append(parts, d.HealthAt(c.v.now).Label())
	}
	c.setDetails(strings.Join(parts, " · "))
}

// setDetails shows s on the details line, cut with "…" to its width as the cells are (fitText):
// a label truncating with an ellipsis shapes its text afresh on every change, once per keystroke
// here. The label clips whatever a narrower window leaves over until the next change.
func (c *Page) setDetails(s string) {
	l := c.w.details
	if room := l.Size().Width - 2*theme.InnerPadding(); room > 0 {
		s = widths.fit(s, room, theme.TextSize(), l.TextStyle)
	}
	if l.Text != s {
		l.SetText(s)
	}
}

// onChange takes the service's new snapshot; device changes re-run the search so a unit whose
// new state no longer matches leaves the view.
func (c *Page) onChange(ch session.Change) {
	ix := c.svc.Fleet()
	if ch.All || len(ch.Devices) > 0 || ix != c.v.ix {
		c.v.ix = ix
		c.requery()
		return
	}
	if ch.Status && c.v.ix.Len() == 0 {
		c.showView() // a sync started or completed: the count stops or starts waiting
	}
	if stale := !c.svc.Status().Reachable; ch.Status && stale != c.v.stale {
		c.v.stale = stale
		c.w.table.Refresh()
	}
}

// tick moves the clock: "last seen" texts, connection and health age even when nothing syncs.
func (c *Page) tick() {
	if len(c.sel.Filter().Health) > 0 || c.sort.Col == ColHealth || c.sort.Col == ColConnection {
		c.requery()
		return
	}
	c.v.now = c.svc.Now()
	c.showDetails()
	c.refreshCells()
}

// SortBy sorts by a column; a second click on the same column reverses the order.
func (c *Page) SortBy(col Column) {
	if c.sort.Col == col {
		c.sort.Desc = !c.sort.Desc
	} else {
		c.sort = Sort{Col: col}
	}
	c.w.columns.sortedBy(c.sort.Col)
	c.requery()
}

// Select selects a unit by ID and scrolls it into view; a unit not in view is not selected.
func (c *Page) Select(id string) {
	if !c.sel.Select(id) {
		return
	}
	c.showView()
	c.w.table.Refresh()
	c.w.table.ScrollTo(widget.TableCellID{Row: c.sel.Row(), Col: int(ColHealth)})
}

// OpenSelected opens the selected unit's Manage page (Manage, Enter, double-click) after
// bringing the view up to date with the search box. It reports whether a page was opened.
func (c *Page) OpenSelected() bool {
	c.flush()
	id := c.sel.Selected() // a unit of the current view, or none
	if id == "" || c.opts.OnManage == nil {
		return false
	}
	c.opts.OnManage(id)
	return true
}

// selectRow is a tap on a row.
func (c *Page) selectRow(row int) {
	if row < 0 || row >= len(c.v.rows) {
		return
	}
	c.sel.Select(c.v.ix.At(c.v.rows[row]).ID)
	c.showView()
	c.w.table.Refresh()
}

// MoveSelection moves the selection delta rows (Up/Down, from the search box or with nothing
// focused) and scrolls it into view; with none selected it selects the first row.
func (c *Page) MoveSelection(delta int) {
	c.flush()
	if len(c.v.rows) == 0 {
		return
	}
	cur := c.sel.Row()
	r := cur + delta
	if cur < 0 {
		r = 0
	}
	r = max(0, min(r, len(c.v.rows)-1))
	c.selectRow(r)
	c.w.table.ScrollTo(widget.TableCellID{Row: r, Col: int(ColHealth)})
}

func (c *Page) openRow(row int) {
	c.selectRow(row)
	c.OpenSelected()
}

func (c *Page) length() (int, int) { return len(c.v.rows), int(numColumns) }

func (c *Page) createCell() fyne.CanvasObject {
	c.cellsBuilt++
	cl := newCell(c)
	c.cells = append(c.cells, cl)
	return cl
}

// refreshCells sets every cell the table built to what its row shows now, without refreshing the
// table: a tick or a sync that changes nothing visible costs no frame, and one that changes a
// "last seen" costs that label's. Rows keep their places; a new row order needs table.Refresh.
func (c *Page) refreshCells() {
	for _, cl := range c.cells {
		if cl.row < 0 || cl.row >= len(c.v.rows) || c.v.rows[cl.row] >= c.v.ix.Len() {
			continue
		}
		d := c.v.ix.At(c.v.rows[cl.row])
		cl.set(cl.row, cl.col, &d, c.v, d.ID == c.sel.Selected())
	}
}

func (c *Page) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	cl := o.(*cell)
	// rows may still be the last search's while the index is already the new snapshot's (its
	// search runs in the background): a row past the new index shows empty until it lands.
	if id.Row < 0 || id.Row >= len(c.v.rows) || c.v.rows[id.Row] >= c.v.ix.Len() {
		cl.set(id.Row, Column(id.Col), nil, c.v, false)
		return
	}
	d := c.v.ix.Devices()
	dev := d[c.v.rows[id.Row]]
	cl.set(id.Row, Column(id.Col), dev, c.v, dev.ID == c.sel.Selected())
}

func (c *Page) updateHeader(id widget.TableCellID, o fyne.CanvasObject) {
	b := o.(*widget.Button)
	col := Column(id.Col)
	if id.Col < 0 || col >= numColumns {
		b.SetText("")
		return
	}
	var icon fyne.Resource
	switch {
	case c.sort.Col != col:
	case c.sort.Desc:
		icon = theme.MenuDropDownIcon()
	default:
		icon = theme.MenuDropUpIcon()
	}
	// Every table refresh (each keystroke's new rows) updates the headers: set only what changed,
	// as a button re-reads its icon's SVG on every SetIcon.
	// The title fitted to its column: a button draws its whole text, over the next header.
	title := col.Title()
	if w := c.w.columns.colWidth(col); w > 0 {
		room := w - 2*theme.InnerPadding()
		if icon != nil {
			room -= theme.IconInlineSize() + theme.Padding()
		}
		title = widths.fit(title, room, theme.TextSize(), fyne.TextStyle{Bold: true})
	}
	if b.Text != title {
		b.SetText(title)
	}
	if b.Icon != icon {
		b.SetIcon(icon)
	}
	b.OnTapped = func() { c.SortBy(col) }
	c.w.columns.headerAt(col, b.Position().X, b.Size().Height)
}

// sameUnits reports whether rows over ix list the same units in the same order as the view.
func sameUnits(v view, ix *fleet.Index, rows []int) bool {
	if len(rows) != len(v.rows) || v.ix == nil {
		return false
	}
	if ix == v.ix {
		for i := range rows {
			if rows[i] != v.rows[i] {
				return false
			}
		}
		return true
	}
	old, cur := v.ix.Devices(), ix.Devices()
	for i := range rows {
		if old[v.rows[i]].ID != cur[rows[i]].ID {
			return false
		}
	}
	return true
}
