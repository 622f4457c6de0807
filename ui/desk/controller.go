package desk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/notify"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
	recoverypage "github.com/fleetdesk/fleetdesk/ui/recovery"
	"github.com/fleetdesk/fleetdesk/ui/rollouts"
	"github.com/fleetdesk/fleetdesk/ui/tokens"
)

// Route is a place in the window: a page of the navigation, or one unit's Manage page.
type Route struct {
	Page string // ui.PageConsole … ui.PageSettings, or PageManage
	Unit string // the unit of a Manage route, or the unit a Map route shows
	// Tab is the page whose tab shows a Manage route (the page it was opened from, which the
	// sidebar keeps highlighting); "" opens it in the tab shown at the time.
	Tab string
}

// PageManage names the Manage page's routes (it opens inside the Fleet Console's tab).
const PageManage = "Manage"

// maxBack bounds the back stack: a long day of links keeps the last few places, not all.
const maxBack = 32

// Controller is the window's wiring: it owns the pages ui/desk adds to the shell (Map, Rollouts,
// Tokens, Recovery and the map's Settings section), the routes between them with their back
// stack, and every action that crosses pages (open a unit's Manage page, show it on the map,
// open Recovery for its model, show some units in the Fleet Console, the Fleet Console and map sharing one
// filter). It is the shell's ui.Navigator: every link on any page comes here. The order of its
// construction is New's, step by step; nothing is decided by when a closure happens to run.
type Controller struct {
	shell *ui.Shell
	prefs prefs.Store
	notes *notify.Desktop
	tiles *tileSettings
	mem   *remembered

	// The pages, set by their Build when the shell builds them for a session (Map lazily, at
	// first show) and cleared by their Close.
	maps     *mapSlot
	rollouts *rollouts.Page
	tokens   *tokens.Page
	recovery *recoverypage.Page

	back []Route // where Back returns, the newest last

	// sharedFilter, in tests, observes the Fleet Console's filter changes the map is told about.
	sharedFilter func(fleet.Filter)
}

// New makes the window with every page, in this order: the app's settings (theme, preferences,
// notifications), the pages and the settings section, then the shell with the Controller as its
// Navigator and session hook. cmd/fleetdesk calls it; tests build the same window with it.
func New(opts Options) *Controller {
	app := opts.App
	if app == nil {
		app = fyne.CurrentApp()
	}
	c := &Controller{prefs: prefs.New(app.Preferences()), tiles: &tileSettings{app: opts.App}}
	c.prefs.ApplyTheme(app)
	c.notes = notify.New(app, c.prefs)
	c.maps = &mapSlot{tiles: c.tiles, shared: c.consoleFilter, share: c.mapFilterChanged}
	c.mem = &remembered{prefs: c.prefs, notes: c.notes, m: c.maps}

	opts.Pages = append(opts.Pages, c.pages()...)
	opts.Settings = append(opts.Settings, ui.SettingsSection{Title: "Map tiles", Build: c.tileSettingsSection})
	opts.Navigator = c
	opts.OnSession = c.sessionShown
	c.shell = ui.New(opts)
	return c
}

// Shell is the window.
func (c *Controller) Shell() *ui.Shell { return c.shell }

// pages are the pages ui/desk adds, each building itself into the Controller's field.
func (c *Controller) pages() []ui.Page {
	return []ui.Page{
		{Name: ui.PageFleetMap, Icon: mapIcon, Build: c.maps.build, ShowDevice: c.maps.showDevice, Close: c.maps.close, Lazy: true},
		{Name: ui.PageRollouts, Icon: theme.UploadIcon(), Build: func(env ui.Env) fyne.CanvasObject {
			opts := c.rolloutOptions(env)
			opts.Threshold, opts.Notify = c.prefs.Threshold(), c.notes.Rollouts
			c.rollouts = rollouts.New(env.Service, opts)
			return c.rollouts.Content()
		}, Close: func() {
			if c.rollouts != nil {
				c.rollouts.Close()
				c.rollouts = nil
			}
		}},
		{Name: ui.PageTokens, Icon: theme.AccountIcon(), Build: func(env ui.Env) fyne.CanvasObject {
			c.tokens = tokens.New(env.Service, tokens.Options{Window: env.Window, UI: env.UI})
			return c.tokens.Content()
		}, Close: func() {
			if c.tokens != nil {
				c.tokens.Close()
				c.tokens = nil
			}
		}},
		{Name: ui.PageRecovery, Icon: theme.StorageIcon(), Build: func(env ui.Env) fyne.CanvasObject {
			// The page starts on the port and baud a unit last answered on (a laptop's own
			// cable, across restarts).
			deps := recoverypage.Deps{Window: env.Window, UI: env.UI, Baud: c.prefs.Baud(), LastPort: c.prefs.LastPort(),
				Remember: func(port string, baud int) { c.prefs.SetLastPort(port); c.prefs.SetBaud(baud) }}
			// Optional (see session.Recovery): without a cache the page offers files only.
			if data, ok := env.Service.(session.Recovery); ok {
				deps.Data = flashNoting{data, c.notes.FlashLog(data.RecoveryLog())}
			}
			c.recovery = recoverypage.NewPage(deps)
			return c.recovery.Content()
		}, Close: func() {
			if c.recovery != nil {
				c.recovery.Close()
				c.recovery = nil
			}
		}},
	}
}

// tileSettingsSection is the Settings page's "Map tiles": Apply switches the open map at once.
func (c *Controller) tileSettingsSection(env ui.Env) fyne.CanvasObject {
	// The form's background work (an MBTiles import) stops with the session's pages.
	c.maps.settingsRun = kit.NewRunner(env.UI)
	return c.tiles.form(env.Window, c.maps.settingsRun, c.maps.setTiles)
}

