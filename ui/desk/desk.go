// Package desk assembles FleetDesk's window: the shell from package ui plus every page another area
// contributes (Map, Rollouts, Tokens, Recovery) and the map's tile-source settings, wired by one
// Controller that owns the routes between the pages and every cross-page action (see
// docs/desk.md). cmd/fleetdesk calls New; tests build the same window with the same call, so what
// they check is what a dealer gets.
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
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/mappage"
)

// mapIcon is a location pin: Fyne's theme has no map icon. Themed, so it follows light and dark.
var mapIcon = theme.NewThemedResource(fyne.NewStaticResource("map-pin.svg", []byte(
	`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000000" d="M12 2C8.13 2 5 5.13 5 9c0 5.25 7 13 7 13s7-7.75 7-13c0-3.87-3.13-7-7-7zm0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z"/></svg>`)))

// Options are the shell's options; Pages, Settings, Navigator and OnSession are the
// Controller's to fill in.
type Options = ui.Options

// pageFlags are the short names `fleetdesk --page` takes for the navigation's pages.
var pageFlags = map[string]string{
	"console":  ui.PageFleetConsole,
	"map":      ui.PageFleetMap,
	"rollouts": ui.PageRollouts,
	"tokens":   ui.PageTokens,
	"recovery": ui.PageRecovery,
	"settings": ui.PageSettings,
}

// OpenPage shows a page by its short name (console, map, rollouts, tokens, recovery, settings) or
// its full name ("Fleet Map"); "manage" opens the first unit's Manage page.
func (c *Controller) OpenPage(name string) {
	if strings.EqualFold(name, "manage") {
		if ix := c.shell.Service().Fleet(); ix.Len() > 0 {
			c.OpenManage(ix.At(0).ID)
		}
		return
	}
	if full, ok := pageFlags[strings.ToLower(name)]; ok {
		name = full
	}
	for _, p := range c.shell.PageNames() {
		if strings.EqualFold(p, name) {
			c.Navigate(Route{Page: p})
			return
		}
	}
}

// mapSlot is the Map page of the current session, fed by the session's changes. The Controller
// links it to the Fleet Console: shared is the filter in force when the page is built, share takes the
// dealer's changes made on the map.
type mapSlot struct {
	tiles  *tileSettings
	shared func() fleet.Filter
	share  func(fleet.Filter)
	page   *mappage.Page
	run    *kit.Runner // the page's session subscription and UI hand-over, until close
	// settingsRun is the Settings section's (tile source form) runner, closed with the page.
	settingsRun *kit.Runner
	// onBuild, when set, is called with the page once it is built (the remembered map view).
	onBuild func(*mappage.Page)
}

func (m *mapSlot) build(env ui.Env) fyne.CanvasObject {
	m.run = kit.NewRunner(env.UI)
	m.page = mappage.New(mappage.Options{
		Tiles:           m.tiles.load(),
		OnManage:        env.OpenManage,
		OnFilterChanged: m.share,
		UI:              m.run.Do,
	})
	svc := env.Service
	m.page.SetFleet(svc.Fleet(), svc.Now())
	m.page.SetFilter(m.shared())
	if m.onBuild != nil {
		m.onBuild(m.page)
	}
	page := m.page
	page.SetBackendReachable(svc.Status().Reachable)
	m.run.Subscribe(svc, func(ch session.Change) {
		if ch.Status || ch.All {
			page.SetBackendReachable(svc.Status().Reachable)
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

// setFilter is a search or chip change on the Fleet Console.
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
