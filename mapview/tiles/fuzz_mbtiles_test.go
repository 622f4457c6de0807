package tiles

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// FuzzOpenMBTiles opens arbitrary bytes as a dealer's MBTiles file and reads from it: a corrupt or
// hostile file must give an error, never a panic or a hang.
func FuzzOpenMBTiles(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "dealer.mbtiles")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := OpenMBTiles(path)
		if err != nil {
			return
		}
		defer m.Close()
		ctx := context.Background()
		for _, k := range []maptile.Tile{maptile.New(0, 0, 0), maptile.New(1, 0, 1), maptile.New(3, 5, 4)} {
			if data, err := m.Get(ctx, k); err == nil {
				DecodeTile(data)
			}
		}
		m.Count()
		m.Attribution()
		m.MaxZoom()
	})
}