// rolloutUnits names the Fleet Console's chip for the units the Firmware Rollouts monitor shows.
const rolloutUnits = "Units of the firmware rollout"

// rolloutOptions wires the Firmware Rollouts page into the window: a unit opens its Manage page,
// and the monitor's "Show these units in the Fleet Console" goes to the Fleet Console narrowed to the
// rollout's units (the guide's "monitor versions and online return in Fleet Console").
func (c *Controller) rolloutOptions(env ui.Env) rollouts.Options {
	return rollouts.Options{OnManage: c.OpenManage, UI: env.UI, ShowInConsole: func(ids []string) {
		c.ShowUnitsInFleetConsole(rolloutUnits, ids)
	}}
}

// sessionShown is the shell's session hook: the remembered state comes back, then desktop
// notifications watch the session; when its view closes the state is saved and the routes end.
func (c *Controller) sessionShown(*ui.Shell) (stop func()) {
	stopMem := c.mem.onSession(c)
	return func() {
		stopMem()
		c.back = nil
	}
}

// Current is where the window is: the Manage page when one is open in the tab shown.
func (c *Controller) Current() Route {
	page := c.shell.CurrentPage()
	if m := c.shell.Manage(); m != nil && page == c.shell.ManagePage() {
		return Route{Page: PageManage, Unit: m.DeviceID(), Tab: page}
	}
	return Route{Page: page}
}

// Navigate goes to r and remembers where the window was, for Back.
func (c *Controller) Navigate(r Route) {
	if cur := c.Current(); cur != r && cur.Page != "" {
		c.back = append(c.back, cur)
		if len(c.back) > maxBack {
			c.back = c.back[len(c.back)-maxBack:]
		}
	}
	c.show(r)
}

// Back returns to where the window was before the last Navigate (the Fleet Console when it
// remembers nothing): the Manage page's back button and Esc.
func (c *Controller) Back() {
	r := Route{Page: ui.PageFleetConsole}
	if n := len(c.back); n > 0 {
		r, c.back = c.back[n-1], c.back[:n-1]
	}
	if r.Page != PageManage {
		c.shell.CloseManage() // leaving the Manage page for good
	}
	c.show(r)
}

// BackLabel names where Back leads.
func (c *Controller) BackLabel() string {
	if n := len(c.back); n > 0 {
		if r := c.back[n-1]; r.Page == PageManage {
			return r.Unit
		} else if r.Page != "" {
			return r.Page
		}
	}
	return ui.PageFleetConsole
}

// show puts the window at r, without touching the back stack. A Manage page stays open in its
// tab while another page is shown, as the dealer left it; going to the page under it closes it.
func (c *Controller) show(r Route) {
	if r.Page != PageManage && r.Page == c.shell.ManagePage() {
		c.shell.CloseManage()
	}
	switch r.Page {
	case PageManage:
		tab := r.Tab
		if tab == "" {
			tab = c.shell.CurrentPage()
		}
		c.shell.OpenManageOn(tab, r.Unit)
	case ui.PageFleetConsole:
		c.shell.BackToFleetConsole()
	case ui.PageFleetMap:
		c.shell.ShowPage(ui.PageFleetMap) // builds the lazy page before it returns
		if r.Unit != "" {
			c.maps.showDevice(r.Unit)
		}
	default:
		c.shell.ShowPage(r.Page)
	}
}

// OpenManage opens a unit's Manage page from any page (Navigator).
func (c *Controller) OpenManage(deviceID string) { c.Navigate(Route{Page: PageManage, Unit: deviceID}) }

// ShowOnMap shows a unit on the Fleet Map, centred with its card open (Navigator).
func (c *Controller) ShowOnMap(deviceID string) {
	c.Navigate(Route{Page: ui.PageFleetMap, Unit: deviceID})
}

// OpenRecovery opens the Recovery page pre-filled with a unit's model and transport (Navigator):
// first the page is shown (which builds it), then it is filled in.
func (c *Controller) OpenRecovery(model fleet.Model, transport fleet.Transport) {
	c.Navigate(Route{Page: ui.PageRecovery})
	if c.recovery != nil {
		c.recovery.Prefill(model, transport)
	}
}

// ShowUnitsInFleetConsole goes to the Fleet Console narrowed to these units under a chip named title
// (the Firmware Rollouts monitor's "Show these units in the Fleet Console").
func (c *Controller) ShowUnitsInFleetConsole(title string, ids []string) {
	c.Navigate(Route{Page: ui.PageFleetConsole})
	c.shell.ShowUnitsInFleetConsole(title, ids)
}

// FleetConsoleFilterChanged is the dealer's search or chip change on the Fleet Console: the map follows
// (Navigator). The map reports its own changes to the Fleet Console the other way (mapSlot.build).
func (c *Controller) FleetConsoleFilterChanged(f fleet.Filter) {
	c.maps.setFilter(f)
	if c.sharedFilter != nil {
		c.sharedFilter(f)
	}
}

// mapFilterChanged is the dealer's search or chip change on the map: the Fleet Console follows.
func (c *Controller) mapFilterChanged(f fleet.Filter) {
	if con := c.shell.FleetConsole(); con != nil {
		con.SetFilter(f)
	}
}

// consoleFilter is the filter the Fleet Console shows, which the map starts with when it is built.
func (c *Controller) consoleFilter() fleet.Filter {
	if con := c.shell.FleetConsole(); con != nil {
		return con.Filter()
	}
	return fleet.Filter{}
}

// SetFilter puts one filter in force on both pages that share it (a remembered one): neither
// reports it, so each is told here.
func (c *Controller) SetFilter(f fleet.Filter) {
	if con := c.shell.FleetConsole(); con != nil {
		con.SetFilter(f)
	}
	c.maps.setFilter(f)
}
