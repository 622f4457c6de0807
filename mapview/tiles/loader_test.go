package tiles

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/paulmach/orb/maptile"
)

// TestFallbackOrder walks memory → disk cache → source → parent tile → basemap with a real tile
// server and a real cache file.
func TestFallbackOrder(t *testing.T) {
	ts := newTileServer(t)
	cachePath := filepath.Join(t.TempDir(), "cache.mbtiles")
	ctx := context.Background()
	parent := maptile.New(4, 6, 4)

	cache, err := OpenCache(cachePath, "test")
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLoader(LoaderOptions{Source: ts.source(t, "ok", 0), Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	img, origin, err := l.Resolve(ctx, parent)
	if err != nil || origin != OriginSource || !uniform(img, tileColor(4, 4, 6)) {
		t.Fatalf("first load: origin %v err %v", origin, err)
	}
	if n, _ := cache.Count(); n != 1 {
		t.Fatalf("source tile not written to the disk cache (%d tiles)", n)
	}
	hits := ts.hits.Load()
	if _, origin, _ = l.Resolve(ctx, parent); origin != OriginMemory || ts.hits.Load() != hits {
		t.Fatalf("second load: origin %v, %d new requests", origin, ts.hits.Load()-hits)
	}
	l.Close()
	cache.Close()

	// A new session with the network gone: the disk cache answers.
	ts.Close()
	cache, err = OpenCache(cachePath, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	l, err = NewLoader(LoaderOptions{Source: ts.source(t, "ok", 0), Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	img, origin, err = l.Resolve(ctx, parent)
	if err != nil || origin != OriginCache || !uniform(img, tileColor(4, 4, 6)) {
		t.Fatalf("offline: origin %v err %v", origin, err)
	}

	// A child never fetched: the cached parent, scaled up, stands in.
	child := maptile.New(4*4+3, 6*4+1, 6)
	img, origin, err = l.Resolve(ctx, child)
	if err != nil || origin != OriginParent || !uniform(img, tileColor(4, 4, 6)) {
		t.Fatalf("child: origin %v err %v", origin, err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("scaled parent is %v", b)
	}

	// Far from anything cached: the basemap.
	far := maptile.New(100, 30, 7)
	img, origin, err = l.Resolve(ctx, far)
	if err != nil || origin != OriginBasemap {
		t.Fatalf("far: origin %v err %v", origin, err)
	}
	base, _ := basemap.Default()
	want := base.Render(7, 100, 30)
	for _, p := range [][2]int{{0, 0}, {128, 128}, {255, 10}} {
		if colorAt(img, p[0], p[1]) != colorAt(want, p[0], p[1]) {
			t.Fatalf("far tile differs from the basemap at %v", p)
		}
	}
}

// TestParentScaling checks that a stand-in shows the right quarter of the parent, not just any
// part: the parent here has four differently coloured quadrants.
func TestParentScaling(t *testing.T) {
	l, err := NewLoader(LoaderOptions{Source: errSource{}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	parent := maptile.New(2, 2, 2)
	img := quadrants()
	l.mem.Put(parent, Entry{Image: img, Origin: OriginSource, Final: true})
	for i, child := range []maptile.Tile{maptile.New(4, 4, 3), maptile.New(5, 4, 3), maptile.New(4, 5, 3), maptile.New(5, 5, 3)} {
		got, origin, err := l.Resolve(context.Background(), child)
		if err != nil || origin != OriginParent {
			t.Fatalf("%v: %v %v", child, origin, err)
		}
		if !uniform(got, quadColors[i]) {
			t.Errorf("child %v shows the wrong quadrant: %v", child, colorAt(got, 128, 128))
		}
	}
	// The widget's drawing fallback picks the same part of the same ancestor.
	src, r := l.Ancestor(maptile.New(5, 4, 3))
	if src != img || r.Min.X != 128 || r.Min.Y != 0 || r.Dx() != 128 {
		t.Errorf("ancestor rect %v", r)
	}
	// With nothing in memory, the world basemap tile stands in.
	if src, r := l.Ancestor(maptile.New(300, 200, 12)); src == nil || r.Empty() {
		t.Error("no ancestor at all")
	}
}

func TestLoaderWorkersReportLoads(t *testing.T) {
	ts := newTileServer(t)
	l, err := NewLoader(LoaderOptions{Source: ts.source(t, "ok", 0), Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	loaded := map[maptile.Tile]bool{}
	l.SetOnLoad(func(t maptile.Tile) {
		mu.Lock()
		loaded[t] = true
		mu.Unlock()
	})
	want := maptile.New(0, 0, 3).Children()
	want = append(want, maptile.New(1, 1, 3).Children()...)
	l.Want(want)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range want {
		if !loaded[k] {
			t.Errorf("%v not reported", k)
		}
		if e, ok := l.Peek(k); !ok || e.Origin != OriginSource {
			t.Errorf("%v not in memory", k)
		}
	}
}
