package mappage

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
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
// the cluster's red badge, and a faded old location.
func legend() fyne.CanvasObject {
	row := func(dot *canvas.Circle, text string) fyne.CanvasObject {
		if dot.StrokeColor == nil {
			dot.StrokeColor = color.White
		}
		dot.StrokeWidth = 1.5
		return container.NewHBox(container.NewCenter(container.NewGridWrap(fyne.NewSize(12, 12), dot)),
			widget.NewLabel(text))
	}
	faded := canvas.NewCircle(color.NRGBA{GreenColor.R, GreenColor.G, GreenColor.B, 0x70})
	faded.StrokeColor = GreenColor
	box := container.NewVBox(
		row(canvas.NewCircle(GreenColor), "Reporting normally (a late heartbeat too)"),
		row(canvas.NewCircle(RedColor), "Needs attention or lost contact (offline)"),
		row(canvas.NewCircle(RedColor), "Red badge on a group: how many of its units need attention"),
		row(faded, "Faded: last known location over a day old"),
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
