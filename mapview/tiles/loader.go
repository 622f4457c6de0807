package tiles

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/paulmach/orb/maptile"
	xdraw "golang.org/x/image/draw"
)

// MaxParentLevels is how far up the loader looks for an ancestor to stand in for a missing tile.
// Five levels up, the ancestor contributes 8×8 pixels to a 256-pixel tile; beyond that the crisp
// basemap is the better picture.
const MaxParentLevels = 5

// Retry delays for stand-in tiles: a tile the source lacks is not asked for again soon; one that
// failed on the network is, so the map fills in when the connection returns.
const (
	retryMissing = 10 * time.Minute
	retryFailed  = 20 * time.Second
)

// Loader resolves tiles through the fallback order and loads them on a bounded pool of background
// workers. Peek is cheap and never blocks, so the UI can call it every frame.
type Loader struct {
	mem     *Memory
	cache   *MBTiles // may be nil: no persistent cache
	src     Source   // may be nil: basemap only
	base    *basemap.Renderer
	root    image.Image // the basemap's whole world, always available
	timeout time.Duration

	onLoad atomic.Pointer[func(t maptile.Tile)]

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []maptile.Tile
	inflight map[maptile.Tile]bool
	busy     int
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	owned    []interface{ Close() error }
}

// LoaderOptions configures NewLoader. Source and Cache may be nil.
type LoaderOptions struct {
	Source       Source
	Cache        *MBTiles
	MemoryBudget int64
	Workers      int           // default 4
	Timeout      time.Duration // per tile through the whole chain; default 20 s
}

