package mappage

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// panelBg is the backdrop of the legend and the card. A plain rectangle would keep the colour of
// the theme it was made under; as a widget it picks up a light/dark switch on refresh.
type panelBg struct {
	widget.BaseWidget
}

func newPanelBg() *panelBg {
	p := &panelBg{}
	p.ExtendBaseWidget(p)
	return p
}

func (p *panelBg) CreateRenderer() fyne.WidgetRenderer {
	r := &panelRenderer{rect: canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))}
	r.rect.CornerRadius = theme.InputRadiusSize()
	return r
}

type panelRenderer struct{ rect *canvas.Rectangle }

func (r *panelRenderer) Layout(s fyne.Size)           { r.rect.Resize(s) }
func (r *panelRenderer) MinSize() fyne.Size           { return fyne.NewSize(0, 0) }
func (r *panelRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.rect} }
func (r *panelRenderer) Destroy()                     {}
func (r *panelRenderer) Refresh() {
	r.rect.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	r.rect.CornerRadius = theme.InputRadiusSize()
	r.rect.Refresh()
}
