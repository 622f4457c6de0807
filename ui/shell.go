// Package ui is FleetDesk's window shell: the sign-in screen, the main window with its navigation
// (Console, Map, Rollouts, Tokens, Recovery, Settings — whichever exist), the status bar (backend,
// dealer, DEMO badge, online/offline, "synced 12 s ago", sync progress), the offline banner, the
// Settings page and the keyboard shortcuts. The pages themselves live in sub-packages; pages
// from other areas plug in as a Page (name, icon, build func).
//
// Threading: every widget here is touched on the UI goroutine. Session changes and clocks arrive
// through ui/kit's bridge, the one place that calls fyne.Do.
package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/console"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/manage"
)

// Page names, in navigation order. Pages with other names go after Recovery.
const (
	PageConsole  = "Console"
	PageMap      = "Map"
	PageRollouts = "Rollouts"
	PageTokens   = "Tokens"
	PageRecovery = "Recovery"
	PageSettings = "Settings"
)

var pageOrder = []string{PageConsole, PageMap, PageRollouts, PageTokens, PageRecovery, PageSettings}

// Env is what a page gets to build itself.
type Env struct {
	Service session.Service
	Window  fyne.Window
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
}

// SettingsSection is a block another area adds to the Settings page (the map's tile source).
type SettingsSection struct {
	Title string
	Build func(env Env) fyne.CanvasObject
}

// SignInFunc signs in to a backend. It runs off the UI goroutine; its error is shown as is, so it
// should say what went wrong in words ("wrong email or password", "cannot reach ...").
type SignInFunc func(ctx context.Context, backendURL, email, password string) (session.Service, error)

// Options configure the shell.
type Options struct {
	App    fyne.App
	Window fyne.Window // nil: the shell makes one
	// SignIn signs in to a real backend from the sign-in screen.
	SignIn SignInFunc
	// Demo, when set, offers "Try the demo" on the sign-in screen (the embedded simulated backend).
	Demo func(ctx context.Context) (session.Service, error)
	// SignOut ends a session (forget the saved sign-in, close the cache); it runs off the UI
	// goroutine. The shell then shows the sign-in screen.
	SignOut func(svc session.Service) error
	// Pages are the other areas' pages; the navigation shows only those given.
	Pages    []Page
	Settings []SettingsSection
	// DefaultBackendURL prefills the sign-in screen when no profile is remembered.
	DefaultBackendURL string
	// ConsoleOptions and ManageOptions tune the pages (tests shorten their clocks).
	ConsoleTick time.Duration
	ManagePoll  time.Duration
	// ConsoleFilterChanged, when set, hears the dealer's search and chip changes on the console,
	// so a page with the same filters (the map) can follow; Console().SetFilter goes the other way.
	ConsoleFilterChanged func(fleet.Filter)
	// Profiles, when set, lets Settings list, switch and add profiles (see settings.go).
	Profiles Profiles
	// OnSession, when set, is called at the end of Start with the shell showing the new session;
	// the func it returns is called when that session's view is torn down. ui/desk uses it for
	// the remembered page and filters and for desktop notifications.
	OnSession func(s *Shell) (stop func())
	// CacheDir is the offline caches' directory, "" for the user's cache directory/fleetdesk;
	// Settings shows its size and clears it.
	CacheDir string
}

// Shell is the main window.
type Shell struct {
	opts Options
	win  fyne.Window
	svc  session.Service

	tabs     *container.AppTabs
	tabPages map[*container.TabItem]string
	consoleT *container.TabItem
	slot     *fyne.Container // the Console tab's content: the console or a Manage page
	console  *console.Console
	manage   *manage.Page
	bar      *statusBar
	banner   *banner
	pages    []Page

	signIn *signInScreen

	stop []func()

	onStarted func() // for tests: Start has finished
}

