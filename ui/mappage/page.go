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
	"github.com/fleetdesk/fleetdesk/ui/selection"
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
	// built-in basemap and says why above the map.
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
	tileErr error

	search   *kit.Entry
	health   *widget.CheckGroup
	model    *widget.Select
	others   *otherFilters
	status   *widget.Label
	notice   *widget.Label
	card     *fyne.Container
	cardBox  *fyne.Container
	unitCard bool // the card shows one unit (the selected one), not a cluster's list

	fitted  bool
	content fyne.CanvasObject

	// sel is the filter in force, which marker build's result is in view (a late, older one is
	// dropped) and the unit whose card is open, always one in view: the Fleet Console's
	// selection.Model, so the card only ever offers Manage for a unit the filters show.
	sel selection.Model
	// Marker builds (render, apply): the newest search asked for, and whether a build is running.
	latest   selection.Search
	building bool
	// base is the last marker set built, which the next build patches (one build at a time, so
	// only that build's worker touches its moments).
	base *markerSet
	// spare holds arrays of an earlier marker set nothing reads any more, which the next build
	// may write into.
	spare spares
	// showPending is a unit ShowDevice was asked for before the markers of the newest snapshot
	// and filter were in view; its card opens once they are.
	showPending string
}

const allModels = "All models"

