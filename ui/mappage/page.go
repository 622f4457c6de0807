// Package mappage is the Fleet Map page: every unit with a GPS fix at its last known location,
// green when it reports normally and red when it needs attention or lost contact (offline
// included), by the same classification and in the same words as the Fleet Console
// (fleet.Health). Clusters count their units that need attention in a red badge; a location
// older than a day is drawn faded. It shares the Fleet Console's filters, and every filter in
// force is visible here: those the page has no control for (firmware console, firmware version)
// are listed above the map with a button to clear them. The shell feeds it fleet snapshots and
// filters on the UI goroutine and wires its callbacks; the markers are built from a snapshot off
// the UI goroutine, and they and tile arrivals reach it through the page's kit.Runner.
package mappage

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// Marker colours, as the dealer guide describes them.
var (
	GreenColor = color.NRGBA{0x2e, 0x9e, 0x44, 0xff} // reporting normally
	RedColor   = mapview.AttentionColor              // needs attention or lost contact
)

// The colours boxed once: a color.Color per marker would cost an allocation per unit per sync.
var greenMarker, redMarker color.Color = GreenColor, RedColor

// Options configures a Page. Every field may be left empty.
type Options struct {
	// Tiles picks the tile source (Settings). If it cannot be opened the page falls back to the
	// built-in basemap and says why (TileError).
	Tiles tiles.Config
	// Loader, when set, is used instead of opening Tiles; the caller keeps ownership.
	Loader *tiles.Loader
	// OnManage opens the Manage page for a unit.
	OnManage func(deviceID string)
	// OnFilterChanged reports a filter change made with the page's own search box and chips, so
	// the console can follow.
	OnFilterChanged func(fleet.Filter)
	// UI is the UI goroutine the page's runner delivers tile arrivals on; nil means the app's
	// (kit.FyneDo). Tests pass a uitest.Loop's Do.
	UI kit.UI
}

// Page is the Fleet Map page. All methods must be called on the UI goroutine.
type Page struct {
	opts    Options
	run     *kit.Runner
	Map     *mapview.Map
	ix      *fleet.Index
	now     time.Time
	stale   bool // the backend is out of reach: units' "Online" is the last sync's
	filter  fleet.Filter
	tileErr error

	search  *widget.Entry
	health  *widget.CheckGroup
	model   *widget.Select
	others  *otherFilters
	status  *widget.Label
	notice  *widget.Label
	card    *fyne.Container
	cardBox *fyne.Container
	cardID  string // device shown on the card, "" for none or a cluster list

	fitted   bool
	updating bool // set while SetFilter moves the chips, so they do not report back
	content  fyne.CanvasObject

	// Marker builds (render, apply): requests counted, the one shown, and whether one is running.
	wanted, shown uint64
	building      bool
}

const allModels = "All models"

