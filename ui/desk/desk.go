// Package desk assembles FleetDesk's window: the shell from package ui plus every page another area
// contributes (Map, Rollouts, Tokens, Recovery) and the map's tile-source settings. cmd/fleetdesk
// calls NewShell; tests build the same window with the same call, so what they check is what a
// dealer gets.
package desk

import (
	"encoding/json"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/paths"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/console"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/mappage"
	"github.com/fleetdesk/fleetdesk/ui/notify"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
	recoverypage "github.com/fleetdesk/fleetdesk/ui/recovery"
	"github.com/fleetdesk/fleetdesk/ui/rollouts"
	"github.com/fleetdesk/fleetdesk/ui/tokens"
)

// mapIcon is a location pin: Fyne's theme has no map icon. Themed, so it follows light and dark.
var mapIcon = theme.NewThemedResource(fyne.NewStaticResource("map-pin.svg", []byte(
	`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000000" d="M12 2C8.13 2 5 5.13 5 9c0 5.25 7 13 7 13s7-7.75 7-13c0-3.87-3.13-7-7-7zm0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z"/></svg>`)))

// Options are the shell's options; Pages and Settings are filled in here.
type Options = ui.Options

// NewShell makes the window with every page.
func NewShell(opts Options) *ui.Shell {
	tileCfg := &tileSettings{app: opts.App}
	var sh *ui.Shell
	m := &mapSlot{tiles: tileCfg, console: func() *console.Console {
		if sh == nil {
			return nil
		}
		return sh.Console()
	}}
	// The console and the map share one filter: each follows the dealer's changes on the other.
	if prev := opts.ConsoleFilterChanged; prev != nil {
		opts.ConsoleFilterChanged = func(f fleet.Filter) { m.setFilter(f); prev(f) }
	} else {
		opts.ConsoleFilterChanged = m.setFilter
	}
	// Settings, remembered state and desktop notifications (a test app's preferences in tests).
	app := opts.App
	if app == nil {
		app = fyne.CurrentApp()
	}
	pr := prefs.New(app.Preferences())
	pr.ApplyTheme(app)
	notes := notify.New(app, pr)
	mem := &remembered{prefs: pr, notes: notes, m: m}
	if prev := opts.OnSession; prev != nil {
		opts.OnSession = func(sh *ui.Shell) func() {
			stopPrev, stop := prev(sh), mem.onSession(sh)
			return func() { stop(); stopPrev() }
		}
	} else {
		opts.OnSession = mem.onSession
	}
	var ro *rollouts.Page
	var tk *tokens.Page
	var rc *recoverypage.Page
	opts.Pages = append(opts.Pages,
		ui.Page{Name: ui.PageMap, Icon: mapIcon, Build: m.build, ShowDevice: m.showDevice, Close: m.close, Lazy: true},
		ui.Page{Name: ui.PageRollouts, Icon: theme.UploadIcon(), Build: func(env ui.Env) fyne.CanvasObject {
			opts := rolloutOptions(env, func() *ui.Shell { return sh })
			opts.Threshold, opts.Notify = pr.Threshold(), notes.Rollouts
			ro = rollouts.New(env.Service, opts)
			return ro.Content()
		}, Close: func() {
			if ro != nil {
				ro.Close()
			}
		}},
		ui.Page{Name: ui.PageTokens, Icon: theme.AccountIcon(), Build: func(env ui.Env) fyne.CanvasObject {
			tk = tokens.New(env.Service, tokens.Options{Window: env.Window, UI: env.UI})
			return tk.Content()
		}, Close: func() {
			if tk != nil {
				tk.Close()
			}
		}},
		ui.Page{Name: ui.PageRecovery, Icon: theme.StorageIcon(), Build: func(env ui.Env) fyne.CanvasObject {
			deps := recoverypage.Deps{Window: env.Window, UI: env.UI, Baud: pr.Baud()}
			// Optional (see session.Recovery): without a cache the page offers files only.
			if data, ok := env.Service.(session.Recovery); ok {
				deps.Data = flashNoting{data, notes.FlashLog(data.RecoveryLog())}
			}
			rc = recoverypage.NewPage(deps)
			return rc.Content()
		}, Close: func() {
			if rc != nil {
				rc.Close()
			}
		}},
	)
	// Manage's Firmware group links to the Recovery page, pre-filled for the unit.
	opts.OpenRecovery = func(model fleet.Model, transport fleet.Transport) {
		if sh == nil || !sh.ShowPage(ui.PageRecovery) || rc == nil {
			return // ShowPage builds the page the first time (Page.Lazy)
		}
		rc.Prefill(model, transport)
	}
	opts.Settings = append(opts.Settings, ui.SettingsSection{Title: "Map tiles", Build: func(env ui.Env) fyne.CanvasObject {
		// The form's background work (an MBTiles import) stops with the session's pages.
		m.settingsRun = kit.NewRunner(env.UI)
		return tileCfg.form(env.Window, m.settingsRun, m.setTiles)
	}})
	sh = ui.New(opts)
	return sh
}

// rolloutUnits names the Fleet Console's chip for the units the Firmware Rollouts monitor shows.
const rolloutUnits = "Units of the firmware rollout"

// rolloutOptions wires the Firmware Rollouts page into the window: a unit opens its Manage page,
// and the monitor's "Show these units in the Fleet Console" goes to the console narrowed to the
// rollout's units (the guide's "monitor versions and online return in Fleet Console").
func rolloutOptions(env ui.Env, shell func() *ui.Shell) rollouts.Options {
	return rollouts.Options{OnManage: env.OpenManage, UI: env.UI, ShowInConsole: func(ids []string) {
		if sh := shell(); sh != nil {
			sh.ShowUnitsInConsole(rolloutUnits, ids)
		}
	}}
}

