// Package ui is FleetDesk's window shell: the sign-in screen, the main window with its navigation
// (Fleet Console, Fleet Map, Firmware Rollouts, API Tokens, Recovery, Settings — whichever exist),
// the status bar (backend, dealer, DEMO badge, online/offline, "synced 12 s ago", sync progress),
// the offline banner with its Sign in / Retry / Details, the first sync's progress, the Settings
// page and the keyboard shortcuts. The pages themselves live in sub-packages; pages
// from other areas plug in as a Page (name, icon, build func).
//
// Threading: every widget here is touched on the UI goroutine. Background work (the sign-in call),
// session changes and clocks go through kit.Runner (Options.UI), the one way to reach it.
package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/fleetconsole"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/manage"
)

// Page names, in navigation order: the guide's names. Pages with other names go after Recovery.
const (
	PageFleetConsole = "Fleet Console"
	PageFleetMap     = "Fleet Map"
	PageRollouts     = "Firmware Rollouts"
	PageTokens       = "API Tokens"
	PageRecovery     = "Recovery"
	PageSettings     = "Settings"
)

var pageOrder = []string{PageFleetConsole, PageFleetMap, PageRollouts, PageTokens, PageRecovery, PageSettings}

// Env is what a page gets to build itself.
type Env struct {
	Service session.Session
	Window  fyne.Window
	// UI is the UI goroutine for the page's kit.Runner (kit.NewRunner(env.UI)); nil in the app.
	UI kit.UI
	// OpenManage switches to the Console and opens the unit's Manage page.
	OpenManage func(deviceID string)
	// ShowOnMap switches to the Map page and shows the unit; nil when there is no Map page.
	ShowOnMap func(deviceID string)
}

// Page is one navigation entry contributed by another area (Map, Rollouts, Tokens, Recovery).
type Page struct {
	Name string
	Icon fyne.Resource
	// Build makes the page's content after sign-in; it is called once per session.
	Build func(env Env) fyne.CanvasObject
	// ShowDevice, when set, brings one unit into view on this page (the Map page centres on it).
	// Shell.ShowOnMap calls the Map page's.
	ShowDevice func(deviceID string)
	// Close, when set, is called at sign-out so the page can stop its goroutines.
	Close func()
	// Lazy pages are built the first time they are shown, not at sign-in: the window paints the
	// Fleet Console sooner (the Fleet Map's markers for a big fleet take a while) and a page the
	// dealer never opens costs nothing.
	Lazy bool
}

// SettingsSection is a block another area adds to the Settings page (the map's tile source).
type SettingsSection struct {
	Title string
	Build func(env Env) fyne.CanvasObject
}

// Navigator takes the window's cross-page actions: where a link on one page leads on another,
// and back. The shell calls it for every such link (a unit's Manage button on any page, the
// Manage page's "Show on map", its Recovery link and back button, Esc, the Fleet Console's filter
// changes); ui/desk's Controller is the app's, and keeps the routes and their back stack.
type Navigator interface {
	OpenManage(deviceID string)
	// ShowOnMap is offered only when a Map page exists.
	ShowOnMap(deviceID string)
	// OpenRecovery is offered only when a Recovery page exists: it opens it pre-filled with the
	// unit's model and transport.
	OpenRecovery(model fleet.Model, transport fleet.Transport)
	// FleetConsoleFilterChanged hears the dealer's search and chip changes on the Fleet Console, so a page
	// with the same filters (the map) can follow; Console().SetFilter goes the other way.
	FleetConsoleFilterChanged(f fleet.Filter)
	// Back leaves the Manage page (its back button, Esc) for the place BackLabel names.
	Back()
	BackLabel() string
}

// shellNav is the Navigator of a shell given none: the shell's own methods.
type shellNav struct{ s *Shell }

