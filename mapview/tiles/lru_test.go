package tiles

import (
	"image"
	"testing"

	"github.com/paulmach/orb/maptile"
)

func rgbaTile(edge int) image.Image { return image.NewRGBA(image.Rect(0, 0, edge, edge)) }

func TestMemoryStaysWithinBudget(t *testing.T) {
	const tileBytes = 256 * 256 * 4
	m := NewMemory(10 * tileBytes)
	for i := 0; i < 100; i++ {
		m.Put(maptile.New(uint32(i), 0, 10), Entry{Image: rgbaTile(256), Final: true})
		if used, _ := m.Used(); used > m.budget {
			t.Fatalf("after %d puts %d bytes used, budget %d", i+1, used, m.budget)
		}
	}
	used, n := m.Used()
	if n != 10 || used != 10*tileBytes {
		t.Fatalf("holding %d tiles, %d bytes; want 10 tiles", n, used)
	}
	// The ten most recent survive, the rest are gone.
	for i := 0; i < 100; i++ {
		_, ok := m.Get(maptile.New(uint32(i), 0, 10))
		if ok != (i >= 90) {
			t.Errorf("tile %d present=%v", i, ok)
		}
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	m := NewMemory(3 * 256 * 256 * 4)
	a, b, c, d := maptile.New(0, 0, 1), maptile.New(1, 0, 1), maptile.New(0, 1, 1), maptile.New(1, 1, 1)
	for _, k := range []maptile.Tile{a, b, c} {
		m.Put(k, Entry{Image: rgbaTile(256)})
	}
	m.Get(a) // a is now the most recent; b the least
	m.Put(d, Entry{Image: rgbaTile(256)})
	if _, ok := m.Get(b); ok {
		t.Error("b should have been evicted")
	}
	for _, k := range []maptile.Tile{a, c, d} {
		if _, ok := m.Get(k); !ok {
			t.Errorf("%v evicted", k)
		}
	}
}

func TestMemoryReplaceAndOversize(t *testing.T) {
	m := NewMemory(256 * 256 * 4 * 2)
	k := maptile.New(0, 0, 0)
	m.Put(k, Entry{Image: rgbaTile(256), Origin: OriginBasemap})
	m.Put(k, Entry{Image: rgbaTile(128), Origin: OriginSource})
	used, n := m.Used()
	if n != 1 || used != 128*128*4 {
		t.Fatalf("after replace: %d tiles %d bytes", n, used)
	}
	if e, _ := m.Get(k); e.Origin != OriginSource {
		t.Errorf("replace kept the old entry: %v", e.Origin)
	}
	m.Put(maptile.New(1, 1, 1), Entry{Image: rgbaTile(1024)}) // 4 MiB > 512 KiB budget
	if _, ok := m.Get(maptile.New(1, 1, 1)); ok {
		t.Error("a tile larger than the budget was stored")
	}
	m.purge()
	if used, n := m.Used(); used != 0 || n != 0 {
		t.Errorf("after purge %d bytes %d tiles", used, n)
	}
}

// BenchmarkMemoryHit is a cached tile served from memory (target: far under 1 ms).
func BenchmarkMemoryHit(b *testing.B) {
	l, err := NewLoader(LoaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	k := maptile.New(3, 2, 3)
	if _, _, err := l.Resolve(b.Context(), k); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, o, _ := l.Resolve(b.Context(), k); o != OriginMemory {
			b.Fatalf("origin %v", o)
		}
	}
}
