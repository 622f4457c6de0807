package tiles

import (
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
	"time"
)

// Kind picks the map's tile source.
type Kind string

// The tile sources a dealer can choose in Settings.
const (
	KindOSM     Kind = "osm"     // OpenStreetMap's standard tiles (the default)
	KindHTTP    Kind = "http"    // another tile server, by URL template
	KindMBTiles Kind = "mbtiles" // an imported MBTiles file, fully offline
	KindBasemap Kind = "basemap" // only the embedded Natural Earth basemap, no tiles at all
)

// Config is the tile-source part of the settings. The zero value means OpenStreetMap without a
// disk cache; Settings normally sets CacheDir under the user's cache directory.
type Config struct {
	Kind         Kind   `json:"kind,omitempty"`
	URLTemplate  string `json:"url_template,omitempty"` // KindHTTP
	Attribution  string `json:"attribution,omitempty"`  // KindHTTP; default names the host
	MBTilesPath  string `json:"mbtiles_path,omitempty"` // KindMBTiles
	CacheDir     string `json:"cache_dir,omitempty"`    // where network tiles are cached, one MBTiles file per server
	MemoryBudget int64  `json:"-"`                      // bytes of decoded tiles; default 64 MiB
	Version      string `json:"-"`                      // app version, for the User-Agent
	// Timeout per tile request; default 15 s. Tests shorten it.
	Timeout time.Duration `json:"-"`
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch c.Kind {
	case "", KindOSM, KindBasemap:
	case KindHTTP:
		return CheckTemplate(strings.TrimSpace(c.URLTemplate))
	case KindMBTiles:
		if strings.TrimSpace(c.MBTilesPath) == "" {
			return fmt.Errorf("choose an MBTiles file")
		}
	default:
		return fmt.Errorf("unknown tile source %q (known: osm, http, mbtiles, basemap)", c.Kind)
	}
	return nil
}

// Open builds a loader from the settings, opening the source and the disk cache. The loader owns
// and closes them.
func Open(c Config) (*Loader, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var (
		src   Source
		cache *MBTiles
		owned []interface{ Close() error }
	)
	closeAll := func() {
		for _, o := range owned {
			o.Close()
		}
	}
	httpOpts := HTTPOptions{UserAgent: UserAgent(c.Version), Timeout: c.Timeout, Attribution: c.Attribution}
	switch c.Kind {
	case "", KindOSM:
		s, err := NewHTTPSource(OSMTemplate, HTTPOptions{UserAgent: httpOpts.UserAgent, Timeout: c.Timeout, Attribution: OSMAttribution})
		if err != nil {
			return nil, err
		}
		src = s
	case KindHTTP:
		s, err := NewHTTPSource(strings.TrimSpace(c.URLTemplate), httpOpts)
		if err != nil {
			return nil, err
		}
		src = s
	case KindMBTiles:
		m, err := OpenMBTiles(c.MBTilesPath)
		if err != nil {
			return nil, err
		}
		src = m
		owned = append(owned, m)
	}
	// Only network tiles go through the disk cache: an MBTiles file is already on disk.
	if hs, isHTTP := src.(*HTTPSource); isHTTP && c.CacheDir != "" {
		m, err := OpenCache(CachePath(c.CacheDir, hs.tmpl), "FleetDesk cache of "+hs.Attribution())
		if err != nil {
			closeAll()
			return nil, err
		}
		cache = m
		owned = append(owned, m)
	}
	l, err := NewLoader(LoaderOptions{Source: src, Cache: cache, MemoryBudget: c.MemoryBudget})
	if err != nil {
		closeAll()
		return nil, err
	}
	l.owned = owned
	return l, nil
}

// CachePath is the disk cache file for one tile server: each server gets its own file, so
// switching sources never mixes their tiles.
func CachePath(dir, tmpl string) string {
	if tmpl == OSMTemplate {
		return filepath.Join(dir, "osm.mbtiles")
	}
	h := fnv.New32a()
	h.Write([]byte(tmpl))
	return filepath.Join(dir, fmt.Sprintf("tiles-%08x.mbtiles", h.Sum32()))
}
