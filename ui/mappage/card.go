package mappage

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// showCard opens the card of one unit: who it is, its connection and health in the Fleet
// Console's words, how old its last known location is, and Manage.
func (p *Page) showCard(d fleet.Device) {
	if !p.sel.Select(d.ID) {
		return // not in view: no card, so Manage never opens a unit the filters hide
	}
	p.Map.SetSelected(d.ID)
	p.unitCard = true
	h := d.HealthAt(p.now)
	// The Fleet Console's dot for this health: one look for one classification on both pages.
	dotBox := container.NewGridWrap(fyne.NewSize(kit.DotSize, kit.DotSize), kit.NewDot(h))
	title := widget.NewLabelWithStyle(d.ID, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), p.closeCard)
	closeBtn.Importance = widget.LowImportance
	pos := widget.NewLabel("No last known location")
	if at, stale, ok := d.FixAge(p.now); ok {
		pos.SetText("Last known location: " + fleet.Ago(p.now, at) + " (" + fleet.Since(p.now, at) + ")")
		if stale {
			pos.SetText(pos.Text + ", may have moved since")
			pos.Importance = widget.WarningImportance
		}
	}
	name := d.Name
	if name == "" {
		name = "(no name)"
	}
	customer := d.CustomerEmail
	if customer == "" {
		customer = "no customer"
	}
	manage := widget.NewButtonWithIcon("Manage", theme.SettingsIcon(), func() {
		if id := p.sel.Selected(); id != "" && p.opts.OnManage != nil {
			p.opts.OnManage(id)
		}
	})
	manage.Importance = widget.HighImportance
	p.cardBox.Objects = []fyne.CanvasObject{
		container.NewBorder(nil, nil, nil, closeBtn, title),
		widget.NewLabel(name),
		widget.NewLabel(customer),
		container.NewHBox(container.NewCenter(dotBox), widget.NewLabel(d.ConnectionAsOf(p.now, !p.stale)+" · "+h.Label())),
		widget.NewLabel(d.Model.DisplayName() + ", " + d.Transport.DisplayName()),
		pos,
		manage,
	}
	p.cardBox.Refresh()
	p.card.Show()
	p.card.Refresh()
}

func (p *Page) showCluster(items []mapview.Marker) {
	p.sel.Unselect()
	p.unitCard = false
	p.Map.SetSelected("")
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), p.closeCard)
	closeBtn.Importance = widget.LowImportance
	objs := []fyne.CanvasObject{container.NewBorder(nil, nil, nil, closeBtn,
		widget.NewLabelWithStyle(plural(len(items), "unit", "units")+" here", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))}
	const shown = 8
	for i, it := range items {
		if i == shown {
			objs = append(objs, widget.NewLabel(fmt.Sprintf("and %d more", len(items)-shown)))
			break
		}
		id := it.ID
		label := id
		if d, ok := p.ix.Get(id); ok && d.Name != "" {
			label = id + " · " + d.Name
		}
		b := widget.NewButton(label, func() {
			if d, ok := p.ix.Get(id); ok {
				p.showCard(d)
			}
		})
		b.Alignment = widget.ButtonAlignLeading
		objs = append(objs, b)
	}
	p.cardBox.Objects = objs
	p.cardBox.Refresh()
	p.card.Show()
	p.card.Refresh()
}

func (p *Page) closeCard() {
	p.sel.Unselect()
	p.unitCard = false
	p.Map.SetSelected("")
	p.card.Hide()
}

// cardShowsUnit reports whether the card is open on one unit (not a cluster's list).
func (p *Page) cardShowsUnit() bool { return p.card.Visible() && p.unitCard }
