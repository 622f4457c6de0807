package tiles

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// solidPNG is a 256-pixel PNG tile of one colour, so a test can tell which tile it is looking at.
func solidPNG(t testing.TB, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	draw.Draw(img, img.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func colorAt(img image.Image, x, y int) color.RGBA {
	r, g, b, a := img.At(x, y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// uniform reports whether every pixel of img is c.
func uniform(img image.Image, c color.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if colorAt(img, x, y) != c {
				return false
			}
		}
	}
	return true
}

// opaque reports whether img has no transparent pixel: a blank hole would.
func opaque(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if colorAt(img, x, y).A != 0xff {
				return false
			}
		}
	}
	return true
}

var quadColors = []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 0, 255}}

func quadrants() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i, c := range quadColors {
		r := image.Rect((i%2)*128, (i/2)*128, (i%2)*128+128, (i/2)*128+128)
		draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
	}
	return img
}

// errSource has no tiles at all.
type errSource struct{}

func (errSource) Fetch(context.Context, maptile.Tile) ([]byte, error) { return nil, ErrNoTile }
func (errSource) Attribution() string                                 { return "none" }
func (errSource) MaxZoom() maptile.Zoom                               { return 19 }
