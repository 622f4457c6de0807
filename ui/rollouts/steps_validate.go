package rollouts

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// testStep is step 3: the one test device the release is validated on first. A unit already
// updated to the release and back online on it (from its Manage page, say) is offered too: it is
// the validation, and nothing more is sent.
type testStep struct {
	w       *wizard
	box     *fyne.Container
	sel     *widget.Select
	ids     map[string]string // option → device ID
	ready   map[string]bool   // device IDs that already validate the release
	ev      rollout.Evidence
	confirm *widget.RadioGroup // Ultra only
	plan    *widget.Label
	why     *whyList
	send    *widget.Button
	backend *widget.Label
}

func newTestStep(w *wizard) stepView {
	s := &testStep{w: w, ids: map[string]string{}, ready: map[string]bool{}}
	r, _ := w.proc.Release()
	intro := wrapped(fmt.Sprintf("Validate %s on one test device first. It is sent to that unit alone; "+
		"my_fleet can be deployed only once the unit is back online and reports %s. A %s unit has %s to come back. "+
		"A unit you already updated to %s (for example with FW Update on its Manage page) that is back online counts "+
		"as the validation.", r.Label(), r.Version, r.Transport.DisplayName(), rollout.Duration(rollout.ReturnTimeout(r.Transport)), r.Version))
	s.sel = widget.NewSelect(nil, func(string) { w.update() })
	s.sel.PlaceHolder = "Choose an eligible test device"
	s.plan = wrapped("")
	s.why = newWhyList()
	s.backend = wrapped("")
	s.backend.Importance = widget.WarningImportance
	s.send = widget.NewButton("Deploy to the test device", func() {
		ix := w.p.svc.Fleet()
		w.apply(rollout.StartValidation{DeviceID: s.ids[s.sel.Selected], Fleet: ix, Now: w.p.svc.Now(), Evidence: s.ev})
	})
	s.send.Importance = widget.HighImportance
	change := widget.NewButton("Change release", func() { w.edit(rollout.StepRelease) })
	s.box = container.NewVBox(intro, widget.NewLabel("Test device"), s.sel)
	if w.console == fleet.ConsoleUltra {
		s.confirm = widget.NewRadioGroup([]string{"GSM", "WiFi"}, func(v string) {
			if v == "" {
				return
			}
			t, _ := fleet.ParseTransport(v)
			if !w.apply(rollout.ConfirmVariant{Transport: t}) {
				s.confirm.Selected = ""
				s.confirm.Refresh()
			}
		})
		s.confirm.Horizontal = true
		if !w.proc.NeedsVariantConfirmation() {
			// Confirmed earlier for this very release (the step is shown again after a refusal).
			s.confirm.Selected = r.Transport.DisplayName()
		}
		s.box.Add(wrapped("AutoGen Ultra releases never share policy with the Unified engines, and a GSM " +
			"image on a WiFi unit (or the other way round) can brick it. Confirm the transport variant of the " +
			"units you are updating:"))
		s.box.Add(s.confirm)
	}
	s.box.Add(s.backend)
	s.box.Add(container.NewHBox(s.send, change))
	s.box.Add(widget.NewSeparator())
	s.box.Add(s.plan)
	s.box.Add(s.why.acc)
	s.loadEvidence()
	return s
}

func (s *testStep) object() fyne.CanvasObject { return s.box }

// loadEvidence asks the data layer how the units that run the release got it
// (session.Rollouts.RolloutEvidence): the same evidence it judges my_fleet by when the rollout is
// created, so the step never shows a validation the data layer would not accept.
func (s *testStep) loadEvidence() {
	w := s.w
	rel, ok := w.proc.Release()
	if !ok || len(w.proc.Confirming(w.p.svc.Fleet())) == 0 {
		return
	}
	svc := w.p.svc
	type result struct {
		ev  rollout.Evidence
		err error
	}
	kit.Run(w.p.run, func(ctx context.Context) result {
		ev, err := svc.RolloutEvidence(ctx, rel)
		return result{ev, err}
	}, func(r result) {
		if r.err != nil {
			return // no evidence read: no unit is offered as validated, and Send stays the way on
		}
		s.ev = r.ev
		w.update()
	})
}

func deviceOption(d fleet.Device) string {
	o := d.ID
	if d.Name != "" {
		o += " — " + d.Name
	}
	if d.CustomerEmail != "" {
		o += " (" + d.CustomerEmail + ")"
	}
	return o
}

