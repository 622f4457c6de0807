package tiles

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func TestDecodeTile(t *testing.T) {
	var jp bytes.Buffer
	jpeg.Encode(&jp, image.NewGray(image.Rect(0, 0, 256, 256)), nil)
	pal := image.NewPaletted(image.Rect(0, 0, 256, 256), color.Palette{color.RGBA{1, 2, 3, 255}})
	var pp bytes.Buffer
	png.Encode(&pp, pal)
	for name, data := range map[string][]byte{"png": solidPNG(t, color.RGBA{9, 8, 7, 255}), "jpeg": jp.Bytes(), "paletted": pp.Bytes()} {
		img, err := DecodeTile(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if img.Bounds() != image.Rect(0, 0, 256, 256) {
			t.Errorf("%s: bounds %v", name, img.Bounds())
		}
	}
	if img, _ := DecodeTile(pp.Bytes()); img.RGBAAt(5, 5) != (color.RGBA{1, 2, 3, 255}) {
		t.Error("paletted tile decoded to the wrong colour")
	}
	var big bytes.Buffer
	png.Encode(&big, image.NewGray(image.Rect(0, 0, 4000, 10)))
	bad := map[string][]byte{
		"empty":     nil,
		"html":      []byte("<html>rate limited</html>"),
		"truncated": solidPNG(t, color.RGBA{1, 1, 1, 255})[:80],
		"too wide":  big.Bytes(),
	}
	for name, data := range bad {
		if _, err := DecodeTile(data); err == nil || !strings.HasPrefix(err.Error(), "tiles:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeTile feeds arbitrary bytes to the tile image decoder, which reads whatever a tile
// server or an MBTiles file hands over: an image or an error, never a panic or a huge allocation.
func FuzzDecodeTile(f *testing.F) {
	f.Add(solidPNG(f, color.RGBA{1, 2, 3, 255}))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeTile(data)
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Dx() < 1 || b.Dy() < 1 || b.Dx() > MaxTileEdge || b.Dy() > MaxTileEdge {
			t.Fatalf("accepted a %v tile", b)
		}
	})
}
