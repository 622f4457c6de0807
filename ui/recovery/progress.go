package recovery

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// progressBar is the upload bar. Fyne's ProgressBar draws its empty track in the primary colour
// at half strength, which at 0% reads as a full bar; this one draws the track like an empty
// input field, so only the sent part is coloured.
type progressBar struct {
	widget.BaseWidget
	value float64 // 0..1
}

func newProgressBar() *progressBar {
	p := &progressBar{}
	p.ExtendBaseWidget(p)
	return p
}

// SetValue sets the share done, 0 to 1.
func (p *progressBar) SetValue(v float64) {
	p.value = min(max(v, 0), 1)
	p.Refresh()
}

func (p *progressBar) CreateRenderer() fyne.WidgetRenderer {
	r := &progressRenderer{p: p, track: canvas.NewRectangle(nil), fill: canvas.NewRectangle(nil),
		text: canvas.NewText("", nil)}
	r.text.Alignment = fyne.TextAlignCenter
	r.Refresh()
	return r
}

type progressRenderer struct {
	p           *progressBar
	track, fill *canvas.Rectangle
	text        *canvas.Text
}

func (r *progressRenderer) Layout(s fyne.Size) {
	r.track.Resize(s)
	r.fill.Resize(fyne.NewSize(s.Width*float32(r.p.value), s.Height))
	th := r.text.MinSize().Height
	r.text.Resize(fyne.NewSize(s.Width, th))
	r.text.Move(fyne.NewPos(0, (s.Height-th)/2))
}

func (r *progressRenderer) MinSize() fyne.Size {
	pad := theme.Size(theme.SizeNameInnerPadding) * 2
	m := canvas.NewText("100%", nil)
	m.TextSize = theme.TextSize()
	return m.MinSize().Add(fyne.NewSize(pad, pad))
}

func (r *progressRenderer) Refresh() {
	th := r.p.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	radius := th.Size(theme.SizeNameInputRadius)
	r.track.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.track.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	r.track.StrokeWidth = th.Size(theme.SizeNameInputBorder)
	r.track.CornerRadius, r.fill.CornerRadius = radius, radius
	r.fill.FillColor = th.Color(theme.ColorNamePrimary, v)
	r.text.Text = fmt.Sprintf("%.0f%%", r.p.value*100)
	r.text.TextSize = th.Size(theme.SizeNameText)
	// The centred text sits on the coloured part from about half way.
	if r.p.value >= 0.55 {
		r.text.Color = th.Color(theme.ColorNameForegroundOnPrimary, v)
	} else {
		r.text.Color = th.Color(theme.ColorNameForeground, v)
	}
	r.Layout(r.p.Size())
	r.track.Refresh()
	r.fill.Refresh()
	r.text.Refresh()
}

func (r *progressRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.fill, r.text}
}

func (r *progressRenderer) Destroy() {}