func (s *testStep) update() {
	w := s.w
	ix, now := w.p.svc.Fleet(), w.p.svc.Now()
	r, _ := w.proc.Release()
	plan := w.proc.Preview(ix, now)
	s.ids, s.ready = map[string]string{}, map[string]bool{}
	var opts []string
	for _, d := range w.proc.Confirming(ix) {
		if rollout.Validates(r, d, s.ev) {
			o := deviceOption(d) + "  — already updated to " + r.Version + " and back online"
			opts = append(opts, o)
			s.ids[o], s.ready[d.ID] = d.ID, true
		}
	}
	for _, d := range plan.Eligible {
		o := deviceOption(d)
		opts = append(opts, o)
		s.ids[o] = d.ID
	}
	if strings.Join(opts, "\x00") != strings.Join(s.sel.Options, "\x00") {
		s.sel.Options = opts
		if _, still := s.ids[s.sel.Selected]; !still {
			s.sel.Selected = ""
		}
		s.sel.Refresh()
	}
	if s.sel.Selected == "" && w.proc.TestDevice() != "" {
		// The unit chosen before a refusal stays chosen.
		for o, id := range s.ids {
			if id == w.proc.TestDevice() {
				s.sel.Selected = o
				s.sel.Refresh()
			}
		}
	}
	s.plan.SetText("After validation: " + plan.Summary())
	s.why.set(plan)
	if e := w.proc.LastError(); e != "" {
		s.backend.SetText("The test deployment was not started: " + e + ". Your choices are kept; try again.")
		s.backend.Show()
	} else {
		s.backend.Hide()
	}
	id := s.ids[s.sel.Selected]
	switch {
	case len(opts) == 0:
		s.send.SetText("No eligible test device")
		s.send.Disable()
	case id == "":
		s.send.SetText("Deploy to the test device")
		s.send.Disable()
	case w.proc.NeedsVariantConfirmation():
		s.send.SetText("Confirm the variant first")
		s.send.Disable()
	case s.ready[id]:
		s.send.SetText(fmt.Sprintf("Use %s as the validation (already on %s)", id, r.Version))
		setEnabled(s.send, !w.proc.Busy())
	case w.offline() != "":
		s.send.SetText("Offline — deploying to the test device needs the fleet backend")
		s.send.Disable()
	default:
		s.send.SetText(fmt.Sprintf("Deploy %s to test device %s (1 unit)", r.Version, id))
		setEnabled(s.send, !w.proc.Busy())
	}
}

// validatingStep is step 3 while the release is on its way to the test device.
type validatingStep struct {
	w      *wizard
	box    fyne.CanvasObject
	status *widget.Label
	cancel *confirmButton
}

func newValidatingStep(w *wizard) stepView {
	s := &validatingStep{w: w}
	r, _ := w.proc.Release()
	intro := wrapped(fmt.Sprintf("Sent %s to test device %s alone. Waiting until it is back online and "+
		"reports %s (at most %s for a %s unit). Nothing is sent to my_fleet before that.",
		r.Label(), w.proc.TestDevice(), r.Version, rollout.Duration(rollout.ReturnTimeout(r.Transport)), r.Transport.DisplayName()))
	s.status = wrapped("")
	s.cancel = newConfirmButton("Cancel the test deployment", "Really cancel the test deployment?", func() {
		w.apply(rollout.Cancel{})
	})
	s.box = container.NewVBox(intro, widget.NewProgressBarInfinite(), s.status, s.cancel.btn)
	return s
}

func (s *validatingStep) object() fyne.CanvasObject { return s.box }

func (s *validatingStep) update() {
	w := s.w
	id := w.proc.TestDevice()
	d, found := w.p.svc.Fleet().Get(id)
	stage := "sending"
	if ro, ok := w.proc.TestRollout(); ok {
		stage = string(rollout.StageQueued)
		for _, u := range ro.Units {
			if u.DeviceID == id {
				stage = stageText(u.Stage)
				if u.Stage == rollout.StageOnline {
					// my_fleet opens on the backend's confirmation, not on the unit's return.
					stage += ", waiting for the backend to confirm the version"
				}
			}
		}
	}
	state := "not in the synced fleet"
	if found {
		state = "offline"
		if d.Online {
			state = "online"
		}
		state += ", reports " + orNone(d.Firmware)
	}
	r, _ := w.proc.Release()
	left := rollout.ReturnTimeout(r.Transport) - w.p.svc.Now().Sub(w.proc.TestStarted())
	s.status.SetText(fmt.Sprintf("%s: %s; %s. Gives up in %s.", id, stage, state, rollout.Duration(left)))
	setEnabled(s.cancel.btn, !w.proc.Busy() && w.offline() == "")
}

// failedStep is step 3 when validation failed: nothing goes to my_fleet.
type failedStep struct {
	w   *wizard
	box fyne.CanvasObject
	lbl *widget.Label
}

func newFailedStep(w *wizard) stepView {
	s := &failedStep{w: w, lbl: wrapped("")}
	s.lbl.Importance = widget.DangerImportance
	other := widget.NewButton("Choose another release", func() { w.edit(rollout.StepRelease) })
	over := widget.NewButton("Start over", func() {
		if w.apply(rollout.Reset{}) {
			w.apply(rollout.ChooseConsole{Console: w.console})
		}
	})
	s.box = container.NewVBox(s.lbl, container.NewHBox(other, over))
	return s
}

func (s *failedStep) object() fyne.CanvasObject { return s.box }

func (s *failedStep) update() {
	r, _ := s.w.proc.Release()
	s.lbl.SetText(fmt.Sprintf("Validation of %s failed: %s. Nothing was sent to my_fleet. Investigate the "+
		"test device from its Manage page, then choose another release.", r.Label(), s.w.proc.Failure()))
}
