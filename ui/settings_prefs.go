package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/notify"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/internal/paths"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

var themeLabels = []string{"Follow the system", "Light", "Dark"}
var themeValues = []string{prefs.ThemeSystem, prefs.ThemeLight, prefs.ThemeDark}

// themeSection switches between the system's variant, light and dark at once.
func themeSection(p prefs.Store) fyne.CanvasObject {
	radio := widget.NewRadioGroup(themeLabels, nil)
	radio.Horizontal = true
	for i, v := range themeValues {
		if v == p.Theme() {
			radio.SetSelected(themeLabels[i])
		}
	}
	radio.OnChanged = func(label string) {
		for i, l := range themeLabels {
			if l == label {
				p.SetTheme(themeValues[i])
				p.ApplyTheme(fyne.CurrentApp())
			}
		}
	}
	return radio
}

// defaultsSection: the sync interval and the defaults the Rollouts and Recovery pages start with.
func defaultsSection(p prefs.Store) fyne.CanvasObject {
	var labels []string
	for _, d := range prefs.SyncIntervals {
		labels = append(labels, intervalText(d))
	}
	interval := widget.NewSelect(labels, func(sel string) {
		for _, d := range prefs.SyncIntervals {
			if intervalText(d) == sel {
				p.SetSyncInterval(d)
			}
		}
	})
	interval.SetSelected(intervalText(p.SyncInterval()))

	th := p.Threshold()
	units := kit.NewEntry()
	units.SetText(strconv.Itoa(th.Units))
	pct := kit.NewEntry()
	pct.SetText(strconv.FormatFloat(th.Percent, 'f', -1, 64))
	thMsg := widget.NewLabel("")
	thMsg.Wrapping = fyne.TextWrapWord
	saveTh := func(string) {
		u, err1 := strconv.Atoi(strings.TrimSpace(units.Text))
		f, err2 := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(pct.Text, "%")), 64)
		if err1 != nil || err2 != nil {
			thMsg.SetText("Enter whole units and a percentage, e.g. 2 and 5. Not saved.")
			return
		}
		if err := p.SetThreshold(rollout.Threshold{Units: u, Percent: f}); err != nil {
			thMsg.SetText("Not saved: " + err.Error())
			return
		}
		thMsg.SetText("New rollouts pause themselves after " + strconv.Itoa(u) + " failed units or " + pct.Text + "%, whichever comes first.")
	}
	units.OnChanged, pct.OnChanged = saveTh, saveTh
	saveTh("")

	var bauds []string
	for _, b := range prefs.Bauds {
		bauds = append(bauds, strconv.Itoa(b))
	}
	baud := widget.NewSelect(bauds, func(sel string) {
		if b, err := strconv.Atoi(sel); err == nil {
			p.SetBaud(b)
		}
	})
	baud.SetSelected(strconv.Itoa(p.Baud()))

	form := widget.NewForm(
		widget.NewFormItem("Sync with the backend every", interval),
		widget.NewFormItem("Rollout failure threshold", container.NewHBox(units, widget.NewLabel("units or"), pct, widget.NewLabel("%"))),
		widget.NewFormItem("Serial speed for on-site flashing", container.NewHBox(baud, widget.NewLabel("baud"))),
	)
	note := widget.NewLabel("The sync interval applies from the next sign-in or start. The threshold is where a new rollout's wizard starts; the baud rate is what the Recovery page starts with (it keeps the last one a unit answered at).")
	note.Wrapping = fyne.TextWrapWord
	return container.NewVBox(form, thMsg, note)
}

func intervalText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d/time.Second))
	}
	if d == time.Minute {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// notifySection has one switch per kind of desktop notification.
func notifySection(p prefs.Store) fyne.CanvasObject {
	box := container.NewVBox()
	for _, k := range notify.Kinds {
		kind := k.Kind
		c := widget.NewCheck(k.Label, func(on bool) { p.SetNotify(kind, on) })
		c.SetChecked(p.Notify(kind))
		box.Add(c)
	}
	return box
}

// cacheSection shows where the offline caches are and how big, and clears what is not in use.
type cacheSection struct {
	s       *Shell
	dir     string
	size    *widget.Label
	clear   *widget.Button
	content fyne.CanvasObject
}

func newCacheSection(s *Shell) *cacheSection {
	c := &cacheSection{s: s, dir: s.opts.CacheDir, size: widget.NewLabel("Measuring…")}
	if c.dir == "" {
		if d, err := paths.Default(); err == nil {
			c.dir = d.Cache
		}
	}
	loc := widget.NewLabel(or(c.dir, "unknown"))
	loc.Wrapping = fyne.TextWrapBreak
	c.clear = widget.NewButtonWithIcon("Clear cache", theme.DeleteIcon(), c.clearNow)
	note := widget.NewLabel("Clearing removes map tiles seen online and the offline copies of other profiles. " +
		"The signed-in profile's copy of the fleet stays: it is what FleetDesk shows when the backend cannot be reached.")
	note.Wrapping = fyne.TextWrapWord
	c.content = container.NewVBox(
		widget.NewForm(widget.NewFormItem("Location", loc), widget.NewFormItem("Size", c.size)),
		container.NewHBox(c.clear), note)
	c.measure()
	return c
}

func (c *cacheSection) measure() {
	dir := c.dir
	kit.Run(c.s.view, func(context.Context) string {
		n, err := paths.Size(dir)
		if err != nil {
			return "cannot be measured: " + err.Error()
		}
		return byteSize(n)
	}, c.size.SetText)
}

// keep spares the signed-in profile's cache files (the database and its journal files).
func (c *cacheSection) keep() func(string) bool {
	profile := "default"
	if c.s.svc != nil {
		profile = or(c.s.svc.Status().ProfileName, profile)
	}
	return func(name string) bool { return strings.HasPrefix(name, profile+".db") }
}

func (c *cacheSection) clearNow() {
	dir, keep := c.dir, c.keep()
	c.clear.Disable()
	type res struct {
		freed int64
		err   error
	}
	kit.Run(c.s.view, func(context.Context) res {
		n, err := paths.Clear(dir, keep)
		return res{n, err}
	}, func(r res) {
		c.clear.Enable()
		c.measure()
		if r.err != nil {
			kit.ShowDialog(c.s.win, dialog.NewInformation("Cache partly cleared", "Freed "+byteSize(r.freed)+
				". Some files are in use (by another FleetDesk window?) and were kept.", c.s.win))
		}
	})
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