// New builds the page. It shows an empty map until SetFleet.
func New(opts Options) *Page {
	p := &Page{opts: opts, run: kit.NewRunner(opts.UI), now: time.Now(), updating: true}
	switch {
	case opts.Loader != nil:
		p.Map = mapview.New(opts.Loader)
	default:
		m, err := mapview.NewFromConfig(opts.Tiles)
		if err != nil {
			p.tileErr = err
			m, _ = mapview.NewFromConfig(tiles.Config{Kind: tiles.KindBasemap})
		}
		p.Map = m
	}
	p.Map.SetDispatcher(p.run.Do)
	p.Map.OnTap = p.tapped

	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search device ID, customer email or name")
	p.search.OnChanged = func(s string) {
		p.filter.Text = s
		p.filterChanged()
	}
	var hOpts []string
	for _, h := range fleet.AllHealth {
		hOpts = append(hOpts, h.Label())
	}
	p.health = widget.NewCheckGroup(hOpts, func(sel []string) {
		p.filter.Health = nil
		for _, h := range fleet.AllHealth {
			for _, s := range sel {
				if s == h.Label() {
					p.filter.Health = append(p.filter.Health, h)
				}
			}
		}
		p.filterChanged()
	})
	p.health.Horizontal = true
	mOpts := []string{allModels}
	for _, m := range fleet.AllModels {
		mOpts = append(mOpts, m.DisplayName())
	}
	p.model = widget.NewSelect(mOpts, func(s string) {
		p.filter.Models = nil
		if m, err := fleet.ParseModel(s); err == nil {
			p.filter.Models = []fleet.Model{m}
		}
		p.filterChanged()
	})
	p.model.SetSelected(allModels)
	p.status = widget.NewLabel(statusText(0, 0, 0))
	p.notice = widget.NewLabel("")
	p.notice.Importance = widget.WarningImportance
	p.notice.Wrapping = fyne.TextWrapWord
	if p.tileErr != nil {
		p.notice.SetText("Map tiles unavailable (" + p.tileErr.Error() + "); showing the built-in basemap.")
	} else {
		p.notice.Hide()
	}

	p.cardBox = container.NewVBox()
	p.card = container.NewStack(newPanelBg(), container.NewPadded(p.cardBox))
	p.card.Hide()

	p.others = newOtherFilters(p.clearOthers)
	title := widget.NewLabelWithStyle("Fleet Map", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	toolbar := container.NewBorder(nil, nil, title, p.model, p.search)
	overlay := container.New(&overlayLayout{}, legend(), p.card)
	p.content = container.NewBorder(container.NewVBox(toolbar, p.health, p.others.content, p.status, p.notice), nil, nil, nil,
		container.NewStack(p.Map, overlay))
	p.updating = false
	p.render()
	return p
}

// Content is the page's root object for the shell.
func (p *Page) Content() fyne.CanvasObject { return p.content }

// Close stops the page's runner and the map's tile loading (when the page opened the source
// itself); call it when the window closes.
func (p *Page) Close() error {
	p.run.Close()
	return p.Map.Close()
}

// TileError is why the configured tile source could not be opened, or nil.
func (p *Page) TileError() error { return p.tileErr }

// SetTileConfig switches the tile source (from Settings), keeping the view.
func (p *Page) SetTileConfig(cfg tiles.Config) error {
	if err := p.Map.SetTileConfig(cfg); err != nil {
		return err
	}
	p.tileErr = nil
	p.notice.Hide()
	return nil
}

// SetFleet shows a new fleet snapshot. The view stays where the dealer left it; only the first
// snapshot with positions fits the map to the units.
func (p *Page) SetFleet(ix *fleet.Index, now time.Time) {
	p.ix, p.now = ix, now
	p.render()
}

// SetBackendReachable says whether the fleet shown is live; while it is not, a unit's card says
// "Online at last sync" rather than "Online".
func (p *Page) SetBackendReachable(live bool) { p.stale = !live }

// SetFilter applies the console's filter without reporting it back through OnFilterChanged.
func (p *Page) SetFilter(f fleet.Filter) {
	p.filter = f
	p.updating = true
	p.search.SetText(f.Text)
	var sel []string
	for _, h := range f.Health {
		sel = append(sel, h.Label())
	}
	p.health.SetSelected(sel)
	switch len(f.Models) {
	case 0:
		p.model.SetSelected(allModels)
	case 1:
		p.model.SetSelected(f.Models[0].DisplayName())
	default:
		p.model.ClearSelected()
		p.model.PlaceHolder = fmt.Sprintf("%d models", len(f.Models))
		p.model.Refresh()
	}
	p.updating = false
	p.filter = f
	p.render()
}

// clearOthers clears the filters the page has no control for (firmware console and version), as
// the dealer asked from the bar above the map, and reports the change.
func (p *Page) clearOthers() {
	p.filter.Consoles, p.filter.Firmware, p.filter.Transport = nil, nil, nil
	p.filterChanged()
}

// Filter is the filter the page currently shows.
func (p *Page) Filter() fleet.Filter { return p.filter }

func (p *Page) filterChanged() {
	if p.updating {
		return
	}
	p.render()
	p.others.show(p.filter)
	if p.opts.OnFilterChanged != nil {
		p.opts.OnFilterChanged(p.filter)
	}
}

// markerQuery is what one render reads: a snapshot (immutable), a filter (a copy) and the time.
type markerQuery struct {
	ix     *fleet.Index
	filter fleet.Filter
	now    time.Time
}

// markerSet is a render's result: the markers and the count of matching units without a position.
type markerSet struct {
	q       markerQuery
	markers []mapview.Marker
	noPos   int
}

// build turns the snapshot into markers: search, health, fix age, colour. At 100,000 units this
// is several milliseconds (tens on a slow PC), so it runs off the UI goroutine.
func (q markerQuery) build() markerSet {
	out := markerSet{q: q}
	if q.ix == nil {
		return out
	}
	found := q.ix.Search(q.filter, q.now)
	out.markers = make([]mapview.Marker, 0, len(found))
	for _, i := range found {
		d := q.ix.At(i)
		if d.GPS == nil {
			out.noPos++
			continue
		}
		attn := d.HealthAt(q.now).NeedsAttention()
		c := greenMarker
		if attn {
			c = redMarker
		}
		_, stale, _ := d.FixAge(q.now)
		out.markers = append(out.markers, mapview.Marker{ID: d.ID, Lat: d.GPS.Lat, Lon: d.GPS.Lon, Color: c, Attention: attn, Stale: stale})
	}
	return out
}

// render asks for the markers of the current snapshot and filter. They are built off the UI
// goroutine, one build at a time: a request made while one runs waits for it, and then one build
// from the newest snapshot and filter follows, so a burst of syncs or keystrokes costs at most two
// builds and the map never shows a result older than one it already showed.
func (p *Page) render() {
	p.wanted++
	if !p.building {
		p.build()
	}
}

// build starts a marker build from the page's state now. The filter is copied: the worker must not
// share its slices with the chips that replace them.
func (p *Page) build() {
	p.building = true
	gen := p.wanted
	f := p.filter
	f.Health, f.Models, f.Consoles = slices.Clone(f.Health), slices.Clone(f.Models), slices.Clone(f.Consoles)
	f.Firmware, f.Transport = slices.Clone(f.Firmware), slices.Clone(f.Transport)
	q := markerQuery{ix: p.ix, filter: f, now: p.now}
	kit.Run(p.run, func(context.Context) markerSet { return q.build() }, func(s markerSet) { p.apply(gen, s) })
}

// apply shows a built marker set on the UI goroutine: the map's markers (projected and clustered
// there, see mapview.SetMarkers), the count line and the open card. A set overtaken by a newer
// request is dropped for a build from the newest state.
func (p *Page) apply(gen uint64, s markerSet) {
	p.building = false
	if gen != p.wanted {
		p.build()
		return
	}
	p.shown = gen
	p.Map.SetMarkers(s.markers)
	if !p.fitted && len(s.markers) > 0 {
		p.fitted = true
		p.Map.FitMarkers()
	}
	p.status.SetText(statusText(len(s.markers), s.noPos, s.q.ix.Len()))
	p.others.show(p.filter)
	if p.cardID != "" {
		if d, ok := s.q.ix.Get(p.cardID); ok {
			p.showCard(d) // health and position may have moved with this sync
		} else {
			p.closeCard()
		}
	}
}

// upToDate reports whether the map shows the newest snapshot and filter (nothing is being built).
func (p *Page) upToDate() bool { return !p.building && p.shown == p.wanted }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func statusText(onMap, noPos, total int) string {
	if total == 0 {
		return "No units yet."
	}
	s := plural(onMap, "unit", "units") + " on the map"
	if noPos > 0 {
		s += " · " + plural(noPos, "unit has no last known location", "units have no last known location")
	}
	return s
}

// ShowDevice centres the map on a unit and opens its card (the Manage page links here).
func (p *Page) ShowDevice(id string) bool {
	d, ok := p.ix.Get(id)
	if !ok {
		return false
	}
	if d.GPS != nil {
		p.fitted = true
		p.Map.SetView(d.GPS.Lat, d.GPS.Lon, max(p.Map.Zoom(), 12))
	}
	p.showCard(d)
	return true
}

func (p *Page) tapped(items []mapview.Marker) {
	switch {
	case len(items) == 0:
		p.closeCard()
	case len(items) == 1:
		if d, ok := p.ix.Get(items[0].ID); ok {
			p.showCard(d)
		}
	default:
		z := p.Map.Zoom()
		if z < 16 {
			p.Map.FitPoints(items)
			if p.Map.Zoom() > z {
				return
			}
		}
		p.showCluster(items)
	}
}