// pageFlags are the short names `fleetdesk --page` takes for the navigation's pages.
var pageFlags = map[string]string{
	"console":  ui.PageConsole,
	"map":      ui.PageMap,
	"rollouts": ui.PageRollouts,
	"tokens":   ui.PageTokens,
	"recovery": ui.PageRecovery,
	"settings": ui.PageSettings,
}

// OpenPage shows a page by its short name (console, map, rollouts, tokens, recovery, settings) or
// its full name ("Fleet Map"); "manage" opens the first unit of the console.
func OpenPage(s *ui.Shell, name string) {
	if strings.EqualFold(name, "manage") {
		if ix := s.Service().Fleet(); ix.Len() > 0 {
			s.OpenManage(ix.At(0).ID)
		}
		return
	}
	if full, ok := pageFlags[strings.ToLower(name)]; ok {
		name = full
	}
	for _, p := range s.PageNames() {
		if strings.EqualFold(p, name) {
			s.ShowPage(p)
			return
		}
	}
}

// mapSlot is the Map page of the current session, fed by the session's changes.
type mapSlot struct {
	tiles   *tileSettings
	console func() *console.Console // the session's console, nil on the sign-in screen
	page    *mappage.Page
	run     *kit.Runner // the page's session subscription and UI hand-over, until close
	// settingsRun is the Settings section's (tile source form) runner, closed with the page.
	settingsRun *kit.Runner
	// onBuild, when set, is called with the page once it is built (the remembered map view).
	onBuild func(*mappage.Page)
}

func (m *mapSlot) build(env ui.Env) fyne.CanvasObject {
	m.run = kit.NewRunner(env.UI)
	m.page = mappage.New(mappage.Options{
		Tiles:    m.tiles.load(),
		OnManage: env.OpenManage,
		OnFilterChanged: func(f fleet.Filter) {
			if c := m.console(); c != nil {
				c.SetFilter(f)
			}
		},
		UI: m.run.Do,
	})
	svc := env.Service
	m.page.SetFleet(svc.Fleet(), svc.Now())
	if c := m.console(); c != nil {
		m.page.SetFilter(c.Filter())
	}
	if m.onBuild != nil {
		m.onBuild(m.page)
	}
	page := m.page
	page.SetBackendReachable(svc.Status().Online)
	m.run.Subscribe(svc, func(ch session.Change) {
		if ch.Status || ch.All {
			page.SetBackendReachable(svc.Status().Online)
		}
		if len(ch.Devices) > 0 || ch.All {
			page.SetFleet(svc.Fleet(), svc.Now())
		}
	})
	return m.page.Content()
}

func (m *mapSlot) showDevice(id string) {
	if m.page != nil {
		m.page.ShowDevice(id)
	}
}

// setFilter is a search or chip change on the console.
func (m *mapSlot) setFilter(f fleet.Filter) {
	if m.page != nil {
		m.page.SetFilter(f)
	}
}

func (m *mapSlot) setTiles(cfg tiles.Config) error {
	if m.page == nil {
		return nil
	}
	return m.page.SetTileConfig(cfg)
}

func (m *mapSlot) close() {
	if m.run != nil {
		m.run.Close()
		m.run = nil
	}
	if m.settingsRun != nil {
		// Not waited for on the UI goroutine: an import in progress finishes in the background.
		r := m.settingsRun
		m.settingsRun = nil
		go r.Close()
	}
	if p := m.page; p != nil {
		m.page = nil
		// Closing waits for the tile workers, and a worker may be waiting to hand a tile to the UI
		// goroutine (its runner): never wait for it on the UI goroutine.
		go p.Close()
	}
}

// tileSettings keeps the dealer's tile source in the app's preferences. It holds no secret of
// FleetDesk's; a tile server key inside a URL template is the dealer's own setting.
type tileSettings struct{ app fyne.App }

const tilePrefKey = "map.tiles"

func (t *tileSettings) load() tiles.Config {
	var cfg tiles.Config
	if t.app != nil {
		if raw := t.app.Preferences().String(tilePrefKey); raw != "" {
			if err := json.Unmarshal([]byte(raw), &cfg); err != nil || cfg.Validate() != nil {
				cfg = tiles.Config{}
			}
		}
	}
	if cfg.Kind == "" {
		cfg.Kind = tiles.KindOSM
	}
	cfg.CacheDir = tileCacheDir()
	if t.app != nil {
		cfg.Version = t.app.Metadata().Version
	}
	return cfg
}

func (t *tileSettings) save(cfg tiles.Config) {
	if t.app == nil {
		return
	}
	cfg.CacheDir = "" // derived at load, so a moved home directory does not break it
	b, err := json.Marshal(cfg)
	if err == nil {
		t.app.Preferences().SetString(tilePrefKey, string(b))
	}
}

// tileCacheDir is where tiles seen online are kept for offline use: under the cache directory,
// so Settings' "Clear cache" frees them.
func tileCacheDir() string {
	d, err := paths.Default()
	if err != nil {
		return ""
	}
	return filepath.Join(d.Cache, "tiles")
}

// flashNoting is the Recovery page's data side with its service log wrapped, so every flash
// result also reaches the desktop notifications.
type flashNoting struct {
	session.Recovery
	log recovery.ServiceLog
}

func (f flashNoting) RecoveryLog() recovery.ServiceLog { return f.log }
