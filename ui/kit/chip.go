package kit

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Chip is a filter toggle: a button that is on (HighImportance, filled in the primary colour) or
// off. Off, a plain Fyne button is a grey a shade off the background (1.3:1), hard to tell from
// the page; a chip that is off draws its outline in the input border colour, 3:1 or more against
// the page in both themes (see prefs' theme), so it reads as something to click.
type Chip struct {
	widget.Button
}

// NewChip makes a chip that is off; icon may be nil.
func NewChip(label string, icon fyne.Resource, tapped func()) *Chip {
	c := &Chip{}
	c.Text, c.Icon, c.OnTapped = label, icon, tapped
	c.ExtendBaseWidget(c)
	return c
}

// SetOn turns the chip on or off.
func (c *Chip) SetOn(on bool) {
	if on {
		c.Importance = widget.HighImportance
	} else {
		c.Importance = widget.MediumImportance
	}
	c.Refresh()
}

// On reports whether the chip is on.
func (c *Chip) On() bool { return c.Importance == widget.HighImportance }

// CreateRenderer is the button's renderer with the outline on top.
func (c *Chip) CreateRenderer() fyne.WidgetRenderer {
	r := &chipRenderer{WidgetRenderer: c.Button.CreateRenderer(), chip: c, outline: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type chipRenderer struct {
	fyne.WidgetRenderer
	chip    *Chip
	outline *canvas.Rectangle
}

func (r *chipRenderer) Layout(s fyne.Size) {
	r.WidgetRenderer.Layout(s)
	r.outline.Resize(s)
}

func (r *chipRenderer) Objects() []fyne.CanvasObject {
	return append(r.WidgetRenderer.Objects(), r.outline)
}

func (r *chipRenderer) Refresh() {
	r.WidgetRenderer.Refresh()
	th := r.chip.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.outline.CornerRadius = th.Size(theme.SizeNameInputRadius)
	// 1.5 pixels: a 1-pixel line off the pixel grid is drawn at half strength.
	r.outline.StrokeWidth = max(th.Size(theme.SizeNameInputBorder), 1.5)
	r.outline.StrokeColor = color.Transparent
	if !r.chip.On() && !r.chip.Disabled() {
		r.outline.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	}
	r.outline.Resize(r.chip.Size())
	r.outline.Refresh()
}
