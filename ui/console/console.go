// Package console is the Fleet Console: the dealer's daily page. A search box that filters by
// device ID, customer email or name as the user types, chips for health, console, model and
// firmware, a sortable table that builds only the rows on screen, the count, CSV export, and the
// way into a unit's Manage page.
//
// The fleet is an immutable fleet.Index snapshot; the search runs off the UI goroutine and the
// result (a slice of positions) is swapped in on it, so typing never waits on a 100,000-unit scan.
package console

import (
	"fmt"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// Options wires the console into the shell.
type Options struct {
	// OnManage opens a unit's Manage page (Manage button, double-click, Enter).
	OnManage func(deviceID string)
	// Window hosts the export dialogs; export is not offered without one.
	Window fyne.Window
	// Debounce is how long typing must pause before a search runs; 0 means 120 ms.
	Debounce time.Duration
	// Tick is how often "last seen" and health are re-evaluated; 0 means 10 s.
	Tick time.Duration
	// OnFilterChanged reports a filter change the dealer made here (search text once typing
	// pauses, any chip), so another page showing the same units (the map) can follow. SetFilter
	// does not report back.
	OnFilterChanged func(fleet.Filter)
}

// Console is the Fleet Console page.
type Console struct {
	svc  session.Fleet
	opts Options

	// The view, read by the table on the UI goroutine and replaced (never mutated) by apply.
	ix       *fleet.Index
	rows     []int // positions in ix, in display order
	now      time.Time
	filter   fleet.Filter
	sort     Sort
	selected string        // device ID, so the selection survives re-sorts and live updates
	gen      atomic.Uint64 // the latest search asked for; older results are dropped
	applied  atomic.Uint64 // the latest search shown

	search    *searchEntry
	table     *widget.Table
	count     *widget.Label
	manageBtn *widget.Button
	exportBtn *widget.Button
	chips     *chips
	content   fyne.CanvasObject

	stopDebounce func() bool
	setting      bool // set while SetFilter writes the search box, so it is not taken as typing
	cancelSub    func()
	stopTick     func()

	// For tests: cells built by the table, and a hook after each applied search.
	cellsBuilt int
	onApplied  func()
}

// New builds the console over the service's fleet and subscribes to its changes; Close
// unsubscribes.
func New(svc session.Fleet, opts Options) *Console {
	if opts.Debounce <= 0 {
		opts.Debounce = 120 * time.Millisecond
	}
	if opts.Tick <= 0 {
		opts.Tick = 10 * time.Second
	}
	c := &Console{svc: svc, opts: opts, ix: svc.Fleet(), now: svc.Now(), sort: Sort{Col: ColID}}
	c.rows = query{ix: c.ix, filter: c.filter, sort: c.sort, now: c.now}.run()
	c.build()
	c.cancelSub = kit.Subscribe(svc, c.onChange)
	c.stopTick = kit.Ticker(opts.Tick, c.tick)
	return c
}

// Content is the page's canvas object.
func (c *Console) Content() fyne.CanvasObject { return c.content }

// Close stops live updates.
func (c *Console) Close() {
	c.cancelSub()
	c.stopTick()
	if c.stopDebounce != nil {
		c.stopDebounce()
	}
}

// FocusSearch puts the keyboard into the search box (Ctrl/Cmd+F).
func (c *Console) FocusSearch(win fyne.Window) {
	win.Canvas().Focus(c.search)
}

// SetSearch puts text in the search box, as if typed.
func (c *Console) SetSearch(text string) { c.search.SetText(text) }

// SearchText is what the search box holds.
func (c *Console) SearchText() string { return c.search.Text }

// Selected is the selected unit's ID, "" when none.
func (c *Console) Selected() string { return c.selected }

// Select selects a unit by ID and scrolls it into view if it is in the current view.
func (c *Console) Select(id string) {
	c.selected = id
	c.manageBtn.Enable()
	if r := c.rowOf(id); r >= 0 {
		c.table.ScrollTo(widget.TableCellID{Row: r, Col: int(ColHealth)})
	}
	c.table.Refresh()
}

// OpenSelected opens the selected unit's Manage page; with no selection and a single row in
// view it opens that one (type an ID, press Enter). It reports whether a page was opened.
func (c *Console) OpenSelected() bool {
	id := c.selected
	if id == "" && len(c.rows) == 1 {
		id = c.ix.At(c.rows[0]).ID
	}
	if id == "" || c.opts.OnManage == nil {
		return false
	}
	if _, ok := c.ix.Get(id); !ok {
		return false
	}
	c.opts.OnManage(id)
	return true
}

// View returns the devices in view, in display order (what Export writes).
func (c *Console) View() []fleet.Device {
	out := make([]fleet.Device, len(c.rows))
	for i, p := range c.rows {
		out[i] = c.ix.At(p)
	}
	return out
}

// CountText is the count line, e.g. "312 of 1,204 units".
func (c *Console) CountText() string { return c.count.Text }

func (c *Console) build() {
	c.search = newSearchEntry(c)
	c.search.SetPlaceHolder("Search by device ID, customer email or name  (Ctrl+F)")
	c.search.OnChanged = func(s string) {
		c.filter.Text = s
		if !c.setting {
			c.requeryDebounced()
		}
	}
	c.search.OnSubmitted = func(string) { c.OpenSelected() }

	c.table = widget.NewTable(c.length, c.createCell, c.updateCell)
	c.table.ShowHeaderRow = true
	c.table.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		b.IconPlacement = widget.ButtonIconTrailingText
		return b
	}
	c.table.UpdateHeader = c.updateHeader
	for col := ColHealth; col < numColumns; col++ {
		c.table.SetColumnWidth(int(col), col.width())
	}

	c.count = widget.NewLabel("")
	c.count.TextStyle.Bold = true
	c.updateCount()

	c.manageBtn = widget.NewButtonWithIcon("Manage", theme.SettingsIcon(), func() { c.OpenSelected() })
	c.manageBtn.Importance = widget.HighImportance
	c.manageBtn.Disable()
	c.exportBtn = widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), c.export)
	if c.opts.Window == nil {
		c.exportBtn.Hide()
	}

	c.chips = newChips(c)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(c.manageBtn, c.exportBtn), c.search)
	filters := container.NewBorder(nil, nil, nil, c.count, c.chips.content)
	c.content = container.NewBorder(container.NewVBox(top, filters), nil, nil, nil, c.table)
}