func (n shellNav) OpenManage(id string)                      { n.s.OpenManage(id) }
func (n shellNav) ShowOnMap(id string)                       { n.s.ShowOnMap(id) }
func (n shellNav) OpenRecovery(fleet.Model, fleet.Transport) {}
func (n shellNav) FleetConsoleFilterChanged(fleet.Filter)    {}
func (n shellNav) Back()                                     { n.s.BackToFleetConsole() }
func (n shellNav) BackLabel() string                         { return PageFleetConsole }

// nav is the navigator in force.
func (s *Shell) nav() Navigator {
	if s.opts.Navigator != nil {
		return s.opts.Navigator
	}
	return shellNav{s}
}

// SignInFunc signs in to a backend. It runs off the UI goroutine; its error is shown in the words
// of words.Describe ("Wrong email or password", "Can't reach the fleet backend (connection
// refused)") with the technical text under Details, so return the data layer's error unwrapped.
type SignInFunc func(ctx context.Context, backendURL, email, password string) (session.Session, error)

// Options configure the shell.
type Options struct {
	App    fyne.App
	Window fyne.Window // nil: the shell makes one
	// UI is the UI goroutine the shell's background work reports on: nil in the app (fyne.Do);
	// tests pass a uitest.Loop's Do.
	UI kit.UI
	// SignIn signs in to a real backend from the sign-in screen.
	SignIn SignInFunc
	// Demo, when set, offers "Try the demo" on the sign-in screen and "Explore the demo" on the
	// first run's welcome (the embedded simulated backend).
	Demo func(ctx context.Context) (session.Session, error)
	// Start is what the window shows until the app calls Start (or ShowSignIn): the sign-in
	// form, a first run's welcome, or Opening (what is being opened, e.g. "Opening profile
	// “work”…") while a remembered profile resumes. The app decides it before the window is
	// drawn.
	Start   StartScreen
	Opening string
	// SignOut ends a session (forget the saved sign-in, close the cache); it runs off the UI
	// goroutine. The shell then shows the sign-in screen.
	SignOut func(svc session.Session) error
	// Pages are the other areas' pages; the navigation shows only those given.
	Pages    []Page
	Settings []SettingsSection
	// DefaultBackendURL prefills the sign-in screen when no profile is remembered.
	DefaultBackendURL string
	// ConsoleOptions and ManageOptions tune the pages (tests shorten their clocks).
	ConsoleTick time.Duration
	// Navigator takes the cross-page actions (ui/desk's Controller, which keeps the routes);
	// nil: the shell's own methods, and the Manage page returns to the Fleet Console.
	Navigator Navigator
	// Profiles, when set, lets Settings list, switch and add profiles (see settings.go).
	Profiles Profiles
	// OnSession, when set, is called at the end of Start, once every page that is not Lazy is
	// built, with the shell showing the new session; the func it returns is called when that
	// session's view is torn down. ui/desk uses it for the remembered page and filters and for
	// desktop notifications.
	OnSession func(s *Shell) (stop func())
	// CacheDir is the offline caches' directory, "" for the user's cache directory/fleetdesk;
	// Settings shows its size and clears it.
	CacheDir string
}

// Shell is the main window.
type Shell struct {
	opts Options
	win  fyne.Window
	svc  session.Session

	tabs     *container.AppTabs
	tabPages map[*container.TabItem]string
	unbuilt  map[*container.TabItem]func() // lazy pages not shown yet (Page.Lazy)
	consoleT *container.TabItem
	slot     *fyne.Container // the Console tab's content: the console or a Manage page
	// slots hold every other tab's content, so a Manage page can be shown in the tab it was
	// opened from (the sidebar keeps highlighting the page the dealer came from).
	slots      map[*container.TabItem]*fyne.Container
	tabContent map[*container.TabItem]fyne.CanvasObject // each slot's own page
	console    *fleetconsole.Page
	manage     *manage.Page
	manageT    *container.TabItem // the tab showing the Manage page, while one is open
	bar        *statusBar
	banner     *banner
	updates    *widget.Label // Settings' account of live updates
	pages      []Page

	signIn    *signInScreen
	welcome   *welcome // a first run's screen, while shown
	firstSync *firstSync
	// parked is the session the dealer left for the sign-in screen from the banner: "Back to the
	// cached fleet" returns to it. The app closes it when another session starts.
	parked session.Session

	run  *kit.Runner // the shell's own work (sign-in calls), until Close
	view *kit.Runner // the session view's subscriptions and clocks, until teardown

	onStarted func() // for tests: Start has finished
}