// New builds the page. It shows an empty map until SetFleet.
func New(opts Options) *Page {
	p := &Page{opts: opts, run: kit.NewRunner(opts.UI), now: time.Now()}
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
	p.Map.SetDetailNote(detailNote)
	p.Map.OnTap = p.tapped

	p.search = kit.NewEntry()
	p.search.SetPlaceHolder("Search device ID, customer email or name")
	p.search.OnChanged = func(s string) {
		if p.sel.Type(s) { // false when SetFilter wrote the text in force: not the dealer typing
			p.filterChanged(p.sel.Filter())
		}
	}
	var hOpts []string
	for _, h := range fleet.AllHealth {
		hOpts = append(hOpts, h.Label())
	}
	p.health = widget.NewCheckGroup(hOpts, func(sel []string) {
		f := p.sel.Filter()
		f.Health = nil
		for _, h := range fleet.AllHealth {
			if slices.Contains(sel, h.Label()) {
				f.Health = append(f.Health, h)
			}
		}
		if !slices.Equal(f.Health, inHealthOrder(p.sel.Filter().Health)) {
			p.filterChanged(f) // not the value SetFilter gave the chips
		}
	})
	p.health.Horizontal = true
	mOpts := []string{allModels}
	for _, m := range fleet.AllModels {
		mOpts = append(mOpts, m.DisplayName())
	}
	p.model = widget.NewSelect(mOpts, func(s string) {
		if s == modelChoice(p.sel.Filter()) {
			return // the value SetFilter gave it
		}
		f := p.sel.Filter()
		f.Models = nil
		if m, err := fleet.ParseModel(s); err == nil {
			f.Models = []fleet.Model{m}
		}
		p.filterChanged(f)
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

// SetFilter applies the console's filter without reporting it back through OnFilterChanged:
// the search box and chips are written the filter in force, which their handlers recognise.
func (p *Page) SetFilter(f fleet.Filter) {
	p.latest = p.sel.Set(f)
	p.search.SetText(f.Text)
	var sel []string
	for _, h := range f.Health {
		sel = append(sel, h.Label())
	}
	p.health.SetSelected(sel)
	if c := modelChoice(f); c != "" {
		p.model.SetSelected(c)
	} else {
		p.model.ClearSelected()
		p.model.PlaceHolder = fmt.Sprintf("%d models", len(f.Models))
		p.model.Refresh()
	}
	p.kick()
}

// modelChoice is what the model picker shows for a filter: "" for several models.
func modelChoice(f fleet.Filter) string {
	switch len(f.Models) {
	case 0:
		return allModels
	case 1:
		return f.Models[0].DisplayName()
	}
	return ""
}

// inHealthOrder is the health values in fleet.AllHealth order, as the chips list them.
func inHealthOrder(hs []fleet.Health) []fleet.Health {
	var out []fleet.Health
	for _, h := range fleet.AllHealth {
		if slices.Contains(hs, h) {
			out = append(out, h)
		}
	}
	return out
}

// clearOthers clears the filters the page has no control for (firmware console and version), as
// the dealer asked from the bar above the map, and reports the change.
func (p *Page) clearOthers() {
	f := p.sel.Filter()
	f.Consoles, f.Firmware, f.Transport = nil, nil, nil
	p.filterChanged(f)
}

// Filter is the filter the page currently shows.
func (p *Page) Filter() fleet.Filter { return p.sel.Filter() }

// filterChanged is the dealer's change on this page: searched at once and reported.
func (p *Page) filterChanged(f fleet.Filter) {
	p.latest = p.sel.Set(f)
	p.kick()
	p.others.show(f)
	if p.opts.OnFilterChanged != nil {
		p.opts.OnFilterChanged(f)
	}
}

// markerQuery is what one render reads: a snapshot (immutable), a filter (a copy) and the time.
type markerQuery struct {
	ix     *fleet.Index
	filter fleet.Filter
	now    time.Time
}

// markerSet is a render's result: the matching units (positions in the snapshot, the view the
// selection model keeps), their markers and the count of those without a position.
type markerSet struct {
	q       markerQuery
	found   []int
	markers []mapview.Marker
	pos     []int // each marker's unit, a position in the snapshot (ascending)
	noPos   int
	// due is when units must be looked at again as time passes (see patch); the next patched
	// set takes it over.
	due *transitions
}

// build turns the snapshot into markers: search, health, fix age, colour. At 100,000 units this
// is tens of milliseconds, so it runs off the UI goroutine, and a live update patches the last
// set instead (see patch) unless the filter changed.
func (q markerQuery) build(base *markerSet, spare spares) markerSet {
	if out, ok := q.patch(base, spare); ok {
		return out
	}
	return q.fullBuild()
}

// fullBuild builds every marker afresh; what a patched set must equal.
func (q markerQuery) fullBuild() markerSet {
	out := markerSet{q: q}
	if q.ix == nil {
		return out
	}
	found := q.ix.Search(q.filter, q.now)
	out.found = found
	out.markers = make([]mapview.Marker, 0, len(found))
	out.pos = make([]int, 0, len(found))
	devs := q.ix.Devices()
	for _, i := range found {
		d := devs[i]
		if d.GPS == nil {
			out.noPos++
			continue
		}
		out.markers = append(out.markers, markerOf(d, q.now))
		out.pos = append(out.pos, i)
	}
	out.schedule()
	return out
}

// render asks for the markers of the current snapshot and filter (a sync, the clock). They are
// built off the UI goroutine, one build at a time: a request made while one runs waits for it,
// and then one build from the newest snapshot and filter follows, so a burst of syncs or
// keystrokes costs at most two builds and the map never shows a result older than one it already
// showed (selection.Model.Show drops it).
func (p *Page) render() {
	p.latest = p.sel.Search()
	p.kick()
}

// kick starts a build of the newest search unless one is running (its end starts the next).
func (p *Page) kick() {
	if !p.building {
		p.build(p.latest)
	}
}

// build starts a marker build of search s over the page's snapshot now. The filter is copied: the
// worker must not share its slices with the chips that replace them.
func (p *Page) build(s selection.Search) {
	p.building = true
	f := s.Filter
	f.Health, f.Models, f.Consoles = slices.Clone(f.Health), slices.Clone(f.Models), slices.Clone(f.Consoles)
	f.Firmware, f.Transport = slices.Clone(f.Firmware), slices.Clone(f.Transport)
	q := markerQuery{ix: p.ix, filter: f, now: p.now}
	base, spare := p.base, p.spare
	p.spare = spares{} // the worker's now
	kit.Run(p.run, func(context.Context) markerSet { return q.build(base, spare) }, func(m markerSet) { p.apply(s, m) })
}

// apply shows a built marker set on the UI goroutine: the map's markers (projected and clustered
// there, see mapview.SetMarkers), the count line and the open card. A set overtaken by a newer
// request is dropped for a build from the newest state.
func (p *Page) apply(s selection.Search, m markerSet) {
	p.building = false
	old := p.base
	p.base = &m // the next build patches it, shown or not: it answers its own query
	var devs []*fleet.Device
	if m.q.ix != nil {
		devs = m.q.ix.Devices()
	}
	if !p.sel.Show(s, foundIDs{devs, m.found}) {
		if old != nil && !sameArray(old.markers, p.Map.Markers()) {
			p.spare.markers = old.markers // read by this build only, and on no map
		}
		p.build(p.latest)
		return
	}
	shown := p.Map.Markers()
	p.Map.SetMarkers(m.markers)
	// The markers the map showed until now, or the last base if it never showed them, are read
	// by no one any more: the next patch writes into them instead of allocating 6 MB (at 100,000
	// units) for every live update.
	switch {
	case old != nil && !sameArray(old.markers, m.markers) && !sameArray(old.markers, shown):
		p.spare.markers = old.markers
	case !sameArray(shown, m.markers):
		p.spare.markers = shown
	}
	// So are the last base's units and positions, 800 KB each at 100,000 units: the selection
	// now reads this set's (Show above) and the next build patches this set.
	if old != nil && !sameArray(old.found, m.found) && !sameArray(old.pos, m.pos) {
		p.spare.found, p.spare.pos = old.found, old.pos
	}
	if !p.fitted && len(m.markers) > 0 {
		p.fitted = true
		p.Map.FitMarkers()
	}
	p.status.SetText(statusText(len(m.markers), m.noPos, m.q.ix.Len()))
	p.others.show(p.sel.Filter())
	switch id := p.sel.Selected(); {
	case id != "":
		if d, ok := m.q.ix.Get(id); ok {
			p.showCard(d) // health and position may have moved with this sync
		}
	case p.cardShowsUnit():
		p.closeCard() // its unit left the view: the card must not offer Manage for it
	}
	if id := p.showPending; id != "" {
		p.showPending = ""
		p.ShowDevice(id)
	}
}

// sameArray reports whether a and b share their first element's storage.
func sameArray[T any](a, b []T) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:1][0] == &b[:1][0]
}

// foundIDs is a marker build's matching units as selection.Model reads them.
type foundIDs struct {
	devs  []*fleet.Device
	found []int
}

func (f foundIDs) Len() int        { return len(f.found) }
func (f foundIDs) ID(i int) string { return f.devs[f.found[i]].ID }

// upToDate reports whether the map shows the newest snapshot and filter (nothing is being built).
func (p *Page) upToDate() bool { return !p.building && p.sel.Current() }

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

// ShowDevice centres the map on a unit and opens its card (the Manage page links here). A unit
// the filters hide is shown by clearing them (reported, so the console follows): the card only
// ever shows a unit in view. Asked before the newest markers are in view, it opens the card once
// they are.
func (p *Page) ShowDevice(id string) bool {
	d, ok := p.ix.Get(id)
	if !ok {
		return false
	}
	if d.GPS != nil {
		p.fitted = true
		p.Map.SetView(d.GPS.Lat, d.GPS.Lon, max(p.Map.Zoom(), 12))
	}
	switch {
	case !p.upToDate():
		p.showPending = id // the card opens with the newest markers
	case !p.sel.InView(id):
		p.SetFilter(fleet.Filter{})
		if p.opts.OnFilterChanged != nil {
			p.opts.OnFilterChanged(fleet.Filter{})
		}
		p.showPending = id // once the unfiltered markers are in view
	default:
		p.showCard(d)
	}
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

// detailNote is what the map says, once, zoomed in past what the built-in basemap holds.
const detailNote = "The built-in map shows borders and towns only. For streets, import an MBTiles file or use online map tiles: Settings → Map tiles."
