package kit

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Thousands renders n with comma separators: 1204 → "1,204".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	if len(s) <= 3 {
		return neg + s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	lead := len(s) % 3
	if lead == 0 {
		lead = 3
	}
	out = append(out, s[:lead]...)
	for i := lead; i < len(s); i += 3 {
		out = append(out, ',')
		out = append(out, s[i:i+3]...)
	}
	return neg + string(out)
}

// Health colours. Fixed rather than themed: the dot must mean the same thing in light and dark
// mode, and match the map's markers (green reporting, red needs attention or lost contact).
var (
	ColorLive      = color.NRGBA{R: 0x2e, G: 0x9e, B: 0x44, A: 0xff}
	ColorLate      = color.NRGBA{R: 0xe6, G: 0xa1, B: 0x00, A: 0xff}
	ColorLost      = color.NRGBA{R: 0xd3, G: 0x2f, B: 0x2f, A: 0xff}
	ColorAttention = color.NRGBA{R: 0xf4, G: 0x51, B: 0x1e, A: 0xff}
)

// HealthColor is the dot colour of a health state.
func HealthColor(h fleet.Health) color.Color {
	switch h {
	case fleet.HealthLive:
		return ColorLive
	case fleet.HealthLate:
		return ColorLate
	case fleet.HealthLost:
		return ColorLost
	case fleet.HealthAttention:
		return ColorAttention
	}
	return color.Gray{Y: 0x80}
}

// HealthLabel is the state in the guide's words (fleet.Health.Label), so every page says the same.
func HealthLabel(h fleet.Health) string { return h.Label() }

// DotSize is the health dot's diameter.
const DotSize = 12

// NewDot makes a health dot. Lost is drawn as a ring, the others filled, so the two red states
// differ by shape as well as shade for readers who cannot tell the colours apart.
func NewDot(h fleet.Health) *canvas.Circle {
	c := &canvas.Circle{}
	SetDot(c, h)
	c.Resize(fyne.NewSize(DotSize, DotSize))
	return c
}

// SetDot repaints an existing dot for h.
func SetDot(c *canvas.Circle, h fleet.Health) {
	col := HealthColor(h)
	fill, width := color.Color(col), float32(0)
	if h == fleet.HealthLost {
		fill, width = color.Transparent, 2.5
	}
	if c.FillColor == fill && c.StrokeColor == color.Color(col) && c.StrokeWidth == width {
		return // unchanged: no frame
	}
	c.FillColor, c.StrokeColor, c.StrokeWidth = fill, col, width
	c.Refresh()
}
