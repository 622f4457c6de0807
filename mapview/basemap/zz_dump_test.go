package basemap

import (
	"image/png"
	"os"
	"fmt"
	"testing"
	"image"
	"image/draw"
)

func TestZZDump(t *testing.T) {
	r, _ := Default()
	for _, tc := range [][3]int{{0, 0, 0}, {5, 16, 11}, {4, 3, 5}, {7, 29, 47}} {
		img := r.Render(uint8(tc[0]), uint32(tc[1]), uint32(tc[2]))
		f, _ := os.Create(fmt.Sprintf("/tmp/tile-%d-%d-%d.png", tc[0], tc[1], tc[2]))
		png.Encode(f, img)
		f.Close()
	}
	// 2x2 mosaic at z3 over Europe
	m := image.NewRGBA(image.Rect(0, 0, 512, 512))
	for dy := 0; dy < 2; dy++ {
		for dx := 0; dx < 2; dx++ {
			img := r.Render(4, uint32(7+dx), uint32(4+dy))
			draw.Draw(m, image.Rect(dx*256, dy*256, dx*256+256, dy*256+256), img, image.Point{}, draw.Src)
		}
	}
	f, _ := os.Create("/tmp/mosaic.png")
	png.Encode(f, m)
	f.Close()
}
