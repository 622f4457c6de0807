package tokens

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

const anyChoice = "Any"

// picker chooses the devices a token is restricted to, searching the synced fleet with the
// console's filter (fleet.Filter): text, model, transport, health, firmware. Devices the token could not
// cover are listed but cannot be ticked, with the reason beside them.
type picker struct {
	w *wizard

	search    *kit.Entry
	model     *widget.Select
	transport *widget.Select
	health    *widget.Select
	firmware  *widget.Select
	ownOnly   *widget.Check
	list      *widget.List
	count     *widget.Label
	paste     *kit.Entry
	pasteNote *widget.Label // why pasted IDs were not added; they stay in the field
	box       *fyne.Container

	shown    []fleet.Device
	selected []string // in the order chosen; the preview names them in this order
}

func newPicker(w *wizard) *picker {
	p := &picker{w: w}
	p.search = kit.NewEntry()
	p.search.SetPlaceHolder("Search by device ID, customer email or name")
	p.search.OnChanged = func(string) { p.refilter() }

	models := []string{anyChoice}
	for _, m := range fleet.AllModels {
		models = append(models, m.DisplayName())
	}
	p.model = widget.NewSelect(models, nil)
	p.model.SetSelected(anyChoice)
	p.model.OnChanged = func(string) { p.refilter() }
	transports := []string{anyChoice}
	for _, t := range fleet.AllTransports {
		transports = append(transports, t.DisplayName())
	}
	p.transport = widget.NewSelect(transports, nil)
	p.transport.SetSelected(anyChoice)
	p.transport.OnChanged = func(string) { p.refilter() }
	healths := []string{anyChoice}
	for _, h := range fleet.AllHealth {
		healths = append(healths, string(h))
	}
	p.health = widget.NewSelect(healths, nil)
	p.health.SetSelected(anyChoice)
	p.health.OnChanged = func(string) { p.refilter() }
	firmware := append([]string{anyChoice}, w.p.svc.Fleet().FirmwareVersions()...)
	p.firmware = widget.NewSelect(firmware, nil)
	p.firmware.SetSelected(anyChoice)
	p.firmware.OnChanged = func(string) { p.refilter() }
	p.ownOnly = widget.NewCheck("Only this account's devices", nil)
	p.ownOnly.SetChecked(true)
	p.ownOnly.OnChanged = func(bool) { p.refilter() }

	p.list = widget.NewList(
		func() int { return len(p.shown) },
		func() fyne.CanvasObject { return widget.NewCheck("", nil) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(p.shown) {
				p.updateRow(p.shown[i], o.(*widget.Check))
			}
		},
	)
	p.count = widget.NewLabel("")
	p.count.Wrapping = fyne.TextWrapWord
	p.paste = kit.NewEntry()
	p.paste.SetPlaceHolder(pastePlaceholder(nil))
	p.pasteNote = widget.NewLabel("")
	p.pasteNote.Wrapping = fyne.TextWrapWord
	p.pasteNote.Importance = widget.WarningImportance
	p.pasteNote.Hide()
	addBtn := widget.NewButton("Add", func() { p.addPasted() })
	p.paste.OnSubmitted = func(string) { p.addPasted() }
	allBtn := widget.NewButton("Select all shown", p.selectShown)
	clearBtn := widget.NewButton("Clear", func() { p.selected = nil; p.list.Refresh(); p.w.refresh() })

	filters := container.NewGridWithColumns(4,
		labelled("Model", p.model), labelled("Transport", p.transport), labelled("Health", p.health),
		labelled("Firmware", p.firmware))
	top := container.NewVBox(container.NewBorder(nil, nil, nil, p.ownOnly, p.search), filters)
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, nil, addBtn, p.paste),
		p.pasteNote,
		container.NewBorder(nil, nil, nil, container.NewHBox(allBtn, clearBtn), p.count),
	)
	p.box = container.NewBorder(top, bottom, nil, nil, p.list)
	p.box.Hide()
	return p
}

func labelled(label string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewLabel(label), nil, o)
}

// filter is the console's filter built from the picker's fields.
func (p *picker) filter() fleet.Filter {
	f := fleet.Filter{Text: p.search.Text}
	if m, err := fleet.ParseModel(p.model.Selected); err == nil {
		f.Models = []fleet.Model{m}
	}
	if t, err := fleet.ParseTransport(p.transport.Selected); err == nil {
		f.Transport = []fleet.Transport{t}
	}
	if h, err := fleet.ParseHealth(p.health.Selected); err == nil {
		f.Health = []fleet.Health{h}
	}
	if v := p.firmware.Selected; v != anyChoice && v != "" {
		f.Firmware = []string{v}
	}
	return f
}

