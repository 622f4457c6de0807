package desk

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

func buttonOn(f *fixture, prefix string) *widget.Button {
	bs := find(f.win.Content(), func(b *widget.Button) bool { return strings.HasPrefix(b.Text, prefix) })
	if len(bs) == 0 {
		return nil
	}
	return bs[0]
}

// TestManageLinksToRecoveryPrefilled (issue 11 item 10): the Manage page's Firmware group opens the
// Recovery page with the unit's model and transport already chosen.
func TestManageLinksToRecoveryPrefilled(t *testing.T) {
	f := newDesk(t, basemapOnly())
	dev := f.live.Session.Fleet().At(0)
	f.u.run(func() { f.s.OpenManage(dev.ID) })
	f.u.eventually(10*time.Second, "the Recovery link on the Manage page", func() bool {
		return buttonOn(f, "Recovery page for this model") != nil
	})
	f.u.run(func() {
		test.Tap(buttonOn(f, "Recovery page for this model"))
		if got := f.s.CurrentPage(); got != ui.PageRecovery {
			t.Fatalf("the link shows %q, not the Recovery page", got)
		}
		// The model and transport pickers show once a unit without identity is connected; what
		// the page says meanwhile names the unit it was opened for.
		said := find(f.win.Content(), func(l *widget.Label) bool {
			return strings.Contains(l.Text, "Opened from the Manage page of a "+fleet.VariantOf(dev).String()+" unit")
		})
		if len(said) != 1 {
			t.Fatal("the Recovery page does not say which unit it was opened for")
		}
		selected := map[string]bool{}
		for _, o := range uitest.Objects(f.win.Content()) {
			if s, ok := o.(*widget.Select); ok {
				selected[s.Selected] = true
			}
		}
		if !selected[dev.Model.DisplayName()] || !selected[dev.Transport.DisplayName()] {
			t.Fatalf("Recovery page not pre-filled with %s / %s: selected %v", dev.Model.DisplayName(),
				dev.Transport.DisplayName(), selected)
		}
	})
}

// TestRolloutUnitsShowInConsole (issue 11 item 11): the Firmware Rollouts monitor's "Show these
// units in the Fleet Console" switches to the console narrowed to those units, under a chip that
// says so, and Clear gives the whole fleet back.
func TestRolloutUnitsShowInConsole(t *testing.T) {
	f := newDesk(t, basemapOnly())
	ix := f.live.Session.Fleet()
	var ids []string
	for i := 0; i < ix.Len() && len(ids) < 5; i += 3 {
		ids = append(ids, ix.At(i).ID)
	}
	slices.Sort(ids)
	opts := f.ctl.rolloutOptions(ui.Env{})
	f.u.run(func() {
		f.s.OpenManage(ids[0])
		f.s.ShowPage(ui.PageRollouts)
		f.s.FleetConsole().SetSearch("zzz-no-such-unit")
		opts.ShowInConsole(ids)
		if f.s.CurrentPage() != ui.PageFleetConsole || f.s.Manage() != nil {
			t.Fatalf("shows %q (Manage open: %v), not the Fleet Console", f.s.CurrentPage(), f.s.Manage() != nil)
		}
	})
	chip := rolloutUnits + ": 5"
	f.u.eventually(10*time.Second, "the rollout's units in the console", func() bool {
		var got []string
		for _, d := range f.s.FleetConsole().View() {
			got = append(got, d.ID)
		}
		slices.Sort(got)
		return slices.Equal(got, ids) && len(find(f.win.Content(), func(l *widget.Label) bool { return l.Text == chip })) == 1
	})
	f.u.run(func() {
		if f.s.FleetConsole().SearchText() != "" {
			t.Fatalf("a search %q hides some of the rollout's units", f.s.FleetConsole().SearchText())
		}
		clear := find(f.win.Content(), func(b *widget.Button) bool { return b.Text == "Clear" })
		if len(clear) != 1 {
			t.Fatalf("%d Clear buttons next to the chip", len(clear))
		}
		test.Tap(clear[0])
	})
	f.u.eventually(10*time.Second, "the whole fleet back", func() bool {
		return len(f.s.FleetConsole().View()) == ix.Len() &&
			len(find(f.win.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, rolloutUnits) })) == 0
	})
}
