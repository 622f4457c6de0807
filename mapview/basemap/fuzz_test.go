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

// FuzzDecodeBorders feeds arbitrary bytes to the country-border decoder and strokes what it
// accepts over the embedded land: any input must give lines or an error, never a panic or a hang.
func FuzzDecodeBorders(f *testing.F) {
	f.Add([]byte(twoCountries))
	f.Add(countries110m[:2000])
	base, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := DecodeBorders(data)
		if err != nil {
			return
		}
		if len(lines) == 0 {
			t.Fatal("no error and no borders")
		}
		b := NewBorders(lines)
		r := base.WithBorders(b, b)
		r.Render(0, 0, 0)
		r.Render(5, 16, 11)
		r.Render(18, 1<<17, 1<<17)
	})
}