// refilter runs the search over the in-memory index; it never touches the network.
func (p *picker) refilter() {
	ix := p.w.p.svc.Fleet()
	now := p.w.p.svc.Now()
	p.shown = p.shown[:0]
	u := p.w.account()
	for _, i := range ix.Search(p.filter(), now) {
		d := ix.At(i)
		if p.ownOnly.Checked && u != nil && !token.Owns(*u, d) {
			continue
		}
		p.shown = append(p.shown, d)
	}
	p.paste.SetPlaceHolder(pastePlaceholder(p.addable(2)))
	p.list.Refresh()
	p.updateCount()
}

// addable is up to n of the shown devices that could go on the token: real examples for the
// paste field's placeholder.
func (p *picker) addable(n int) []string {
	var out []string
	for _, d := range p.shown {
		if len(out) == n {
			break
		}
		if p.refusal(d) == "" {
			out = append(out, d.ID)
		}
	}
	return out
}

// pastePlaceholder shows the format with IDs the dealer's fleet holds (an example with a prefix
// no unit has reads as a rule to follow).
func pastePlaceholder(examples []string) string {
	if len(examples) == 0 {
		return "…or paste device IDs, separated by commas"
	}
	return "…or paste device IDs: " + strings.Join(examples, ", ")
}

// refusal is why the device cannot go on this token (the rule Create applies), or "".
func (p *picker) refusal(d fleet.Device) string {
	if prob, bad := p.w.check().DeviceProblem(p.w.account(), d); bad {
		return prob.Message
	}
	return ""
}

func (p *picker) updateRow(d fleet.Device, c *widget.Check) {
	c.OnChanged = nil // the list reuses rows: setting the state must not toggle the selection
	line := fmt.Sprintf("%s %s", d.Model.DisplayName(), d.ID)
	if d.Name != "" {
		line += "  ·  " + d.Name
	}
	line += "  ·  " + d.Transport.DisplayName() + "  ·  " + string(d.HealthAt(p.w.p.svc.Now()))
	why := p.refusal(d)
	switch {
	case why != "" && p.isSelected(d.ID):
		// Ticked before the account changed: it stays ticked so the dealer sees what to untick.
		line += "  —  untick it, it cannot stay on this token: " + why
	case why != "":
		line += "  —  cannot be added: " + why
	}
	c.Text = line
	c.SetChecked(p.isSelected(d.ID))
	if why != "" && !p.isSelected(d.ID) {
		c.Disable()
	} else {
		c.Enable()
	}
	c.Refresh()
	id := d.ID
	c.OnChanged = func(on bool) { p.set(id, on) }
}

func (p *picker) isSelected(id string) bool {
	for _, s := range p.selected {
		if s == id {
			return true
		}
	}
	return false
}

func (p *picker) set(id string, on bool) {
	if on == p.isSelected(id) {
		return
	}
	if on {
		p.selected = append(p.selected, id)
	} else {
		out := p.selected[:0]
		for _, s := range p.selected {
			if s != id {
				out = append(out, s)
			}
		}
		p.selected = out
	}
	p.list.Refresh()
	p.w.refresh()
}

func (p *picker) selectShown() {
	for _, d := range p.shown {
		if p.refusal(d) == "" && !p.isSelected(d.ID) {
			p.selected = append(p.selected, d.ID)
		}
	}
	p.list.Refresh()
	p.w.refresh()
}

// addPasted ticks the IDs typed or pasted into the entry that can go on the token. The others are
// not ticked (a ticked row labelled "cannot be added" says two things at once): they stay in the
// field, nothing lost, with the reason for each below it.
func (p *picker) addPasted() {
	fields := strings.FieldsFunc(p.paste.Text, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' || r == '\r'
	})
	var kept, why []string
	for _, id := range fields {
		if p.isSelected(id) || slices.Contains(kept, id) {
			continue
		}
		if reason := p.pasteRefusal(id); reason != "" {
			kept, why = append(kept, id), append(why, reason)
			continue
		}
		p.selected = append(p.selected, id)
	}
	p.paste.SetText(strings.Join(kept, ", "))
	p.pasteNote.SetText(strings.Join(why, "\n"))
	if setVisible(p.pasteNote, len(why) > 0) {
		p.box.Refresh()
	}
	p.list.Refresh()
	p.w.refresh()
}

// pasteRefusal is why a pasted ID cannot go on the token (the rule Create applies), or "".
func (p *picker) pasteRefusal(id string) string {
	d, ok := p.w.p.svc.Fleet().Get(id)
	if !ok {
		return id + " is not in your fleet: unknown, or outside your dealer scope"
	}
	return p.refusal(d)
}

func (p *picker) updateCount() {
	switch n := len(p.selected); n {
	case 0:
		p.count.SetText(fmt.Sprintf("%d shown, none selected", len(p.shown)))
	default:
		list := strings.Join(p.selected, ", ")
		if n > 6 {
			list = strings.Join(p.selected[:6], ", ") + ", …"
		}
		p.count.SetText(fmt.Sprintf("%d shown, %d selected: %s", len(p.shown), n, list))
	}
}