// New makes the shell and shows the sign-in screen. Call Start instead when a session already
// exists (a resumed sign-in, demo mode).
func New(opts Options) *Shell {
	s := &Shell{opts: opts, win: opts.Window}
	if s.win == nil {
		s.win = opts.App.NewWindow("FleetDesk")
		s.win.Resize(fyne.NewSize(1280, 820))
		s.win.SetMaster()
		s.win.SetOnClosed(s.teardown)
	}
	s.installKeys()
	s.ShowSignIn("")
	return s
}

// Window is the main window.
func (s *Shell) Window() fyne.Window { return s.win }

// Service is the session shown, nil on the sign-in screen.
func (s *Shell) Service() session.Service { return s.svc }

// Console is the Fleet Console, nil on the sign-in screen.
func (s *Shell) Console() *console.Console { return s.console }

// Manage is the open Manage page, nil when none.
func (s *Shell) Manage() *manage.Page { return s.manage }

// ShowSignIn tears down any session view and shows the sign-in screen with an optional error.
func (s *Shell) ShowSignIn(errText string) {
	s.teardown()
	s.win.SetTitle("FleetDesk — sign in")
	s.signIn = newSignInScreen(s)
	s.signIn.setError(errText)
	s.win.SetContent(s.signIn.content)
	s.signIn.focus()
}

// Start shows the main window for a session.
func (s *Shell) Start(svc session.Service) {
	s.teardown()
	s.signIn = nil
	s.svc = svc
	s.console = console.New(svc, console.Options{OnManage: s.OpenManage, Window: s.win, Tick: s.opts.ConsoleTick,
		OnFilterChanged: s.opts.ConsoleFilterChanged})
	s.slot = container.NewStack(s.console.Content())

	s.pages = orderPages(s.opts.Pages)
	env := s.env()
	s.tabPages = map[*container.TabItem]string{}
	s.consoleT = container.NewTabItemWithIcon(PageConsole, theme.ListIcon(), s.slot)
	items := []*container.TabItem{s.consoleT}
	s.tabPages[s.consoleT] = PageConsole
	for _, p := range s.pages {
		if p.Build == nil {
			continue
		}
		icon := p.Icon
		if icon == nil {
			icon = theme.DocumentIcon()
		}
		ti := container.NewTabItemWithIcon(p.Name, icon, p.Build(env))
		s.tabPages[ti] = p.Name
		items = append(items, ti)
	}
	settings := container.NewTabItemWithIcon(PageSettings, theme.SettingsIcon(), newSettings(s, env))
	s.tabPages[settings] = PageSettings
	items = append(items, settings)
	s.tabs = container.NewAppTabs(items...)
	s.tabs.SetTabLocation(container.TabLocationLeading)

	s.bar = newStatusBar(s)
	s.banner = newBanner(s)
	s.win.SetContent(container.NewBorder(s.banner.content, s.bar.content, nil, nil, s.tabs))
	s.updateStatus()
	s.stop = append(s.stop,
		kit.Subscribe(svc, func(ch session.Change) {
			if ch.Status || ch.All {
				s.updateStatus()
			}
		}),
		kit.Ticker(time.Second, s.bar.tick),
	)
	s.console.FocusSearch(s.win)
	if s.opts.OnSession != nil {
		if stop := s.opts.OnSession(s); stop != nil {
			s.stop = append(s.stop, stop)
		}
	}
	if s.onStarted != nil {
		s.onStarted()
	}
}

func (s *Shell) env() Env {
	e := Env{Service: s.svc, Window: s.win, OpenManage: s.OpenManage}
	if s.mapPage() != nil {
		e.ShowOnMap = s.ShowOnMap
	}
	return e
}

func (s *Shell) mapPage() *Page {
	for i := range s.pages {
		if s.pages[i].Name == PageMap && s.pages[i].Build != nil {
			return &s.pages[i]
		}
	}
	return nil
}

