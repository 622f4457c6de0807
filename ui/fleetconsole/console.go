// Package fleetconsole is the Fleet Console: the dealer's daily page. A search box that filters by
// device ID, customer email or name as the user types, chips for health, firmware console, model
// and firmware, a sortable table that builds only the rows on screen, the count, CSV export, and
// the way into a unit's Manage page.
//
// The fleet is an immutable fleet.Index snapshot; the search runs off the UI goroutine (on the
// page's kit.Runner) and the result (a slice of positions) is swapped in on it, so typing never
// waits on a 100,000-unit scan. The selection only ever names a unit in view: Manage and Enter
// act on what the dealer sees.
package fleetconsole

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/selection"
)

// Options wires the Fleet Console into the shell.
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
	// UI is the UI goroutine the page's runner delivers on; nil means the app's (kit.FyneDo).
	UI kit.UI
}

// view is what the table shows: replaced, never mutated, by apply.
type view struct {
	ix   *fleet.Index
	rows []int // positions in ix, in display order
	now  time.Time
	// stale is set while the backend cannot be reached: the units' own online flags are then
	// what the last sync said, and the Connection column says so.
	stale bool
}

// parts are the page's widgets.
type parts struct {
	search  *searchEntry
	table   *widget.Table
	columns *shareWidth
	count   *widget.Label
	manage  *widget.Button
	export  *widget.Button
	empty   *emptyState
	details *widget.Label
}

// Page is the Fleet Console page.
type Page struct {
	svc  session.Fleet
	opts Options
	run  *kit.Runner

	v    view
	sort Sort
	// sel is the filter in force, which search's result is in view (a late, older one is
	// dropped) and the selected unit, by device ID so it survives re-sorts and live updates, and
	// always one in view: selection.Model, shared with the Fleet Map.
	sel selection.Model
	// hoverID is the unit whose cell the pointer is over ("" when none) and hoverCol that cell's
	// column: the details line shows it, through the live updates and clock ticks that redraw it.
	hoverID  string
	hoverCol Column

	w       parts
	chips   *chips
	content fyne.CanvasObject

	stopDebounce func() bool // the typing pause's timer, while one runs
	cellsBuilt   int         // cells built by the table (a test counts them)
	// loaded is set when the first search has landed: until then the count claims no number.
	loaded     bool
	whenLoaded []func()   // WhenLoaded's callers, until loaded
	cells      []*cell    // every cell the table built, for refreshCells
	units      *unitScope // the units the view is narrowed to (ShowUnits), shown as a chip
}

// New builds the Fleet Console over the service's fleet and subscribes to its changes; Close
// unsubscribes. It subscribes before it reads the fleet, so a sync that lands in between reaches
// it as a change, and the first search runs in the background: until it lands, and while no sync
// has completed, the count says so instead of claiming "0 of 0 units".
func New(svc session.Fleet, opts Options) *Page {
	if opts.Debounce <= 0 {
		opts.Debounce = 120 * time.Millisecond
	}
	if opts.Tick <= 0 {
		opts.Tick = 10 * time.Second
	}
	c := &Page{svc: svc, opts: opts, run: kit.NewRunner(opts.UI), sort: Sort{Col: ColID}}
	c.v = view{ix: fleet.NewIndex(nil), now: svc.Now(), stale: !svc.Status().Reachable}
	c.build()
	c.run.Subscribe(svc, c.onChange)
	c.v.ix = svc.Fleet()
	c.requery()
	c.run.Ticker(opts.Tick, c.tick)
	c.followTheme()
	return c
}

// Content is the page's canvas object.
func (c *Page) Content() fyne.CanvasObject { return c.content }

// Close stops live updates and waits for a running search.
func (c *Page) Close() { c.run.Close() }

// followTheme repaints every cell when the theme changes. Fyne repaints the objects in the
// window's tree, but the console is out of it while another tab (Settings, where the theme is
// chosen) is shown, and its cells draw their text with a colour they hold: they would keep the old
// theme's, white text on the light page. Close lets go of the listener (a profile switch discards
// the page), and a closed page ignores a change already on its way (Do runs nothing then).
func (c *Page) followTheme() {
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	c.run.OnClose(kit.OnThemeChange(a, func() {
		c.run.Do(func() {
			for _, cl := range c.cells {
				cl.Refresh()
			}
			c.w.table.Refresh()
		})
	}))
}

// FocusSearch puts the keyboard into the search box (Ctrl/Cmd+F).
func (c *Page) FocusSearch(win fyne.Window) {
	win.Canvas().Focus(c.w.search)
}

// SetSearch puts text in the search box, as if typed.
func (c *Page) SetSearch(text string) { c.w.search.SetText(text) }

// SearchText is what the search box holds.
func (c *Page) SearchText() string { return c.w.search.Text }

// Selected is the selected unit's ID, "" when none.
func (c *Page) Selected() string { return c.sel.Selected() }

// CountText is the count line, e.g. "312 of 1,204 units".
func (c *Page) CountText() string { return c.w.count.Text }

// SortOrder is the current sort.
func (c *Page) SortOrder() Sort { return c.sort }

