package tiles

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/maptile"
)

func TestMBTilesWriteReadTMS(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.mbtiles")
	c, err := OpenCache(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	tiles := map[maptile.Tile][]byte{
		maptile.New(0, 0, 0):     solidPNG(t, color.RGBA{1, 2, 3, 255}),
		maptile.New(5, 2, 4):     solidPNG(t, color.RGBA{4, 5, 6, 255}),
		maptile.New(1023, 0, 10): solidPNG(t, color.RGBA{7, 8, 9, 255}),
	}
	for k, v := range tiles {
		if err := c.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Put(ctx, maptile.New(9, 0, 2), []byte("x")); err == nil {
		t.Error("a tile outside the world was accepted")
	}
	c.Close()

	// Any MBTiles reader sees TMS rows: y_tms = 2^z - 1 - y.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var row int64
	if err := db.QueryRow(`SELECT tile_row FROM tiles WHERE zoom_level = 4 AND tile_column = 5`).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if row != 16-1-2 {
		t.Errorf("tile_row %d, want %d", row, 13)
	}
	var format string
	db.QueryRow(`SELECT value FROM metadata WHERE name = 'format'`).Scan(&format)
	db.Close()
	if format != "png" {
		t.Errorf("metadata format %q", format)
	}

	r, err := OpenMBTiles(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for k, v := range tiles {
		got, err := r.Fetch(ctx, k)
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("%v: %d bytes, %v", k, len(got), err)
		}
	}
	if _, err := r.Get(ctx, maptile.New(5, 13, 4)); !errors.Is(err, ErrNoTile) {
		t.Errorf("unflipped row found: %v", err)
	}
	if err := r.Put(ctx, maptile.New(0, 0, 0), []byte("x")); err == nil {
		t.Error("read-only file accepted a write")
	}
	if n, _ := r.Count(); n != 3 {
		t.Errorf("count %d", n)
	}
}

// dealerFile builds an MBTiles file the way QGIS or MapTiler would, with their metadata.
func dealerFile(t *testing.T, dir string, meta map[string]string, tiles map[maptile.Tile][]byte) string {
	t.Helper()
	path := filepath.Join(dir, "region.mbtiles")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(mbtilesSchema); err != nil {
		t.Fatal(err)
	}
	for k, v := range meta {
		db.Exec(`INSERT INTO metadata VALUES (?, ?)`, k, v)
	}
	for k, v := range tiles {
		if _, err := db.Exec(`INSERT INTO tiles VALUES (?, ?, ?, ?)`, k.Z, k.X, tmsRow(k), v); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestOpenDealerMBTiles(t *testing.T) {
	dir := t.TempDir()
	k := maptile.New(8, 5, 4)
	path := dealerFile(t, dir, map[string]string{"name": "Region", "format": "png", "maxzoom": "12",
		"attribution": `<a href="https://x">© Region Maps</a>`}, map[maptile.Tile][]byte{k: solidPNG(t, color.RGBA{9, 9, 9, 255})})
	m, err := OpenMBTiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxZoom() != 12 || m.Attribution() != "© Region Maps" {
		t.Errorf("maxzoom %d attribution %q", m.MaxZoom(), m.Attribution())
	}
	m.Close()

	var reported int64
	imported, err := ImportMBTiles(context.Background(), path, filepath.Join(dir, "maps"), func(done, total int64) { reported = done })
	if err != nil {
		t.Fatal(err)
	}
	if imported == path || !strings.HasSuffix(imported, ".mbtiles") {
		t.Errorf("imported to %q", imported)
	}
	if st, _ := os.Stat(path); reported != st.Size() {
		t.Errorf("progress reported %d bytes of %d", reported, st.Size())
	}
	// A cancelled import stops and leaves nothing behind in the maps folder.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	again := filepath.Join(dir, "again")
	if _, err := ImportMBTiles(ctx, path, again, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled import: %v", err)
	}
	if left, _ := os.ReadDir(again); len(left) != 0 {
		t.Errorf("a cancelled import left %d files", len(left))
	}
	m2, err := OpenMBTiles(imported)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if _, err := m2.Get(context.Background(), k); err != nil {
		t.Errorf("imported copy lacks the tile: %v", err)
	}
}

func TestOpenMBTilesRejects(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "photo.mbtiles")
	os.WriteFile(notDB, []byte("\x89PNG this is not sqlite"), 0o644)
	empty := filepath.Join(dir, "empty.mbtiles")
	db, _ := sql.Open("sqlite", empty)
	db.Exec(`CREATE TABLE other (a)`)
	db.Close()
	vector := dealerFile(t, t.TempDir(), map[string]string{"format": "pbf"}, nil)
	noTiles := dealerFile(t, t.TempDir(), map[string]string{"format": "png"}, nil)

	for name, path := range map[string]string{"missing": filepath.Join(dir, "nope.mbtiles"), "not sqlite": notDB,
		"no tables": empty, "vector": vector} {
		if _, err := OpenMBTiles(path); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if _, err := ImportMBTiles(context.Background(), noTiles, filepath.Join(dir, "maps"), nil); err == nil || !strings.Contains(err.Error(), "no tiles") {
		t.Errorf("importing an empty file: %v", err)
	}
	if _, err := OpenMBTiles(vector); err == nil || !strings.Contains(err.Error(), "vector") {
		t.Errorf("vector file error should say why: %v", err)
	}
}
