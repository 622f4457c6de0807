package prefs

import (
	"encoding/json"
	"strings"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
)

// The remembered view of one fleet: the page shown, the Fleet Console's search, chips and sort,
// and the Fleet Map's centre and zoom. It belongs to a profile (the demo is a profile of its own),
// never to the whole app: a search made in the demo must not greet the dealer's own fleet with
// "No units match". Each profile's view is one JSON value under keyView+name, which also records
// the backend and account it was saved for, so a profile signed in again to another backend or
// as another user starts afresh instead of on the previous fleet's filters.
const (
	keyView     = "view.profile."
	keyViewDemo = "view.demo"
)

// The app-wide keys of releases before 0.1.0's per-profile view, read once by migrateLegacy.
const (
	keyLegacyPage    = "window.page"
	keyLegacyConsole = "console.state"
	keyLegacyMapView = "map.view"
)

// ConsoleState is what the Fleet Console remembers. The sort column and the widths are kept by
// column title so a release that adds a column does not shift them.
type ConsoleState struct {
	Filter  fleet.Filter
	SortCol string
	Desc    bool
	// Widths are the column widths the dealer set, by column title; the columns not named follow
	// the content and the window.
	Widths map[string]float32 `json:",omitempty"`
}

// View is one profile's remembered view state. Get one with Store.View.
type View struct {
	s     Store
	key   string
	owner fleetOwner
}

// fleetOwner says whose fleet a view was saved for. Empty fields are unknown (a profile opened
// from its cache before any sign-in) and match anything.
type fleetOwner struct {
	Backend string `json:",omitempty"`
	Email   string `json:",omitempty"`
}

// viewRecord is a View as stored.
type viewRecord struct {
	fleetOwner
	Page    string        `json:",omitempty"`
	Console *ConsoleState `json:",omitempty"`
	Map     *MapView      `json:",omitempty"`
}

// View is the remembered view of the session whose status st is: the demo's, or the profile's.
func (s Store) View(st session.Status) View {
	if st.Demo {
		return View{s: s, key: keyViewDemo} // the demo backend's address changes at every start
	}
	name := st.ProfileName
	if name == "" {
		name = "default"
	}
	return View{s: s, key: keyView + name,
		owner: fleetOwner{Backend: strings.TrimRight(st.BackendURL, "/"), Email: strings.ToLower(st.UserEmail)}}
}

// sameFleet reports whether a view saved for o belongs to the fleet of a view for v.
func (o fleetOwner) sameFleet(v fleetOwner) bool {
	return (o.Backend == "" || v.Backend == "" || strings.EqualFold(o.Backend, v.Backend)) &&
		(o.Email == "" || v.Email == "" || o.Email == v.Email)
}

// load is the stored view, empty when none was saved for this fleet.
func (v View) load() viewRecord {
	var r viewRecord
	raw := v.s.p.String(v.key)
	if raw == "" {
		return v.migrateLegacy()
	}
	if json.Unmarshal([]byte(raw), &r) != nil || !r.sameFleet(v.owner) {
		return viewRecord{}
	}
	return r
}

func (v View) store(r viewRecord) {
	// What is known now wins; what is unknown now (no sign-in yet) keeps what was known.
	if v.owner.Backend != "" {
		r.Backend = v.owner.Backend
	}
	if v.owner.Email != "" {
		r.Email = v.owner.Email
	}
	if b, err := json.Marshal(r); err == nil {
		v.s.p.SetString(v.key, string(b))
	}
}

// update changes the stored view. A view saved for another fleet is replaced, not merged.
func (v View) update(change func(*viewRecord)) {
	r := v.load()
	change(&r)
	v.store(r)
}

// migrateLegacy hands the app-wide state of an older release to the first profile shown after
// the upgrade, then removes it. Only what is the dealer's habit rather than one fleet's view
// comes along: the page and the console's sort. The search, the chips and the map view are left
// behind, since nothing says which fleet they were set for (the demo's, often).
func (v View) migrateLegacy() viewRecord {
	var r viewRecord
	p := v.s.p
	page, rawConsole := p.String(keyLegacyPage), p.String(keyLegacyConsole)
	if page == "" && rawConsole == "" && p.String(keyLegacyMapView) == "" {
		return r
	}
	r.Page = page
	var old ConsoleState
	if rawConsole != "" && json.Unmarshal([]byte(rawConsole), &old) == nil && old.SortCol != "" {
		r.Console = &ConsoleState{SortCol: old.SortCol, Desc: old.Desc}
	}
	for _, k := range []string{keyLegacyPage, keyLegacyConsole, keyLegacyMapView} {
		p.RemoveValue(k)
	}
	v.store(r)
	return r
}

// LastPage is the navigation entry shown when this profile's view last closed, "" when none.
func (v View) LastPage() string { return v.load().Page }

// SetLastPage remembers the navigation entry shown.
func (v View) SetLastPage(name string) { v.update(func(r *viewRecord) { r.Page = name }) }

// Console is the Fleet Console's remembered search, chips and sort; ok is false when none.
func (v View) Console() (c ConsoleState, ok bool) {
	if r := v.load(); r.Console != nil {
		return *r.Console, true
	}
	return ConsoleState{}, false
}

// SetConsole remembers the console's search, chips and sort.
func (v View) SetConsole(c ConsoleState) { v.update(func(r *viewRecord) { r.Console = &c }) }

// MapView is the Fleet Map's remembered centre and zoom; ok is false when none.
func (v View) MapView() (m MapView, ok bool) {
	r := v.load()
	if r.Map == nil || !r.Map.valid() {
		return MapView{}, false
	}
	return *r.Map, true
}

// SetMapView remembers the map's centre and zoom.
func (v View) SetMapView(m MapView) { v.update(func(r *viewRecord) { r.Map = &m }) }
