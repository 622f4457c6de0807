package mappage

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// otherFilters shows the filters in force that the page has no control for (set on the Fleet
// Console: firmware console, firmware version, transport), so the map never hides units for a
// reason the dealer cannot see, and clears them with one click.
type otherFilters struct {
	label   *widget.Label
	content *fyne.Container
}

func newOtherFilters(clear func()) *otherFilters {
	o := &otherFilters{label: widget.NewLabel("")}
	o.label.Importance = widget.WarningImportance
	o.label.Truncation = fyne.TextTruncateEllipsis
	b := widget.NewButtonWithIcon("Clear these filters", theme.ContentClearIcon(), clear)
	o.content = container.NewBorder(nil, nil, nil, b, o.label)
	o.content.Hide()
	return o
}

// show lists f's filters the page has no control for, or hides the bar when there are none.
func (o *otherFilters) show(f fleet.Filter) {
	var parts []string
	for _, k := range f.Consoles {
		parts = append(parts, k.DisplayName())
	}
	for _, v := range f.Firmware {
		parts = append(parts, "firmware "+v)
	}
	for _, t := range f.Transport {
		parts = append(parts, t.DisplayName())
	}
	if len(parts) == 0 {
		o.content.Hide()
		return
	}
	o.label.SetText("Also filtered from the Fleet Console: " + strings.Join(parts, ", "))
	o.content.Show()
}

// legend explains the markers in the dealer guide's words and the Fleet Console's: the colours,
// the cluster's red badge, and a faded old location. Compact caption-size rows, so it covers
// little of the map.
func legend() fyne.CanvasObject {
	dot := func(c color.Color, stroke color.Color) *canvas.Circle {
		d := canvas.NewCircle(c)
		d.StrokeColor = stroke
		d.StrokeWidth = 1.5
		return d
	}
	row := func(sym fyne.CanvasObject, text string) fyne.CanvasObject {
		t := canvas.NewText(text, theme.Color(theme.ColorNameForeground))
		t.TextSize = theme.CaptionTextSize()
		return container.NewHBox(container.NewCenter(container.NewGridWrap(fyne.NewSize(14, 14), sym)), t)
	}
	// The badge symbol: a green group with a small red dot at its top right, as the map draws it.
	badge := container.NewWithoutLayout(dot(GreenColor, color.White), dot(RedColor, color.White))
	badge.Objects[0].Resize(fyne.NewSize(12, 12))
	badge.Objects[0].Move(fyne.NewPos(0, 2))
	badge.Objects[1].Resize(fyne.NewSize(7, 7))
	badge.Objects[1].Move(fyne.NewPos(8, 0))
	box := container.New(layout.NewCustomPaddedVBoxLayout(0),
		row(dot(GreenColor, color.White), "Reporting normally (a late heartbeat too)"),
		row(dot(RedColor, color.White), "Needs attention or lost contact (offline)"),
		row(badge, "Red badge on a group: how many of its units need attention"),
		row(dot(color.NRGBA{GreenColor.R, GreenColor.G, GreenColor.B, 0x70}, GreenColor), "Faded: last known location over a day old"),
	)
	return container.NewStack(newPanelBg(), container.NewPadded(box))
}

// overlayLayout puts the legend at the bottom left of the map (clear of the attribution at the
// bottom right) and the card at the top right.
type overlayLayout struct{}

func (overlayLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

func (overlayLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding() * 2
	legend, card := objs[0], objs[1]
	ls := legend.MinSize()
	legend.Resize(ls)
	legend.Move(fyne.NewPos(pad, size.Height-ls.Height-pad))
	cs := card.MinSize()
	cs.Width = max(cs.Width, 260)
	card.Resize(cs)
	card.Move(fyne.NewPos(size.Width-cs.Width-pad, pad))
}
