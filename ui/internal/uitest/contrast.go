package uitest

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
)

// Contrast is the WCAG 2 contrast ratio of two colours, 1 (none) to 21 (black on white). Text
// needs 4.5 to read comfortably, the outline of a control 3 to be seen (WCAG 1.4.3, 1.4.11). A
// colour with alpha is taken as drawn over b.
func Contrast(a, b color.Color) float64 {
	la, lb := luminance(over(a, b)), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// over is c drawn on the opaque colour bg.
func over(c, bg color.Color) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	if n.A == 0xff {
		return n
	}
	g := color.NRGBAModel.Convert(bg).(color.NRGBA)
	mix := func(x, y uint8) uint8 { return uint8((int(x)*int(n.A) + int(y)*(255-int(n.A))) / 255) }
	return color.NRGBA{R: mix(n.R, g.R), G: mix(n.G, g.G), B: mix(n.B, g.B), A: 0xff}
}

// luminance is the relative luminance of an sRGB colour.
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(n.R) + 0.7152*ch(n.G) + 0.0722*ch(n.B)
}

// VariantTheme is th always in variant v, whatever the settings say: tests look at the light and
// the dark look of the same screen.
func VariantTheme(th fyne.Theme, v fyne.ThemeVariant) fyne.Theme { return variantTheme{th, v} }

type variantTheme struct {
	fyne.Theme
	v fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.v)
}

// MaxContrast is the highest contrast any pixel of img within r has against bg: how visible the
// most visible part of what is drawn there is.
func MaxContrast(img image.Image, r image.Rectangle, bg color.Color) float64 {
	best := 1.0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			best = max(best, Contrast(img.At(x, y), bg))
		}
	}
	return best
}

// Rect is where o is drawn in its window's captured image (scale 1, as the test driver draws).
// The test driver's absolute positions leave out the window's padding; the image has it. (The
// driver takes the last window made to be o's.)
func Rect(o fyne.CanvasObject) image.Rectangle {
	d := fyne.CurrentApp().Driver()
	p := d.AbsolutePositionForObject(o)
	if c := d.CanvasForObject(o); c != nil {
		inset, _ := c.InteractiveArea()
		p = p.Add(inset)
	}
	s := o.Size()
	return image.Rect(int(p.X), int(p.Y), int(p.X+s.Width), int(p.Y+s.Height))
}