// New makes the shell and shows the screen Options.Start names (the sign-in form by default).
// Call Start once a session exists (a resumed sign-in, demo mode).
func New(opts Options) *Shell {
	if opts.UI == nil {
		opts.UI = kit.FyneDo
	}
	s := &Shell{opts: opts, win: opts.Window, run: kit.NewRunner(opts.UI)}
	if s.win == nil {
		s.win = opts.App.NewWindow("FleetDesk")
		s.win.Resize(fyne.NewSize(1280, 820))
		s.win.SetMaster()
		s.win.SetOnClosed(s.teardown)
	}
	s.installKeys()
	s.showStart()
	return s
}

// Window is the main window.
func (s *Shell) Window() fyne.Window { return s.win }

// Service is the session shown, nil on the sign-in screen.
func (s *Shell) Service() session.Session { return s.svc }

// FleetConsole is the Fleet Console page, nil on the sign-in screen.
func (s *Shell) FleetConsole() *fleetconsole.Page { return s.console }

// Manage is the open Manage page, nil when none.
func (s *Shell) Manage() *manage.Page { return s.manage }

// ShowSignIn tears down any session view and shows the sign-in screen with an optional error.
func (s *Shell) ShowSignIn(errText string) {
	s.showSignIn(errText, "")
}

// ShowSignInFor shows the sign-in screen with a note saying what the sign-in is for (a new
// profile): information, not an error.
func (s *Shell) ShowSignInFor(note string) {
	s.showSignIn("", "")
	s.signIn.setNote(note)
}

// ShowSignInError is ShowSignIn for an error: its dealer words on screen, the technical text under
// Details (words.Describe).
func (s *Shell) ShowSignInError(err error) {
	if err == nil {
		s.ShowSignIn("")
		return
	}
	d := words.Describe(err)
	s.showSignIn(d.Summary+".", d.Detail)
}

func (s *Shell) showSignIn(errText, detail string) {
	s.parked = nil
	s.teardown()
	s.welcome = nil
	s.win.SetTitle("FleetDesk — sign in")
	s.signIn = newSignInScreen(s)
	s.signIn.setErrorDetail(errText, detail)
	s.win.SetContent(s.signIn.content)
	s.signIn.focus()
}

// signInAgain is the banner's Sign in: the sign-in screen, with a way back to the session's
// cached fleet.
func (s *Shell) signInAgain() {
	svc := s.svc
	s.ShowSignIn("")
	s.parked = svc
	if svc != nil {
		// The same account again: only the password is left to type.
		st := svc.Status()
		s.signIn.prefill(st.BackendURL, st.UserEmail)
	}
	s.signIn.offerBack(svc != nil)
}

