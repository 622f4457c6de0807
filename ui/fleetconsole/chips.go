package fleetconsole

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

const (
	anyModel    = "Any model"
	anyFirmware = "Any firmware"
)

// chips are the filter controls under the search box: toggles for health (the guide's words) and
// firmware console ("X Pro console", so "console" never means this page), pickers for model and
// firmware version. Two rows, so a 1000-pixel window still shows them all and Clear filters.
type chips struct {
	c        *Page
	health   map[fleet.Health]*kit.Chip
	consoles map[fleet.Console]*kit.Chip
	model    *widget.Select
	firmware *widget.Select
	clear    *widget.Button
	fwKnown  []string
	fwIndex  *fleet.Index
	rows     [2]fyne.CanvasObject
}

func newChips(c *Page) *chips {
	ch := &chips{c: c, health: map[fleet.Health]*kit.Chip{}, consoles: map[fleet.Console]*kit.Chip{}}
	row := container.NewHBox()
	row2 := container.NewHBox()
	for _, h := range fleet.AllHealth {
		h := h
		b := kit.NewChip(kit.HealthLabel(h), theme.RadioButtonIcon(), func() {
			f := c.sel.Filter()
			f.Health = toggle(f.Health, h)
			c.setChips(f)
		})
		ch.health[h] = b
		row.Add(b)
	}
	for _, k := range fleet.AllConsoles {
		k := k
		b := kit.NewChip(consoleShort(k), nil, func() {
			f := c.sel.Filter()
			f.Consoles = toggle(f.Consoles, k)
			c.setChips(f)
		})
		ch.consoles[k] = b
		row2.Add(b)
	}
	models := []string{anyModel}
	for _, m := range fleet.AllModels {
		models = append(models, m.DisplayName())
	}
	ch.model = widget.NewSelect(models, func(s string) {
		if s == modelChoice(c.sel.Filter()) {
			return // the value sync gave it: not the dealer's choice
		}
		f := c.sel.Filter()
		f.Models = nil
		if m, err := fleet.ParseModel(s); err == nil {
			f.Models = []fleet.Model{m}
		}
		c.setChips(f)
	})
	ch.model.Selected = anyModel
	ch.firmware = widget.NewSelect([]string{anyFirmware}, func(s string) {
		if s == firmwareChoice(c.sel.Filter()) {
			return // the value sync gave it: not the dealer's choice
		}
		f := c.sel.Filter()
		f.Firmware = nil
		if s != anyFirmware && s != "" {
			f.Firmware = []string{s}
		}
		c.setChips(f)
	})
	ch.firmware.Selected = anyFirmware
	ch.refreshFirmware(c.v.ix)
	ch.clear = widget.NewButtonWithIcon("Clear filters", theme.ContentClearIcon(), func() {
		c.setChips(fleet.Filter{})
	})
	row2.Add(widget.NewSeparator())
	row2.Add(container.NewGridWrap(fyne.NewSize(150, ch.model.MinSize().Height), ch.model))
	row2.Add(container.NewGridWrap(fyne.NewSize(150, ch.firmware.MinSize().Height), ch.firmware))
	row2.Add(ch.clear)
	ch.rows = [2]fyne.CanvasObject{row, row2}
	ch.sync()
	return ch
}

// sync makes every chip show the filter in force.
func (ch *chips) sync() {
	f := ch.c.sel.Filter()
	for h, b := range ch.health {
		on := slices.Contains(f.Health, h)
		b.SetOn(on)
		if on {
			b.SetIcon(theme.RadioButtonCheckedIcon())
		} else {
			b.SetIcon(theme.RadioButtonIcon())
		}
	}
	for k, b := range ch.consoles {
		b.SetOn(slices.Contains(f.Consoles, k))
	}
	ch.model.SetSelected(modelChoice(f))
	ch.firmware.SetSelected(firmwareChoice(f))
	f.Text = ""
	if f.IsZero() {
		ch.clear.Disable()
	} else {
		ch.clear.Enable()
	}
}

// modelChoice is what the model picker shows for a filter.
func modelChoice(f fleet.Filter) string {
	if len(f.Models) == 1 {
		return f.Models[0].DisplayName()
	}
	return anyModel
}

// firmwareChoice is what the firmware picker shows for a filter.
func firmwareChoice(f fleet.Filter) string {
	if len(f.Firmware) == 1 {
		return f.Firmware[0]
	}
	return anyFirmware
}

// refreshFirmware offers the versions present in the fleet; it runs after every search, so it
// does the work only for a new snapshot, and touches the widget only when the set changed.
func (ch *chips) refreshFirmware(ix *fleet.Index) {
	if ix == ch.fwIndex {
		return
	}
	ch.fwIndex = ix
	vs := slices.Clone(ix.FirmwareVersions()) // the index's own list is shared
	slices.SortFunc(vs, func(a, b string) int { return -fleet.CompareVersions(a, b) })
	if slices.Equal(vs, ch.fwKnown) {
		return
	}
	ch.fwKnown = vs
	ch.firmware.SetOptions(append([]string{anyFirmware}, vs...))
}

func toggle[T comparable](list []T, v T) []T {
	if i := slices.Index(list, v); i >= 0 {
		return slices.Delete(slices.Clone(list), i, i+1)
	}
	return append(slices.Clone(list), v)
}

// consoleShort names a firmware console as the guide does ("the X Pro firmware console").
func consoleShort(k fleet.Console) string {
	switch k {
	case fleet.ConsoleXPro:
		return "X Pro console"
	case fleet.ConsoleUnified:
		return "Unified console"
	case fleet.ConsoleUltra:
		return "Ultra console"
	}
	return string(k)
}
