// Package tiles supplies map tiles to the mapview widget: sources (an HTTP tile server by URL
// template, an MBTiles file, the embedded basemap), a persistent disk cache in the MBTiles schema,
// an in-memory LRU with a byte budget, and a Loader with bounded background workers that walks the
// fallback order memory → disk cache → source → parent tile → basemap.
package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // tile servers and MBTiles files carry PNG, JPEG or WebP
	_ "image/png"

	"github.com/paulmach/orb/maptile"
	_ "golang.org/x/image/webp"
)

// ErrNoTile means the source has no tile at that address (HTTP 404, a row missing from an MBTiles
// file). It is not a failure of the source, so the loader does not retry soon.
var ErrNoTile = errors.New("tiles: no such tile")

// Source hands out encoded tile images (PNG, JPEG or WebP) by z/x/y in the XYZ scheme.
type Source interface {
	Fetch(ctx context.Context, t maptile.Tile) ([]byte, error)
	// Attribution is the credit line the map must show while the source's tiles are on screen.
	Attribution() string
	// MaxZoom is the deepest zoom the source serves.
	MaxZoom() maptile.Zoom
}

// Origin says which step of the fallback order produced a tile image.
type Origin uint8

// The fallback order, in the order the loader tries it.
const (
	OriginNone    Origin = iota
	OriginMemory         // already decoded in the LRU
	OriginCache          // the persistent disk cache
	OriginSource         // the configured source (network or MBTiles file)
	OriginParent         // an ancestor tile, cropped and scaled up
	OriginBasemap        // the embedded Natural Earth basemap
)

func (o Origin) String() string {
	switch o {
	case OriginMemory:
		return "memory"
	case OriginCache:
		return "cache"
	case OriginSource:
		return "source"
	case OriginParent:
		return "parent"
	case OriginBasemap:
		return "basemap"
	}
	return "none"
}

// MaxTileEdge bounds the width and height of a decoded tile. Real tiles are 256 or 512 pixels;
// anything far larger is a decompression bomb or not a tile.
const MaxTileEdge = 1024

// MaxTileBytes bounds an encoded tile read from the network or a file.
const MaxTileBytes = 4 << 20

// DecodeTile decodes an encoded tile into RGBA, which is what the renderer uploads as a texture,
// so the conversion happens once here rather than on every upload.
func DecodeTile(data []byte) (*image.RGBA, error) {
	if len(data) == 0 {
		return nil, errors.New("tiles: empty tile image")
	}
	if len(data) > MaxTileBytes {
		return nil, fmt.Errorf("tiles: tile image of %d bytes exceeds %d", len(data), MaxTileBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("tiles: not a tile image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxTileEdge || cfg.Height > MaxTileEdge {
		return nil, fmt.Errorf("tiles: %s tile of %dx%d pixels is outside 1..%d", format, cfg.Width, cfg.Height, MaxTileEdge)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("tiles: broken %s tile: %w", format, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("tiles: %s tile decoded to %dx%d, header said %dx%d", format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	if rgba, ok := img.(*image.RGBA); ok && b.Min == (image.Point{}) {
		return rgba, nil
	}
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out, nil
}

// imageBytes is what a decoded tile costs in memory.
func imageBytes(img image.Image) int64 {
	b := img.Bounds()
	return int64(b.Dx()) * int64(b.Dy()) * 4
}