func (c *Console) length() (int, int) { return len(c.rows), int(numColumns) }

func (c *Console) createCell() fyne.CanvasObject {
	c.cellsBuilt++
	return newCell(c)
}

func (c *Console) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	cl := o.(*cell)
	if id.Row < 0 || id.Row >= len(c.rows) {
		cl.set(id.Row, Column(id.Col), nil, c.now, false)
		return
	}
	d := c.ix.Devices()
	dev := &d[c.rows[id.Row]]
	cl.set(id.Row, Column(id.Col), dev, c.now, dev.ID == c.selected)
}

func (c *Console) updateHeader(id widget.TableCellID, o fyne.CanvasObject) {
	b := o.(*widget.Button)
	col := Column(id.Col)
	if id.Col < 0 || col >= numColumns {
		b.SetText("")
		return
	}
	b.SetText(col.Title())
	switch {
	case c.sort.Col != col:
		b.SetIcon(nil)
	case c.sort.Desc:
		b.SetIcon(theme.MenuDropDownIcon())
	default:
		b.SetIcon(theme.MenuDropUpIcon())
	}
	b.OnTapped = func() { c.SortBy(col) }
}

// SortBy sorts by a column; a second click on the same column reverses the order.
func (c *Console) SortBy(col Column) {
	if c.sort.Col == col {
		c.sort.Desc = !c.sort.Desc
	} else {
		c.sort = Sort{Col: col}
	}
	c.requery()
}

// SortOrder is the current sort.
func (c *Console) SortOrder() Sort { return c.sort }

// SetFilter shows another page's filter: the search box and chips follow it and the view is
// searched again at once. It is not reported back through OnFilterChanged, so two pages that
// follow each other do not loop.
func (c *Console) SetFilter(f fleet.Filter) {
	if c.stopDebounce != nil {
		c.stopDebounce() // a search typed before this one must not overwrite it
	}
	c.setting = true
	c.search.SetText(f.Text)
	c.setting = false
	c.filter = f
	c.chips.sync()
	c.requery()
}

// setChips is a chip change made here: the search text stays the search box's.
func (c *Console) setChips(f fleet.Filter) {
	f.Text = c.filter.Text
	c.filter = f
	c.chips.sync()
	c.filterChanged()
}