// Start shows the main window for a session.
func (s *Shell) Start(svc session.Session) {
	// A field of the sign-in screen may hold the focus; its blinking cursor would keep animating
	// (a frame every display refresh) after the screen is gone.
	s.win.Canvas().Unfocus()
	s.parked = nil
	s.teardown()
	s.signIn, s.welcome = nil, nil
	s.svc = svc
	s.console = s.newConsole(svc)
	s.slot = container.NewStack(s.console.Content())
	s.firstSync = newFirstSync()

	s.pages = orderPages(s.opts.Pages)
	s.view = kit.NewRunner(s.opts.UI)
	env := s.env()
	s.tabPages = map[*container.TabItem]string{}
	s.unbuilt = map[*container.TabItem]func(){}
	s.slots = map[*container.TabItem]*fyne.Container{}
	s.tabContent = map[*container.TabItem]fyne.CanvasObject{}
	s.consoleT = container.NewTabItemWithIcon(PageFleetConsole, theme.ListIcon(), s.slot)
	items := []*container.TabItem{s.consoleT}
	s.tabPages[s.consoleT] = PageFleetConsole
	for _, p := range s.pages {
		if p.Build == nil {
			continue
		}
		icon := p.Icon
		if icon == nil {
			icon = theme.DocumentIcon()
		}
		if !p.Lazy {
			content := p.Build(env)
			slot := container.NewStack(content)
			ti := container.NewTabItemWithIcon(p.Name, icon, slot)
			s.tabPages[ti], s.slots[ti], s.tabContent[ti] = p.Name, slot, content
			items = append(items, ti)
			continue
		}
		holder := container.NewStack()
		slot := container.NewStack(holder)
		ti := container.NewTabItemWithIcon(p.Name, icon, slot)
		s.tabPages[ti], s.slots[ti], s.tabContent[ti] = p.Name, slot, holder
		items = append(items, ti)
		build := p.Build
		s.unbuilt[ti] = func() {
			holder.Objects = []fyne.CanvasObject{build(env)}
			holder.Refresh()
		}
	}
	settings := container.NewTabItemWithIcon(PageSettings, theme.SettingsIcon(), newSettings(s, env))
	s.tabPages[settings] = PageSettings
	items = append(items, settings)
	s.tabs = container.NewAppTabs(items...)
	s.tabs.OnSelected = s.buildIfLazy
	s.tabs.SetTabLocation(container.TabLocationLeading)

	s.bar = newStatusBar(s)
	s.banner = newBanner(s)
	s.win.SetContent(container.NewBorder(s.banner.content, s.bar.content, nil, nil, s.tabs))
	s.updateStatus()
	s.view.Subscribe(svc, func(ch session.Change) {
		if ch.Status || ch.All {
			s.updateStatus()
		}
	})
	s.view.Ticker(time.Second, s.bar.tick)
	// The search box is not focused at start: a focused entry's blinking cursor repaints the window
	// every frame, for as long as the app sits open. Typing anywhere goes to the search (typedRune).
	if s.opts.OnSession != nil {
		if stop := s.opts.OnSession(s); stop != nil {
			s.view.OnClose(stop)
		}
	}
	if s.onStarted != nil {
		s.onStarted()
	}
}

func (s *Shell) env() Env {
	nav := s.nav()
	e := Env{Service: s.svc, Window: s.win, OpenManage: nav.OpenManage, UI: s.opts.UI}
	if s.page(PageFleetMap) != nil {
		e.ShowOnMap = nav.ShowOnMap
	}
	return e
}

// page is the registered page of that name, nil when there is none.
func (s *Shell) page(name string) *Page {
	for i := range s.pages {
		if s.pages[i].Name == name && s.pages[i].Build != nil {
			return &s.pages[i]
		}
	}
	return nil
}

// OpenManage shows a unit's Manage page in the tab shown now, replacing any open one (see
// OpenManageOn).
func (s *Shell) OpenManage(deviceID string) { s.OpenManageOn(s.CurrentPage(), deviceID) }

