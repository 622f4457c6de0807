package fleetconsole

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// unitScope narrows the view to a given set of units, as the Firmware Rollouts monitor asks
// ("Show these units in the Fleet Console"). It is a filter like the chips, so it is shown like
// one: a line above the table says which units these are and how many, with Clear, and the view
// never holds only some units without saying why.
type unitScope struct {
	ids   map[string]struct{} // nil: every unit; replaced, never mutated, so a search may read it
	label *widget.Label
	clear *widget.Button
	box   *fyne.Container
}

func newUnitScope(c *Page) *unitScope {
	u := &unitScope{label: widget.NewLabel("")}
	u.label.TextStyle.Bold = true
	u.clear = widget.NewButtonWithIcon("Clear", theme.ContentClearIcon(), func() {
		u.set("", nil)
		c.requery()
	})
	u.box = container.NewHBox(widget.NewIcon(theme.ListIcon()), u.label, u.clear)
	u.box.Hide()
	return u
}

// set narrows to ids under title ("Units of the firmware rollout"); no title means every unit (a
// rollout without units shows none, not the whole fleet).
func (u *unitScope) set(title string, ids []string) {
	if title == "" {
		u.ids = nil
		u.box.Hide()
		return
	}
	set := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	u.ids = set
	u.label.SetText(fmt.Sprintf("%s: %s", title, kit.Thousands(len(set))))
	u.box.Show()
}

// ShowUnits narrows the view to these units under a chip that names them (title, e.g. "Units of
// the firmware rollout") with a Clear button. The search and the filters are cleared so every one
// of them shows; a later search or filter narrows within them.
func (c *Page) ShowUnits(title string, ids []string) {
	c.units.set(title, ids)
	c.cancelTyping()
	c.show(c.sel.Set(fleet.Filter{}))
	c.reportFilter()
}

// keep is the query's unit narrowing: rows whose unit is in ids, in their order.
func keep(ix *fleet.Index, rows []int, ids map[string]struct{}) []int {
	if ids == nil {
		return rows
	}
	devs := ix.Devices()
	out := make([]int, 0, min(len(rows), len(ids)))
	for _, p := range rows {
		if _, ok := ids[devs[p].ID]; ok {
			out = append(out, p)
		}
	}
	return out
}
