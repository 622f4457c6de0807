package manage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// firmwareSection is the guide's firmware group: whether a newer release exists for this unit's
// exact variant, FW Update and Force OTA with their release picker, and the way to the Recovery
// page for work on site.
type firmwareSection struct {
	svc session.Firmware
	run *kit.Runner
	// online reports whether FleetDesk reaches the backend (an empty catalogue then means none).
	online func() bool
	win    fyne.Window
	send   func(fleet.CommandRequest)
	group  *actionGroup
	check  *widget.Label
	// checkedFor is the unit's variant and version the update check was made for.
	checkedFor string
}

func newFirmwareSection(svc session.Session, run *kit.Runner, win fyne.Window, openRecovery func(fleet.Model, fleet.Transport),
	send func(fleet.CommandRequest), dev func() fleet.Device) *firmwareSection {
	f := &firmwareSection{svc: svc, run: run, win: win, send: send, online: func() bool { return svc.Status().Reachable }}
	f.check = widget.NewLabel("Checking for a newer release…")
	f.check.Wrapping = fyne.TextWrapWord
	extra := []fyne.CanvasObject{f.check}
	if openRecovery != nil {
		link := widget.NewButtonWithIcon("Recovery page for this model…", theme.MediaReplayIcon(), func() {
			d := dev()
			openRecovery(d.Model, d.Transport)
		})
		link.Importance = widget.LowImportance
		extra = append(extra, link)
	}
	f.group = newActionGroup("Firmware", "Releases for this unit's exact variant only",
		[]fleet.Action{fleet.ActionFWUpdate, fleet.ActionForceOTA}, func(act fleet.Action) { f.pick(act, dev()) }, extra...)
	return f
}

// showUnit redraws the update check when the unit's version or variant changed.
func (f *firmwareSection) showUnit(d fleet.Device) {
	key := fleet.VariantOf(d).String() + "@" + d.Firmware
	if key == f.checkedFor {
		return
	}
	f.checkedFor = key
	kit.Run(f.run, func(ctx context.Context) releasesResult {
		return f.load(ctx, d)
	}, func(r releasesResult) {
		if key != f.checkedFor {
			return // the unit changed meanwhile; its own check follows
		}
		switch newest, newer := rollout.NewestFor(d, r.list); {
		case r.err != nil:
			f.check.SetText("Could not check for a newer release. " + words.Text(r.err) + ".")
			f.checkedFor = "" // try again on the next redraw
		case len(r.list) == 0 && !f.online():
			f.check.SetText("Can't check for a newer release: FleetDesk is offline and has no release list cached")
			f.checkedFor = ""
		case len(rollout.ReleasesFor(d, r.list)) == 0:
			f.check.SetText("No release is built for " + fleet.VariantOf(d).String() + " yet")
		case newer:
			f.check.SetText(newest.Version + " available for " + fleet.VariantOf(d).String() + " (installed " + orNone(d.Firmware) + ")")
		default:
			f.check.SetText("Up to date: " + orNone(d.Firmware) + " is the newest release for " + fleet.VariantOf(d).String())
		}
		if r.err == nil && len(r.list) > 0 && !f.online() {
			f.check.SetText(f.check.Text + " (release list as of the last sync)")
		}
	})
}

func (f *firmwareSection) load(ctx context.Context, d fleet.Device) releasesResult {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := f.svc.Releases(ctx, fleet.ConsoleFor(d.Model))
	return releasesResult{list, err}
}

type releasesResult struct {
	list []rollout.Release
	err  error
}

// pick loads the console's releases off the UI goroutine and offers the ones for this unit.
func (f *firmwareSection) pick(act fleet.Action, d fleet.Device) {
	kit.Run(f.run, func(ctx context.Context) releasesResult { return f.load(ctx, d) }, func(r releasesResult) {
		if r.err != nil {
			kit.ShowError(f.win, "Could not load the firmware releases", r.err)
			return
		}
		match := rollout.ReleasesFor(d, r.list)
		if len(match) == 0 {
			kit.ShowDialog(f.win, dialog.NewInformation("No matching firmware",
				fmt.Sprintf("No firmware release is built for %s (%s).", fleet.VariantOf(d), consoleName(d)), f.win))
			return
		}
		f.showPicker(act, d, match)
	})
}

// showPicker is the release dialog. Only a release newer than the installed version is chosen
// for the dealer; a downgrade or the same version says so and needs its own confirmation.
func (f *firmwareSection) showPicker(act fleet.Action, d fleet.Device, match []rollout.Release) {
	labels := make([]string, len(match))
	for i, r := range match {
		labels[i] = releaseLabel(r, d)
	}
	intro := widget.NewLabel(fmt.Sprintf("%s %s at %s.\n%s\nReleases built for %s on the %s:",
		act.DisplayName(), d.ID, orNone(d.CustomerEmail), actionIntro(act, d), fleet.VariantOf(d), consoleName(d)))
	intro.Wrapping = fyne.TextWrapWord
	notes := widget.NewLabel("")
	notes.Wrapping = fyne.TextWrapWord
	warn := widget.NewLabel("")
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.DangerImportance
	warn.Hide()
	sure := widget.NewCheck("", nil)
	sure.Hide()
	sendBtn := widget.NewButton("Send "+act.DisplayName(), nil)
	sendBtn.Importance = widget.HighImportance
	chosen := -1
	update := func() {
		ok := chosen >= 0
		if ok && rollout.DirectionOf(match[chosen], d) != fleet.Upgrade {
			ok = sure.Checked
		}
		if ok {
			sendBtn.Enable()
		} else {
			sendBtn.Disable()
		}
	}
	sure.OnChanged = func(bool) { update() }
	radio := widget.NewRadioGroup(labels, func(s string) {
		chosen = slices.Index(labels, s)
		sure.SetChecked(false)
		warn.Hide()
		sure.Hide()
		if chosen >= 0 {
			notes.SetText(match[chosen].Notes)
			if w := rollout.DirectionWarning(match[chosen], d); w != "" {
				warn.SetText(w + ".")
				warn.Show()
				sure.Text = "I mean to install an older version"
				if rollout.DirectionOf(match[chosen], d) == fleet.Reinstall {
					sure.Text = "I mean to install the same version again"
				}
				sure.Refresh()
				sure.Show()
			}
		}
		update()
	})
	if rollout.DirectionOf(match[0], d) == fleet.Upgrade { // newest first: preselect only an upgrade
		radio.SetSelected(labels[0])
	}
	update()
	content := container.NewVBox(intro, radio, warn, sure, notes)
	dlg := dialog.NewCustomWithoutButtons(act.DisplayName()+" "+d.ID, content, f.win)
	cancel := widget.NewButton("Cancel", dlg.Hide)
	sendBtn.OnTapped = func() {
		if chosen < 0 {
			return
		}
		dlg.Hide()
		req := fleet.CommandRequest{DeviceID: d.ID, Action: act, ReleaseID: match[chosen].ID}
		if sure.Checked {
			// The consent names what the dialog showed: a reinstall's does not cover a downgrade.
			req.Consent = rollout.DirectionOf(match[chosen], d)
		}
		f.send(req)
	}
	dlg.SetButtons([]fyne.CanvasObject{cancel, sendBtn})
	dlg.Resize(fyne.NewSize(560, 420))
	kit.ShowDialog(f.win, dlg)
}