// OpenManageOn shows a unit's Manage page in the tab of page (the Fleet Console's when page is
// empty, Settings or unknown), replacing any open one: opened from a Fleet Map card it is shown in
// the map's tab, so the sidebar still says where the dealer came from. Its links (back, Show on
// map, Recovery) go through the Navigator.
func (s *Shell) OpenManageOn(page, deviceID string) {
	if s.svc == nil {
		return
	}
	s.CloseManage()
	host := s.tab(page)
	if host == nil || page == PageSettings {
		host = s.consoleT
	}
	nav := s.nav()
	opts := manage.Options{Window: s.win, OnBack: nav.Back, BackLabel: nav.BackLabel(), UI: s.opts.UI}
	if s.page(PageFleetMap) != nil {
		opts.OnShowOnMap = nav.ShowOnMap
	}
	if s.page(PageRecovery) != nil {
		opts.OpenRecovery = nav.OpenRecovery
	}
	s.manage, s.manageT = manage.New(s.svc, deviceID, opts), host
	slot := s.hostSlot(host)
	slot.Objects = []fyne.CanvasObject{s.manage.Content()}
	slot.Refresh()
	s.tabs.Select(host)
	s.win.Canvas().Unfocus()
}

// ManagePage names the page whose tab shows the open Manage page ("" when none is open).
func (s *Shell) ManagePage() string {
	if s.manage == nil {
		return ""
	}
	return s.tabPages[s.manageT]
}

// tab is the navigation entry of that page, nil when there is none.
func (s *Shell) tab(page string) *container.TabItem {
	if s.tabs == nil {
		return nil
	}
	for _, ti := range s.tabs.Items {
		if s.tabPages[ti] == page {
			return ti
		}
	}
	return nil
}

// hostSlot is the container that holds a tab's content.
func (s *Shell) hostSlot(ti *container.TabItem) *fyne.Container {
	if slot, ok := s.slots[ti]; ok {
		return slot
	}
	return s.slot
}

// BackToFleetConsole closes the Manage page and shows the Fleet Console, which kept its search, selection
// and scroll.
func (s *Shell) BackToFleetConsole() {
	s.CloseManage()
	if s.tabs != nil {
		s.tabs.Select(s.consoleT)
	}
}

// CloseManage closes the Manage page: the tab that showed it shows its own page again (whichever
// tab is selected).
func (s *Shell) CloseManage() {
	host := s.manageT
	s.closeManage()
	if s.slot == nil {
		return
	}
	if slot, ok := s.slots[host]; ok {
		slot.Objects = []fyne.CanvasObject{s.tabContent[host]}
		slot.Refresh()
		return
	}
	s.slot.Objects = []fyne.CanvasObject{s.consoleView()}
	s.slot.Refresh()
}

func (s *Shell) closeManage() {
	if s.manage != nil {
		s.manage.Close()
		s.manage, s.manageT = nil, nil
	}
}

// ShowOnMap switches to the Map page and asks it to show the unit; without a Map page it does
// nothing.
func (s *Shell) ShowOnMap(deviceID string) {
	p := s.page(PageFleetMap)
	if p == nil {
		return
	}
	s.ShowPage(PageFleetMap)
	if p.ShowDevice != nil {
		p.ShowDevice(deviceID)
	}
}

// teardown stops everything the current session view runs.
func (s *Shell) teardown() {
	if s.view != nil {
		s.view.Close()
		s.view = nil
	}
	s.closeManage()
	if s.console != nil {
		s.console.Close()
		s.console = nil
	}
	for _, p := range s.pages {
		if p.Close != nil {
			p.Close()
		}
	}
	s.pages = nil
	s.tabs = nil
	s.svc = nil
}

// Close stops the shell's goroutines (the window itself is the app's).
func (s *Shell) Close() {
	s.teardown()
	s.run.Close()
}

func (s *Shell) updateStatus() {
	if s.svc == nil {
		return
	}
	st := s.svc.Status()
	title := "FleetDesk"
	if st.DealerName != "" {
		title += " — " + st.DealerName
	}
	if st.Demo {
		title += " (DEMO)"
	}
	s.win.SetTitle(title)
	s.bar.update(st)
	s.banner.update(st)
	if s.updates != nil {
		setText(s.updates, UpdatesDetail(st))
	}
	s.firstSync.update(st, s.svc.Fleet().Len())
	s.showConsoleView()
}