// filterChanged runs the search for a change the dealer made on this page and reports it.
func (c *Console) filterChanged() {
	c.requery()
	if c.opts.OnFilterChanged != nil {
		c.opts.OnFilterChanged(c.filter)
	}
}

// Filter is the filter in force.
func (c *Console) Filter() fleet.Filter { return c.filter }

func (c *Console) requeryDebounced() {
	if c.stopDebounce != nil {
		c.stopDebounce()
	}
	c.stopDebounce = kit.After(c.opts.Debounce, c.filterChanged)
}

// requery starts a search over the current snapshot; apply swaps its result in, unless a newer
// search has been asked for in the meantime.
func (c *Console) requery() {
	gen := c.gen.Add(1)
	q := query{ix: c.ix, filter: c.filter, sort: c.sort, now: c.svc.Now()}
	q.filter.Health = append([]fleet.Health(nil), q.filter.Health...)
	kit.Go(q.run, func(rows []int) { c.apply(gen, q, rows) })
}

func (c *Console) apply(gen uint64, q query, rows []int) {
	if gen != c.gen.Load() {
		return
	}
	c.applied.Store(gen)
	c.ix, c.rows, c.now = q.ix, rows, q.now
	c.updateCount()
	c.chips.refreshFirmware(q.ix)
	if c.selected != "" {
		c.manageBtn.Enable()
	}
	// Refresh, never ScrollTo: a live update must leave the dealer where they were.
	c.table.Refresh()
	if c.onApplied != nil {
		c.onApplied()
	}
}

func (c *Console) updateCount() {
	c.count.SetText(fmt.Sprintf("%s of %s units", kit.Thousands(len(c.rows)), kit.Thousands(c.ix.Len())))
}

// onChange takes the service's new snapshot; device changes re-run the search so a unit whose
// new state no longer matches leaves the view.
func (c *Console) onChange(ch session.Change) {
	if !ch.All && len(ch.Devices) == 0 {
		return
	}
	c.ix = c.svc.Fleet()
	c.requery()
}

// tick moves the clock: "last seen" texts and health dots age even when nothing syncs.
func (c *Console) tick() {
	if len(c.filter.Health) > 0 || c.sort.Col == ColHealth {
		c.requery()
		return
	}
	c.now = c.svc.Now()
	c.table.Refresh()
}

func (c *Console) rowOf(id string) int {
	if id == "" {
		return -1
	}
	d := c.ix.Devices()
	for i, p := range c.rows {
		if d[p].ID == id {
			return i
		}
	}
	return -1
}

// selectRow is a tap on a row.
func (c *Console) selectRow(row int) {
	if row < 0 || row >= len(c.rows) {
		return
	}
	c.selected = c.ix.At(c.rows[row]).ID
	c.manageBtn.Enable()
	c.table.Refresh()
}

// moveSelection is Up/Down from the search box.
func (c *Console) moveSelection(delta int) {
	if len(c.rows) == 0 {
		return
	}
	r := c.rowOf(c.selected) + delta
	if c.rowOf(c.selected) < 0 {
		r = 0
	}
	if r < 0 {
		r = 0
	}
	if r >= len(c.rows) {
		r = len(c.rows) - 1
	}
	c.selectRow(r)
	c.table.ScrollTo(widget.TableCellID{Row: r, Col: int(ColHealth)})
}

func (c *Console) openRow(row int) {
	c.selectRow(row)
	c.OpenSelected()
}

// export asks where to save the current view and writes it off the UI goroutine.
func (c *Console) export() {
	win := c.opts.Window
	devs, now := c.View(), c.now
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, win)
			return
		}
		if w == nil {
			return // cancelled
		}
		kit.Go(func() error {
			werr := WriteExcelCSV(w, devs, now)
			if cerr := w.Close(); werr == nil {
				werr = cerr
			}
			return werr
		}, func(err error) {
			if err != nil {
				dialog.ShowError(fmt.Errorf("export to %s failed: %w", w.URI().Name(), err), win)
				return
			}
			kit.ShowDialog(win, dialog.NewInformation("Export done",
				fmt.Sprintf("%s units written to %s", kit.Thousands(len(devs)), w.URI().Name()), win))
		})
	}, win)
	d.SetFileName(fmt.Sprintf("fleet-%s.csv", now.Format("2006-01-02")))
	kit.ShowDialog(win, d)
}
