package desk

import (
	"encoding/json"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/mapview/tiles"
)

// FuzzStoredTileSource puts raw where the map's tile source is remembered, as a hand-edited or
// stale preferences file would. The map must always get a source it can open (a stored one that
// decodes and validates, else OpenStreetMap), its tile cache always in FleetDesk's own cache
// directory whatever the file says, and what it got must survive being saved and loaded again.
// Seed corpus: testdata/fuzz/FuzzStoredTileSource.
func FuzzStoredTileSource(f *testing.F) {
	a := test.NewApp()
	ts := &tileSettings{app: a}
	f.Fuzz(func(t *testing.T, raw string) {
		a.Preferences().SetString(tilePrefKey, raw)
		cfg := ts.load()
		if err := cfg.Validate(); err != nil || cfg.Kind == "" {
			t.Fatalf("stored %q gave a source the map cannot open: %+v (%v)", raw, cfg, err)
		}
		if cfg.CacheDir != tileCacheDir() {
			t.Fatalf("stored %q moved the tile cache to %q", raw, cfg.CacheDir)
		}
		var stored tiles.Config
		if raw != "" && json.Unmarshal([]byte(raw), &stored) == nil && stored.Validate() == nil {
			if stored.Kind == "" {
				stored.Kind = tiles.KindOSM
			}
			if cfg.Kind != stored.Kind || cfg.URLTemplate != stored.URLTemplate || cfg.MBTilesPath != stored.MBTilesPath ||
				cfg.Attribution != stored.Attribution {
				t.Fatalf("stored %q, a valid source, was read as %+v", raw, cfg)
			}
		} else if cfg.Kind != tiles.KindOSM || cfg.URLTemplate != "" || cfg.MBTilesPath != "" {
			t.Fatalf("stored %q, no valid source, was read as %+v instead of OpenStreetMap", raw, cfg)
		}
		ts.save(cfg)
		if again := ts.load(); again != cfg {
			t.Fatalf("source %+v saved and loaded as %+v", cfg, again)
		}
	})
}
