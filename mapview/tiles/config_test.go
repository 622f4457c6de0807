package tiles

import (
	"image/color"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb/maptile"
)

func TestConfigValidateAndOpen(t *testing.T) {
	bad := []Config{{Kind: "bing"}, {Kind: KindHTTP, URLTemplate: "https://x/{z}.png"}, {Kind: KindMBTiles}}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
		if _, err := Open(c); err == nil {
			t.Errorf("%+v opened", c)
		}
	}
	if _, err := Open(Config{Kind: KindMBTiles, MBTilesPath: filepath.Join(t.TempDir(), "none.mbtiles")}); err == nil {
		t.Error("missing MBTiles file opened")
	}

	dir := t.TempDir()
	l, err := Open(Config{CacheDir: dir, Version: "9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Attribution() != OSMAttribution {
		t.Errorf("default attribution %q", l.Attribution())
	}
	l.Close()
	if _, err := OpenMBTiles(filepath.Join(dir, "osm.mbtiles")); err != nil {
		t.Errorf("OSM cache file not created: %v", err)
	}
	if CachePath(dir, "https://a/{z}/{x}/{y}.png") == CachePath(dir, "https://b/{z}/{x}/{y}.png") {
		t.Error("two servers share a cache file")
	}

	k := maptile.New(1, 1, 1)
	path := dealerFile(t, t.TempDir(), map[string]string{"format": "png", "name": "Dealer region"},
		map[maptile.Tile][]byte{k: solidPNG(t, color.RGBA{3, 3, 3, 255})})
	l, err = Open(Config{Kind: KindMBTiles, MBTilesPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Attribution() != "Dealer region" {
		t.Errorf("attribution %q", l.Attribution())
	}
	if img, origin, err := l.Resolve(t.Context(), k); err != nil || origin != OriginSource || !uniform(img, color.RGBA{3, 3, 3, 255}) {
		t.Errorf("mbtiles tile: %v %v", origin, err)
	}
	// The dealer's file covers zoom 1 only; zoom 3 below it comes from the file's tile, scaled.
	if _, origin, _ := l.Resolve(t.Context(), maptile.New(4, 5, 3)); origin != OriginParent {
		t.Errorf("below the file's tiles: %v, want parent", origin)
	}
	b, err := Open(Config{Kind: KindBasemap})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, origin, _ := b.Resolve(t.Context(), k); origin != OriginBasemap {
		t.Errorf("basemap config: %v", origin)
	}
}
