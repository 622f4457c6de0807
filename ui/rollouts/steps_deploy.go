package rollouts

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// deployStep is step 4: deploy the validated release to my_fleet. Sending a release to dozens of
// customer units is never one click: the deploy button asks first, naming the count, the
// release, the variant and the failure threshold.
type deployStep struct {
	w        *wizard
	box      fyne.CanvasObject
	plan     *widget.Label
	why      *whyList
	units    *kit.Entry
	pct      *kit.Entry
	deploy   *widget.Button
	backend  *widget.Label
	details  *widget.Button  // the refusal's exact text, for a support ticket
	ask      *fyne.Container // the confirmation, shown after the first tap
	question *widget.Label
	yes      *widget.Button
	// asked is the units the dealer is asked about, in ID order (nil when not asking): the units
	// a Yes deploys to, exactly.
	asked []string
}

func newDeployStep(w *wizard) stepView {
	s := &deployStep{w: w}
	r, _ := w.proc.Release()
	by := "is back online and reports " + r.Version
	intro := wrapped(fmt.Sprintf("Validated: test device %s %s.", w.proc.TestDevice(), by))
	s.plan = wrapped("")
	s.plan.TextStyle.Bold = true
	s.why = newWhyList()
	th := w.p.opts.Threshold
	if prev := w.proc.Threshold(); prev.Validate() == nil {
		th = prev // a refused deployment keeps the dealer's threshold
	}
	s.units, s.pct = kit.NewEntry(), kit.NewEntry()
	s.units.SetText(strconv.Itoa(th.Units))
	s.pct.SetText(strconv.FormatFloat(th.Percent, 'f', -1, 64))
	s.units.OnChanged = func(string) { s.asked = nil; w.update() }
	s.pct.OnChanged = func(string) { s.asked = nil; w.update() }
	s.backend = wrapped("")
	s.backend.Importance = widget.WarningImportance
	s.details = widget.NewButton("Details", func() {
		if err, win := w.proc.LastFailure(), kit.WindowOf(s.details); err != nil && win != nil {
			kit.ShowDetails(win, s.backend.Text, err.Error())
		}
	})
	s.details.Importance = widget.LowImportance
	s.details.Hide()
	s.deploy = widget.NewButton("Deploy to my_fleet", func() {
		s.asked = s.preview().IDs()
		w.update()
	})
	s.deploy.Importance = widget.HighImportance
	s.question = wrapped("")
	s.question.TextStyle.Bold = true
	s.yes = widget.NewButton("Yes, deploy", s.confirmed)
	s.yes.Importance = widget.DangerImportance
	back := widget.NewButton("Go back", func() { s.asked = nil; w.update() })
	s.ask = container.NewVBox(widget.NewSeparator(), s.question, container.NewHBox(s.yes, back))
	s.ask.Hide()
	change := widget.NewButton("Change release", func() { w.edit(rollout.StepRelease) })
	box := container.NewVBox(intro)
	if w.console == fleet.ConsoleUltra {
		box.Add(widget.NewLabel(fmt.Sprintf("Variant confirmed: AutoGen Ultra %s.", r.Transport.DisplayName())))
	}
	box.Add(s.plan)
	box.Add(s.why.acc)
	box.Add(container.NewHBox(widget.NewLabel("Pause by itself when failures reach"), s.units,
		widget.NewLabel("units or"), s.pct, widget.NewLabel("% of the units")))
	box.Add(container.NewBorder(nil, nil, nil, s.details, s.backend))
	box.Add(container.NewHBox(s.deploy, change))
	box.Add(s.ask)
	s.box = box
	return s
}

func (s *deployStep) object() fyne.CanvasObject { return s.box }

func (s *deployStep) preview() rollout.Eligibility {
	return s.w.proc.Preview(s.w.p.svc.Fleet(), s.w.p.svc.Now())
}

// threshold reads the dealer's threshold entries.
func (s *deployStep) threshold() (rollout.Threshold, error) {
	u, err := strconv.Atoi(strings.TrimSpace(s.units.Text))
	if err != nil {
		return rollout.Threshold{}, fmt.Errorf("failure threshold: %q is not a whole number of units", s.units.Text)
	}
	pct, err := strconv.ParseFloat(strings.TrimSpace(s.pct.Text), 64)
	if err != nil {
		return rollout.Threshold{}, fmt.Errorf("failure threshold: %q is not a percentage", s.pct.Text)
	}
	th := rollout.Threshold{Units: u, Percent: pct}
	return th, th.Validate()
}

// confirmed deploys to exactly the units the question named. If the eligible units changed while
// it was open (a sync brought a unit back, or took one away), the dealer is asked again about
// the new units instead: the count agreed to is the count deployed.
func (s *deployStep) confirmed() {
	w := s.w
	th, err := s.threshold()
	if ids := s.preview().IDs(); err != nil || !slices.Equal(ids, s.asked) || w.offline() != "" {
		s.asked = ids
		w.update()
		return
	}
	units := s.asked
	s.asked = nil
	w.apply(rollout.Deploy{Fleet: w.p.svc.Fleet(), Now: w.p.svc.Now(), Threshold: th, Units: units})
}

func (s *deployStep) update() {
	w := s.w
	plan := s.preview()
	s.plan.SetText(plan.Summary())
	s.why.set(plan)
	// A refusal in words, with what to do: the backend's own text (unit IDs, counts, codes) is
	// one click away in Details.
	switch e, err := w.proc.LastError(), w.proc.LastFailure(); {
	case err != nil:
		s.backend.SetText("The deployment was not started. " + strings.TrimSuffix(words.Text(err), ".") + ". Your choices are kept.")
		s.backend.Show()
		s.details.Show()
	case e != "":
		s.backend.SetText("The deployment was not started: " + e + ". Your choices are kept; try again.")
		s.backend.Show()
		s.details.Hide()
	default:
		s.backend.Hide()
		s.details.Hide()
	}
	r, _ := w.proc.Release()
	th, thErr := s.threshold()
	n := len(plan.Eligible)
	off := w.offline()
	switch {
	case n == 0:
		s.deploy.SetText("No unit of my_fleet is eligible")
		s.deploy.Disable()
	case thErr != nil:
		s.deploy.SetText(thErr.Error())
		s.deploy.Disable()
	case off != "":
		s.deploy.SetText("Offline — deploying to my_fleet needs the fleet backend")
		s.deploy.Disable()
	default:
		s.deploy.SetText(fmt.Sprintf("Deploy %s to %d units of my_fleet…", r.Version, n))
		setEnabled(s.deploy, !w.proc.Busy() && s.asked == nil)
	}
	if s.asked == nil || n == 0 || thErr != nil || off != "" {
		s.asked = nil
		s.ask.Hide()
		return
	}
	asked := len(s.asked)
	word := "units"
	if asked == 1 {
		word = "unit"
	}
	s.question.SetText(fmt.Sprintf("Send release %s to up to %d customer %s of my_fleet? Variant: %s (%s). "+
		"The rollout pauses by itself when failures reach %s. Units install in waves; each goes offline while it installs.",
		r.Label(), asked, word, r.Variant(), r.Console.DisplayName(), th))
	s.yes.SetText(fmt.Sprintf("Yes, deploy %s to %d %s", r.Version, asked, word))
	setEnabled(s.yes, !w.proc.Busy())
	s.ask.Show()
}