// NewLoader starts the workers. Close stops them.
func NewLoader(o LoaderOptions) (*Loader, error) {
	base, err := basemap.Default()
	if err != nil {
		return nil, err
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	l := &Loader{
		mem: NewMemory(o.MemoryBudget), cache: o.Cache, src: o.Source, base: base,
		root: base.Render(0, 0, 0), timeout: o.Timeout, inflight: map[maptile.Tile]bool{},
	}
	l.cond = sync.NewCond(&l.mu)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	for range o.Workers {
		l.wg.Add(1)
		go l.work()
	}
	return l, nil
}

// Close stops the workers and closes the files the loader opened itself (see Open).
func (l *Loader) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.queue = nil
	l.cond.Broadcast()
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
	var first error
	for _, c := range l.owned {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// SetOnLoad sets the function called from a worker goroutine after a requested tile lands in
// memory; nil stops the calls. The widget hands it to its dispatcher (the page's runner); it must
// not block.
func (l *Loader) SetOnLoad(f func(t maptile.Tile)) {
	if f == nil {
		l.onLoad.Store(nil)
		return
	}
	l.onLoad.Store(&f)
}

// Attribution is the credit line the map must show.
func (l *Loader) Attribution() string {
	if l.src == nil {
		return basemap.Attribution
	}
	return l.src.Attribution()
}

// MaxZoom is the deepest zoom worth showing.
func (l *Loader) MaxZoom() maptile.Zoom {
	if l.src == nil {
		return 19
	}
	return l.src.MaxZoom()
}

// Memory exposes the LRU, for figures and tests.
func (l *Loader) Memory() *Memory { return l.mem }

// Peek returns what memory holds for t without loading anything.
func (l *Loader) Peek(t maptile.Tile) (Entry, bool) { return l.mem.Get(t) }

// Ancestor finds the nearest ancestor of t held in memory and the rectangle of its image that
// covers t. When memory holds none it returns the basemap's world tile, so the caller always has
// something to draw.
func (l *Loader) Ancestor(t maptile.Tile) (image.Image, image.Rectangle) {
	for a, d := t.Parent(), 1; d <= int(t.Z); a, d = a.Parent(), d+1 {
		if e, ok := l.mem.Get(a); ok {
			if r, ok := subRect(e.Image.Bounds(), t, a); ok {
				return e.Image, r
			}
		}
	}
	r, ok := subRect(l.root.Bounds(), t, maptile.New(0, 0, 0))
	if !ok {
		// Deeper than a pixel of the world tile: draw its nearest pixel.
		b := l.root.Bounds()
		f := maptile.Fraction(t.Center(), 0)
		x, y := int(f[0]*float64(b.Dx())), int(f[1]*float64(b.Dy()))
		r = image.Rect(x, y, x+1, y+1).Intersect(b)
	}
	return l.root, r
}

// subRect is the part of ancestor a's image (bounds b) that covers tile t.
func subRect(b image.Rectangle, t, a maptile.Tile) (image.Rectangle, bool) {
	d := t.Z - a.Z
	n := 1 << d
	w, h := b.Dx()/n, b.Dy()/n
	if w < 1 || h < 1 {
		return image.Rectangle{}, false
	}
	ox := int(t.X-a.X<<d) * w
	oy := int(t.Y-a.Y<<d) * h
	return image.Rect(b.Min.X+ox, b.Min.Y+oy, b.Min.X+ox+w, b.Min.Y+oy+h), true
}

// Want replaces the queue with tiles, most important first. Tiles already final in memory or being
// loaded are skipped; tiles no longer wanted are dropped before they cost a request.
func (l *Loader) Want(tiles []maptile.Tile) {
	now := time.Now()
	q := make([]maptile.Tile, 0, len(tiles))
	for _, t := range tiles {
		if e, ok := l.mem.Get(t); ok && (e.Final || now.Before(e.RetryAt)) {
			continue
		}
		q = append(q, t)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.queue = q
	l.cond.Broadcast()
}

// Wait blocks until the queue is empty and no worker is busy, or ctx ends. Tests and headless
// rendering use it; the UI never waits.
func (l *Loader) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		l.mu.Lock()
		for (len(l.queue) > 0 || l.busy > 0) && !l.closed && ctx.Err() == nil {
			l.cond.Wait()
		}
		l.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

func (l *Loader) work() {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		var t maptile.Tile
		for {
			if l.closed {
				l.mu.Unlock()
				return
			}
			if len(l.queue) > 0 {
				t = l.queue[0]
				l.queue = l.queue[1:]
				if l.inflight[t] {
					continue
				}
				break
			}
			l.cond.Wait()
		}
		l.inflight[t] = true
		l.busy++
		l.mu.Unlock()

		ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
		_, _, err := l.Resolve(ctx, t)
		cancel()

		l.mu.Lock()
		delete(l.inflight, t)
		l.busy--
		l.cond.Broadcast()
		l.mu.Unlock()
		if f := l.onLoad.Load(); err == nil && f != nil {
			(*f)(t)
		}
	}
}

// Resolve produces an image for t by the fallback order: memory, disk cache, source, an ancestor
// scaled up, the basemap. Whatever it returns is also in memory afterwards. It fails only when
// ctx ends or the tile is outside the world.
func (l *Loader) Resolve(ctx context.Context, t maptile.Tile) (image.Image, Origin, error) {
	if !t.Valid() {
		return nil, OriginNone, errors.New("tiles: tile outside the world")
	}
	now := time.Now()
	if e, ok := l.mem.Get(t); ok && (e.Final || now.Before(e.RetryAt)) {
		return e.Image, OriginMemory, nil
	}
	if l.src == nil {
		img := l.base.Render(uint8(t.Z), t.X, t.Y)
		l.mem.Put(t, Entry{Image: img, Origin: OriginBasemap, Final: true})
		return img, OriginBasemap, nil
	}
	if l.cache != nil {
		if data, err := l.cache.Get(ctx, t); err == nil {
			if img, err := DecodeTile(data); err == nil {
				l.mem.Put(t, Entry{Image: img, Origin: OriginCache, Final: true})
				return img, OriginCache, nil
			}
		}
	}
	data, err := l.src.Fetch(ctx, t)
	if err == nil {
		img, derr := DecodeTile(data)
		if derr == nil {
			if l.cache != nil {
				// A failed cache write costs only a future download; the tile is still shown.
				_ = l.cache.Put(ctx, t, data)
			}
			l.mem.Put(t, Entry{Image: img, Origin: OriginSource, Final: true})
			return img, OriginSource, nil
		}
		err = derr
	}
	if ctx.Err() != nil {
		return nil, OriginNone, ctx.Err()
	}
	retry := now.Add(retryFailed)
	if errors.Is(err, ErrNoTile) {
		retry = now.Add(retryMissing)
	}
	if img := l.parent(ctx, t); img != nil {
		l.mem.Put(t, Entry{Image: img, Origin: OriginParent, RetryAt: retry})
		return img, OriginParent, nil
	}
	// A basemap stand-in from an earlier attempt is the same picture: keep it, so the widget
	// does not upload an identical texture on every retry.
	if old, ok := l.mem.Get(t); ok && old.Origin == OriginBasemap {
		l.mem.Put(t, Entry{Image: old.Image, Origin: OriginBasemap, RetryAt: retry})
		return old.Image, OriginBasemap, nil
	}
	img := l.base.Render(uint8(t.Z), t.X, t.Y)
	l.mem.Put(t, Entry{Image: img, Origin: OriginBasemap, RetryAt: retry})
	return img, OriginBasemap, nil
}

// parent looks for a real ancestor (not a stand-in) in memory, the disk cache or a local source,
// and scales the part covering t up to a full tile.
func (l *Loader) parent(ctx context.Context, t maptile.Tile) image.Image {
	local := false
	if lc, ok := l.src.(interface{ Local() bool }); ok {
		local = lc.Local()
	}
	a := t
	for d := 1; d <= MaxParentLevels && a.Z > 0; d++ {
		a = a.Parent()
		var img image.Image
		if e, ok := l.mem.Get(a); ok && e.Origin != OriginBasemap && e.Origin != OriginParent {
			img = e.Image
		} else if l.cache != nil {
			if data, err := l.cache.Get(ctx, a); err == nil {
				img, _ = decodeOrNil(data)
			}
		}
		if img == nil && local {
			if data, err := l.src.Fetch(ctx, a); err == nil {
				img, _ = decodeOrNil(data)
			}
		}
		if img == nil {
			continue
		}
		r, ok := subRect(img.Bounds(), t, a)
		if !ok {
			return nil
		}
		out := image.NewRGBA(image.Rect(0, 0, basemap.TileSize, basemap.TileSize))
		xdraw.ApproxBiLinear.Scale(out, out.Bounds(), img, r, xdraw.Src, nil)
		return out
	}
	return nil
}

func decodeOrNil(data []byte) (image.Image, error) {
	img, err := DecodeTile(data)
	if err != nil {
		return nil, err
	}
	return img, nil
}
