package tiles

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb/maptile"
	_ "modernc.org/sqlite" // MBTiles files are SQLite databases
)

// MBTiles is a tile store in the MBTiles 1.3 schema: the disk cache the loader writes, or a
// dealer's offline map file it only reads. Rows are TMS-addressed (tile_row counts from the south);
// the methods take XYZ tiles and flip.
type MBTiles struct {
	db       *sql.DB
	path     string
	readOnly bool
	meta     map[string]string
}

const mbtilesSchema = `
CREATE TABLE IF NOT EXISTS metadata (name TEXT NOT NULL, value TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS metadata_name ON metadata (name);
CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);
`

func pathDSN(path string, params string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params
}

// OpenCache opens or creates the persistent tile cache at path. name describes the source whose
// tiles it holds (written to the metadata table, so the file is a valid MBTiles others can open).
func OpenCache(path, name string) (*MBTiles, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("tile cache: %w", err)
	}
	db, err := sql.Open("sqlite", pathDSN(path,
		"_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("tile cache %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; tile reads are short and the loader has few workers
	if _, err := db.Exec(mbtilesSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("tile cache %s: %w", path, err)
	}
	m := &MBTiles{db: db, path: path}
	for k, v := range map[string]string{"name": name, "format": "png", "type": "baselayer", "version": "1.3",
		"description": "FleetDesk tile cache"} {
		if _, err := db.Exec(`INSERT OR IGNORE INTO metadata (name, value) VALUES (?, ?)`, k, v); err != nil {
			db.Close()
			return nil, fmt.Errorf("tile cache %s: %w", path, err)
		}
	}
	if m.meta, err = m.readMetadata(); err != nil {
		db.Close()
		return nil, err
	}
	return m, nil
}

// OpenMBTiles opens an existing MBTiles file read-only and checks that it holds raster tiles.
func OpenMBTiles(path string) (*MBTiles, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("mbtiles: %w", err)
	}
	db, err := sql.Open("sqlite", pathDSN(path, "mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)"))
	if err != nil {
		return nil, fmt.Errorf("mbtiles %s: %w", path, err)
	}
	m := &MBTiles{db: db, path: path, readOnly: true}
	if err := m.check(); err != nil {
		db.Close()
		return nil, fmt.Errorf("mbtiles %s: %w", path, err)
	}
	return m, nil
}

func (m *MBTiles) check() error {
	for _, name := range []string{"tiles", "metadata"} {
		var n int
		err := m.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')`, name).Scan(&n)
		if err != nil {
			return fmt.Errorf("not an SQLite database: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("not an MBTiles file: no %q table", name)
		}
	}
	meta, err := m.readMetadata()
	if err != nil {
		return err
	}
	m.meta = meta
	switch f := strings.ToLower(meta["format"]); f {
	case "", "png", "jpg", "jpeg", "webp":
	case "pbf", "mvt":
		return errors.New("holds vector tiles (format pbf); export raster tiles (PNG or JPEG) instead")
	default:
		return fmt.Errorf("tile format %q is not supported (PNG, JPEG or WebP)", f)
	}
	return nil
}

func (m *MBTiles) readMetadata() (map[string]string, error) {
	rows, err := m.db.Query(`SELECT name, value FROM metadata`)
	if err != nil {
		return nil, fmt.Errorf("mbtiles metadata: %w", err)
	}
	defer rows.Close()
	meta := map[string]string{}
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("mbtiles metadata: %w", err)
		}
		meta[k] = v.String
	}
	return meta, rows.Err()
}

func tmsRow(t maptile.Tile) int64 { return int64(1)<<t.Z - 1 - int64(t.Y) }

// Get returns the encoded tile t, or ErrNoTile.
func (m *MBTiles) Get(ctx context.Context, t maptile.Tile) ([]byte, error) {
	if !t.Valid() {
		return nil, ErrNoTile
	}
	var data []byte
	err := m.db.QueryRowContext(ctx,
		`SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`,
		int64(t.Z), int64(t.X), tmsRow(t)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoTile
	}
	if err != nil {
		return nil, fmt.Errorf("mbtiles %s: %w", filepath.Base(m.path), err)
	}
	return data, nil
}

