package rollouts

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// variantStep is step 1: the engine and the transport variant.
type variantStep struct {
	w         *wizard
	box       fyne.CanvasObject
	engine    *widget.RadioGroup
	transport *widget.RadioGroup
	count     *widget.Label
	next      *widget.Button
}

func newVariantStep(w *wizard) stepView {
	s := &variantStep{w: w}
	var engines []string
	for _, m := range fleet.ModelsOf(w.console) {
		engines = append(engines, m.DisplayName())
	}
	s.engine = widget.NewRadioGroup(engines, func(string) { w.update() })
	s.transport = widget.NewRadioGroup([]string{"GSM", "WiFi"}, func(string) { w.update() })
	s.transport.Horizontal = true
	cur := w.proc.Variant()
	if cur.Model != "" {
		s.engine.Selected = cur.Model.DisplayName()
	} else if len(engines) == 1 {
		s.engine.Selected = engines[0]
	}
	if cur.Transport != "" {
		s.transport.Selected = cur.Transport.DisplayName()
	}
	s.count = widget.NewLabel("")
	s.next = widget.NewButton("Next: choose the release", func() {
		if m, t, ok := s.chosen(); ok {
			w.apply(rollout.ChooseVariant{Model: m, Transport: t})
		}
	})
	s.next.Importance = widget.HighImportance
	s.box = container.NewVBox(
		wrapped("A firmware release is built for one engine and one transport variant. Units of any other "+
			"engine or variant are never sent it. Choose the ones you are updating."),
		widget.NewLabel("Engine"), s.engine, widget.NewLabel("Transport variant"), s.transport, s.count, s.next)
	return s
}

func (s *variantStep) object() fyne.CanvasObject { return s.box }

func (s *variantStep) chosen() (fleet.Model, fleet.Transport, bool) {
	m, err1 := fleet.ParseModel(s.engine.Selected)
	t, err2 := fleet.ParseTransport(s.transport.Selected)
	return m, t, err1 == nil && err2 == nil
}

func (s *variantStep) update() {
	m, t, ok := s.chosen()
	if !ok {
		s.count.SetText("Choose the engine and the transport variant.")
		s.next.Disable()
		return
	}
	n := 0
	for _, d := range s.w.p.svc.Fleet().Devices() {
		if d.Model == m && d.Transport == t {
			n++
		}
	}
	s.count.SetText(fmt.Sprintf("%d %s units in your fleet.", n, fleet.VariantFor(m, t)))
	s.next.Enable()
}

// releaseStep is step 2: the release, among those built for the chosen variant.
type releaseStep struct {
	w     *wizard
	box   fyne.CanvasObject
	radio *widget.RadioGroup
	note  *widget.Label
	next  *widget.Button
	byOpt map[string]rollout.Release
}

func newReleaseStep(w *wizard) stepView {
	s := &releaseStep{w: w}
	s.radio = widget.NewRadioGroup(nil, func(string) { w.update() })
	s.note = wrapped("")
	s.next = widget.NewButton("Next: validate on a test device", func() {
		if r, ok := s.byOpt[s.radio.Selected]; ok {
			w.apply(rollout.ChooseRelease{Release: r})
		}
	})
	s.next.Importance = widget.HighImportance
	change := widget.NewButton("Change engine or variant", func() { w.edit(rollout.StepVariant) })
	s.box = container.NewVBox(
		wrapped(fmt.Sprintf("Choose the release. Only releases of the %s built for %s units are listed, newest first.",
			w.console.DisplayName(), w.proc.Variant())),
		s.radio, s.note, container.NewHBox(s.next, change))
	w.loadReleases(w.update)
	return s
}

func (s *releaseStep) object() fyne.CanvasObject { return s.box }

// releaseOption is how a release reads in the list: version, date, notes.
func releaseOption(r rollout.Release) string {
	notes := r.Notes
	if runes := []rune(notes); len(runes) > 90 {
		notes = string(runes[:87]) + "…" // the chosen release's notes show whole below the list
	}
	o := r.Version
	if !r.CreatedAt.IsZero() {
		o += "  (" + r.CreatedAt.Format("2006-01-02") + ")"
	}
	if notes != "" {
		o += "  " + notes
	}
	return o
}

func (s *releaseStep) update() {
	w := s.w
	v := w.proc.Variant()
	// The one compatibility rule (rollout.BuiltFor) decides which releases are listed, as it
	// decides everywhere else.
	var opts []string
	s.byOpt = map[string]rollout.Release{}
	for _, r := range rollout.ReleasesForVariant(v, w.cat.list) {
		o := releaseOption(r)
		opts = append(opts, o)
		s.byOpt[o] = r
	}
	if strings.Join(opts, "\x00") != strings.Join(s.radio.Options, "\x00") {
		s.radio.Options = opts
		s.radio.Refresh()
	}
	if cur, ok := w.proc.Release(); ok && s.radio.Selected == "" {
		s.radio.Selected = releaseOption(cur)
		s.radio.Refresh()
	}
	r, ok := s.byOpt[s.radio.Selected]
	switch {
	case w.cat.err != "":
		s.note.SetText("Releases could not be read. " + w.cat.err + ".")
	case !w.cat.loaded:
		s.note.SetText("Loading releases…")
	case len(opts) == 0:
		s.note.SetText(fmt.Sprintf("There is no release for %s units.", v))
	case !ok:
		s.note.SetText("Choose a release.")
	default:
		e := rollout.Eligible(r, w.p.svc.Fleet().Devices(), w.p.svc.Actor(), w.p.svc.Now())
		text := fmt.Sprintf("%s would reach %d units of my_fleet after validation on one test device.",
			r.Label(), len(e.Eligible))
		if r.Notes != "" {
			text = "Release notes: " + r.Notes + "\n\n" + text
		}
		s.note.SetText(text)
	}
	setEnabled(s.next, ok)
}