// Filter is the filter in force.
func (c *Page) Filter() fleet.Filter { return c.sel.Filter() }

// View returns the devices in view, in display order (what Export writes).
func (c *Page) View() []fleet.Device {
	out := make([]fleet.Device, len(c.v.rows))
	for i, p := range c.v.rows {
		out[i] = c.v.ix.At(p)
	}
	return out
}

func (c *Page) build() {
	c.w.search = newSearchEntry(c)
	c.w.search.SetPlaceHolder("Search by device ID, customer email or name  (Ctrl+F)")
	c.w.search.OnChanged = func(s string) {
		if c.sel.Type(s) { // false when SetFilter wrote the text in force: not the dealer typing
			c.requeryDebounced()
		}
	}
	c.w.search.OnSubmitted = func(string) { c.OpenSelected() }

	c.w.table = widget.NewTable(c.length, c.createCell, c.updateCell)
	c.w.table.ShowHeaderRow = true
	c.w.table.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		b.IconPlacement = widget.ButtonIconTrailingText
		return b
	}
	c.w.table.UpdateHeader = c.updateHeader

	c.w.count = widget.NewLabel("")
	c.w.count.TextStyle.Bold = true

	c.w.manage = widget.NewButtonWithIcon("Manage", theme.SettingsIcon(), func() { c.OpenSelected() })
	c.w.manage.Importance = widget.HighImportance
	c.w.export = widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), c.export)
	if c.opts.Window == nil {
		c.w.export.Hide()
	}
	c.w.empty = newEmptyState(c)
	c.w.details = widget.NewLabel("")
	c.w.details.Truncation = fyne.TextTruncateClip

	c.chips = newChips(c)
	c.units = newUnitScope(c)
	title := widget.NewLabelWithStyle("Fleet Console", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewBorder(nil, nil, title, container.NewHBox(c.w.manage, c.w.export), c.w.search)
	filters := container.NewVBox(container.NewBorder(nil, nil, nil, c.w.count, c.chips.rows[0]), c.chips.rows[1],
		c.units.box)
	c.w.columns = &shareWidth{t: c.w.table, sort: c.sort.Col, div: newDividers(c)}
	table := container.New(c.w.columns, c.w.table, c.w.columns.div.box)
	c.content = container.NewBorder(container.NewVBox(top, filters), c.w.details, nil, nil,
		container.NewStack(table, c.w.empty.content))
	c.showView()
}

// SetFilter shows another page's filter: the search box and chips follow it and the view is
// searched again at once. It is not reported back through OnFilterChanged, so two pages that
// follow each other do not loop.
func (c *Page) SetFilter(f fleet.Filter) {
	c.cancelTyping() // a search typed before this one must not overwrite it
	c.show(c.sel.Set(f))
}

// ColumnWidths are the widths the dealer set by dragging a header's edge, by column (the others
// follow the content and the window); empty when none.
func (c *Page) ColumnWidths() map[Column]float32 {
	out := map[Column]float32{}
	for col, w := range c.w.columns.set {
		if w > 0 {
			out[Column(col)] = w
		}
	}
	return out
}

// SetColumnWidths puts widths the dealer set in force (remembered ones); every column not in
// widths follows the content and the window again.
func (c *Page) SetColumnWidths(widths map[Column]float32) {
	for col := Column(0); col < numColumns; col++ {
		c.w.columns.setWidth(col, widths[col])
	}
}

// SetSort puts a sort in force (a remembered one) and searches again.
func (c *Page) SetSort(s Sort) {
	c.sort = s
	c.w.columns.sortedBy(s.Col)
	c.requery()
}

// setChips is a chip change made here: the search text stays the search box's.
func (c *Page) setChips(f fleet.Filter) {
	f.Text = c.sel.Filter().Text
	c.cancelTyping()
	c.show(c.sel.Set(f))
	c.reportFilter()
}

// clearAll is the empty view's way out: no search text, no filters, no narrowing to some units.
func (c *Page) clearAll() {
	c.units.set("", nil)
	c.cancelTyping()
	c.show(c.sel.Set(fleet.Filter{}))
	c.reportFilter()
}

// show makes the search box and chips show the filter of s and runs s. Writing the box is not
// taken for typing (selection.Model.Type of the text in force is no change).
func (c *Page) show(s selection.Search) {
	c.w.search.SetText(s.Filter.Text)
	c.chips.sync()
	c.runSearch(s)
}

// reportFilter tells the page that follows this one (the map) about the dealer's change here.
func (c *Page) reportFilter() {
	if c.opts.OnFilterChanged != nil {
		c.opts.OnFilterChanged(c.sel.Filter())
	}
}

// requeryDebounced searches once typing pauses, and reports the typed filter then.
func (c *Page) requeryDebounced() {
	c.cancelTyping()
	c.stopDebounce = c.run.After(c.opts.Debounce, func() {
		c.stopDebounce = nil
		c.requery()
		c.reportFilter()
	})
}

// cancelTyping stops the typing pause's timer; the model decides whether a search is owed.
func (c *Page) cancelTyping() {
	if c.stopDebounce != nil {
		c.stopDebounce()
		c.stopDebounce = nil
	}
}