// Put stores the encoded tile t, replacing an older copy.
func (m *MBTiles) Put(ctx context.Context, t maptile.Tile, data []byte) error {
	if m.readOnly {
		return errors.New("mbtiles: file is open read-only")
	}
	if !t.Valid() {
		return fmt.Errorf("mbtiles: tile %d/%d/%d is outside the world", t.Z, t.X, t.Y)
	}
	_, err := m.db.ExecContext(ctx,
		`INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`,
		int64(t.Z), int64(t.X), tmsRow(t), data)
	if err != nil {
		return fmt.Errorf("mbtiles %s: %w", filepath.Base(m.path), err)
	}
	return nil
}

// Count is the number of tiles stored.
func (m *MBTiles) Count() (int, error) {
	var n int
	err := m.db.QueryRow(`SELECT count(*) FROM tiles`).Scan(&n)
	return n, err
}

// Metadata returns the file's metadata table as read at open.
func (m *MBTiles) Metadata() map[string]string {
	out := make(map[string]string, len(m.meta))
	for k, v := range m.meta {
		out[k] = v
	}
	return out
}

// Path is the file's location.
func (m *MBTiles) Path() string { return m.path }

// Close releases the database.
func (m *MBTiles) Close() error { return m.db.Close() }

// Fetch makes an MBTiles file a Source.
func (m *MBTiles) Fetch(ctx context.Context, t maptile.Tile) ([]byte, error) { return m.Get(ctx, t) }

// Attribution is the file's own attribution metadata (MBTiles 1.3 allows HTML; tags are removed).
func (m *MBTiles) Attribution() string {
	a := m.meta["attribution"]
	var b strings.Builder
	in := false
	for _, r := range a {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	if s := strings.Join(strings.Fields(b.String()), " "); s != "" {
		return s
	}
	if n := m.meta["name"]; n != "" {
		return n
	}
	return filepath.Base(m.path)
}

// MaxZoom is the file's maxzoom metadata, or 19 when absent.
func (m *MBTiles) MaxZoom() maptile.Zoom {
	if z, err := strconv.Atoi(m.meta["maxzoom"]); err == nil && z >= 0 && z <= 22 {
		return maptile.Zoom(z)
	}
	return 19
}

// Local marks the source as cheap to query, so the loader may look up ancestors in it directly.
func (m *MBTiles) Local() bool { return true }

// ImportMBTiles checks that src is a raster MBTiles file and copies it into dir, returning the new
// path. The dealer's original stays untouched, and the copy survives the original being moved.
// progress (may be nil) hears the bytes copied so far and the file's size; cancelling ctx stops
// the copy and leaves nothing behind (a country's tiles can take minutes to copy).
func ImportMBTiles(ctx context.Context, src, dir string, progress func(done, total int64)) (string, error) {
	probe, err := OpenMBTiles(src)
	if err != nil {
		return "", err
	}
	n, err := probe.Count()
	probe.Close()
	if err != nil {
		return "", fmt.Errorf("mbtiles %s: %w", src, err)
	}
	if n == 0 {
		return "", fmt.Errorf("mbtiles %s: holds no tiles", src)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("import mbtiles: %w", err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if !strings.HasSuffix(strings.ToLower(dst), ".mbtiles") {
		dst += ".mbtiles"
	}
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("import mbtiles: %w", err)
	}
	defer in.Close()
	var total int64
	if st, err := in.Stat(); err == nil {
		total = st.Size()
	}
	tmp, err := os.CreateTemp(dir, ".import-*.mbtiles")
	if err != nil {
		return "", fmt.Errorf("import mbtiles: %w", err)
	}
	if err := copyWithProgress(ctx, tmp, in, total, progress); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("import mbtiles: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("import mbtiles: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("import mbtiles: %w", err)
	}
	return dst, nil
}

// copyWithProgress is io.Copy in 1 MiB steps that reports after each step and stops when ctx is
// cancelled.
func copyWithProgress(ctx context.Context, dst io.Writer, src io.Reader, total int64, progress func(done, total int64)) error {
	buf := make([]byte, 1<<20)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return err
			}
			done += int64(n)
			if progress != nil {
				progress(done, total)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}
