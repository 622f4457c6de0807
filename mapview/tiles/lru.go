package tiles

import (
	"container/list"
	"image"
	"sync"
	"time"

	"github.com/paulmach/orb/maptile"
)

// DefaultMemoryBudget holds about 256 decoded 256-pixel tiles: a full-HD screen at two zoom levels
// with room to pan.
const DefaultMemoryBudget = 64 << 20

// Entry is one decoded tile in memory. Final is false for stand-ins (a scaled parent or the
// basemap shown because the source failed); the loader asks the source again after RetryAt.
type Entry struct {
	Image   image.Image
	Origin  Origin
	Final   bool
	RetryAt time.Time
}

// Memory is an LRU of decoded tiles bounded by bytes, not by count, because tiles from different
// sources differ in size. It is safe for concurrent use.
type Memory struct {
	mu     sync.Mutex
	budget int64
	used   int64
	ll     *list.List // front = most recently used
	items  map[maptile.Tile]*list.Element
}

type memItem struct {
	key   maptile.Tile
	entry Entry
	size  int64
}

// NewMemory returns an LRU that holds at most budget bytes of decoded pixels.
func NewMemory(budget int64) *Memory {
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	return &Memory{budget: budget, ll: list.New(), items: make(map[maptile.Tile]*list.Element)}
}

// Get returns the entry for t and marks it recently used.
func (m *Memory) Get(t maptile.Tile) (Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[t]
	if !ok {
		return Entry{}, false
	}
	m.ll.MoveToFront(el)
	return el.Value.(*memItem).entry, true
}

// Put stores e under t, evicting the least recently used tiles until the budget holds. A single
// tile larger than the whole budget is not stored.
func (m *Memory) Put(t maptile.Tile, e Entry) {
	size := imageBytes(e.Image)
	m.mu.Lock()
	defer m.mu.Unlock()
	if size > m.budget {
		return
	}
	if el, ok := m.items[t]; ok {
		it := el.Value.(*memItem)
		m.used += size - it.size
		it.entry, it.size = e, size
		m.ll.MoveToFront(el)
	} else {
		m.items[t] = m.ll.PushFront(&memItem{key: t, entry: e, size: size})
		m.used += size
	}
	for m.used > m.budget {
		back := m.ll.Back()
		it := back.Value.(*memItem)
		m.ll.Remove(back)
		delete(m.items, it.key)
		m.used -= it.size
	}
}

// Used reports the bytes held and the number of tiles.
func (m *Memory) Used() (bytes int64, tiles int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used, len(m.items)
}

// purge empties the cache; used when the tile source changes.
func (m *Memory) purge() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ll.Init()
	clear(m.items)
	m.used = 0
}
