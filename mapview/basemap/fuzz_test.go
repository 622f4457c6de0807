package basemap

import "testing"

// FuzzDecodeLand feeds arbitrary bytes to the TopoJSON decoder and renders what it accepts: any
// input must give polygons or an error, never a panic or a hang.
func FuzzDecodeLand(f *testing.F) {
	f.Add([]byte(square))
	f.Add(land110m[:2000])
	f.Fuzz(func(t *testing.T, data []byte) {
		polys, err := DecodeLand(data)
		if err != nil {
			return
		}
		if len(polys) == 0 {
			t.Fatal("no error and no polygons")
		}
		r := New(NewLayer(polys), NewLayer(polys))
		r.Render(0, 0, 0)
		r.Render(5, 3, 7)
	})
}