// orderPages puts the known pages in the navigation's order and the rest after them.
func orderPages(pages []Page) []Page {
	out := slices.Clone(pages)
	rank := func(n string) int {
		if i := slices.Index(pageOrder, n); i >= 0 {
			return i
		}
		return len(pageOrder) - 1 // before Settings, which the shell adds last
	}
	slices.SortStableFunc(out, func(a, b Page) int { return rank(a.Name) - rank(b.Name) })
	return out
}

// PageNames lists the navigation entries shown, in order.
func (s *Shell) PageNames() []string {
	if s.tabs == nil {
		return nil
	}
	var out []string
	for _, ti := range s.tabs.Items {
		out = append(out, s.tabPages[ti])
	}
	return out
}

// ShowPage selects a navigation entry by name and reports whether it exists.
func (s *Shell) ShowPage(name string) bool {
	if s.tabs == nil {
		return false
	}
	for _, ti := range s.tabs.Items {
		if s.tabPages[ti] == name {
			s.tabs.Select(ti)
			return true
		}
	}
	return false
}

// CurrentPage is the selected navigation entry's name.
func (s *Shell) CurrentPage() string {
	if s.tabs == nil || s.tabs.Selected() == nil {
		return ""
	}
	return s.tabPages[s.tabs.Selected()]
}

// OpenManage shows a unit's Manage page in the Console tab, replacing any open one.
func (s *Shell) OpenManage(deviceID string) {
	if s.svc == nil {
		return
	}
	s.closeManage()
	opts := manage.Options{Window: s.win, OnBack: s.BackToConsole, Poll: s.opts.ManagePoll}
	if s.mapPage() != nil {
		opts.OnShowOnMap = s.ShowOnMap
	}
	s.manage = manage.New(s.svc, deviceID, opts)
	s.slot.Objects = []fyne.CanvasObject{s.manage.Content()}
	s.slot.Refresh()
	s.tabs.Select(s.consoleT)
	s.win.Canvas().Unfocus()
}

// BackToConsole closes the Manage page; the console kept its search, selection and scroll.
func (s *Shell) BackToConsole() {
	s.closeManage()
	if s.slot == nil {
		return
	}
	s.slot.Objects = []fyne.CanvasObject{s.console.Content()}
	s.slot.Refresh()
	s.tabs.Select(s.consoleT)
}

func (s *Shell) closeManage() {
	if s.manage != nil {
		s.manage.Close()
		s.manage = nil
	}
}

// ShowOnMap switches to the Map page and asks it to show the unit; without a Map page it does
// nothing.
func (s *Shell) ShowOnMap(deviceID string) {
	p := s.mapPage()
	if p == nil {
		return
	}
	s.ShowPage(PageMap)
	if p.ShowDevice != nil {
		p.ShowDevice(deviceID)
	}
}

// FocusSearch goes to the console and puts the cursor in its search box (Ctrl/Cmd+F).
func (s *Shell) FocusSearch() {
	if s.console == nil {
		return
	}
	if s.manage != nil || s.CurrentPage() != PageConsole {
		s.BackToConsole()
	}
	s.console.FocusSearch(s.win)
}

// installKeys wires the window's keyboard: Ctrl/Cmd+F search, Enter open, Esc close.
func (s *Shell) installKeys() {
	c := s.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { s.FocusSearch() })
	c.SetOnTypedKey(func(k *fyne.KeyEvent) { s.typedKey(k) })
}

// typedKey handles keys no focused widget took.
func (s *Shell) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		if kit.DismissTop(s.win.Canvas()) {
			return
		}
		if s.manage != nil {
			s.BackToConsole()
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if kit.OpenDialogs(s.win.Canvas()) > 0 || s.console == nil || s.manage != nil {
			return
		}
		if s.CurrentPage() == PageConsole {
			s.console.OpenSelected()
		}
	}
}

// teardown stops everything the current session view runs.
func (s *Shell) teardown() {
	for _, f := range s.stop {
		f()
	}
	s.stop = nil
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
func (s *Shell) Close() { s.teardown() }

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
}
