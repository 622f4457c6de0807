package rollouts

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
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

// releaseStep is step 2: the release, among those built for the chosen variant. Each release is a
// row: its choice (version and date) and its notes in full, wrapped to the width there is, so
// releases can be compared before one is chosen.
type releaseStep struct {
	w      *wizard
	box    fyne.CanvasObject
	list   *fyne.Container
	rows   []releaseRow
	chosen string // the chosen release's ID, "" for none
	note   *widget.Label
	next   *widget.Button
}

// releaseRow is one release of the list. Its radio group holds the one option, the rows' groups
// acting as one: choosing a release clears the others.
type releaseRow struct {
	r     rollout.Release
	radio *widget.RadioGroup
	notes *widget.Label
}

func newReleaseStep(w *wizard) stepView {
	s := &releaseStep{w: w, list: container.NewVBox()}
	s.note = wrapped("")
	s.next = widget.NewButton("Next: validate on a test device", func() {
		if r, ok := s.release(); ok {
			w.apply(rollout.ChooseRelease{Release: r})
		}
	})
	s.next.Importance = widget.HighImportance
	change := widget.NewButton("Change engine or variant", func() { w.edit(rollout.StepVariant) })
	s.box = container.NewVBox(
		wrapped(fmt.Sprintf("Choose the release. Only releases of the %s built for %s units are listed, newest first.",
			w.console.DisplayName(), w.proc.Variant())),
		s.list, s.note, container.NewHBox(s.next, change))
	w.loadReleases(w.update)
	return s
}

func (s *releaseStep) object() fyne.CanvasObject { return s.box }

// releaseOption is how a release is chosen in the list: version and date (its notes are under it).
func releaseOption(r rollout.Release) string {
	o := r.Version
	if !r.CreatedAt.IsZero() {
		o += "  (" + r.CreatedAt.Format("2006-01-02") + ")"
	}
	return o
}

// options are the releases as listed.
func (s *releaseStep) options() []string {
	out := make([]string, len(s.rows))
	for i, row := range s.rows {
		out[i] = releaseOption(row.r)
	}
	return out
}

// release is the chosen release.
func (s *releaseStep) release() (rollout.Release, bool) {
	for _, row := range s.rows {
		if row.r.ID == s.chosen {
			return row.r, true
		}
	}
	return rollout.Release{}, false
}

// setRows lists rels, one row each, when they differ from the rows shown.
func (s *releaseStep) setRows(rels []rollout.Release) {
	same := len(rels) == len(s.rows)
	for i := 0; same && i < len(rels); i++ {
		same = rels[i].ID == s.rows[i].r.ID && rels[i].Notes == s.rows[i].r.Notes
	}
	if same {
		return
	}
	s.rows = s.rows[:0]
	s.list.RemoveAll()
	for _, r := range rels {
		row := releaseRow{r: r, notes: wrapped(r.Notes)}
		id := r.ID
		row.radio = widget.NewRadioGroup([]string{releaseOption(r)}, func(sel string) {
			switch {
			case sel != "":
				s.chosen = id
			case s.chosen == id:
				s.chosen = ""
			}
			s.w.update()
		})
		// The notes line up under the option's text, past its radio button.
		indent := canvas.NewRectangle(color.Transparent)
		indent.SetMinSize(fyne.NewSize(theme.IconInlineSize()+theme.Padding()*2, 0))
		body := fyne.CanvasObject(row.radio)
		if r.Notes != "" {
			body = container.New(layout.NewCustomPaddedVBoxLayout(0), row.radio, container.NewBorder(nil, nil, indent, nil, row.notes))
		}
		s.rows = append(s.rows, row)
		s.list.Add(body)
	}
}

func (s *releaseStep) update() {
	w := s.w
	v := w.proc.Variant()
	// The one compatibility rule (rollout.BuiltFor) decides which releases are listed, as it
	// decides everywhere else.
	rels := rollout.ReleasesForVariant(v, w.cat.list)
	s.setRows(rels)
	if cur, ok := w.proc.Release(); ok && s.chosen == "" {
		s.chosen = cur.ID
	}
	r, ok := s.release()
	if !ok {
		s.chosen = ""
	}
	for _, row := range s.rows {
		want := ""
		if row.r.ID == s.chosen {
			want = releaseOption(row.r)
		}
		if row.radio.Selected != want {
			row.radio.Selected = want // no OnChanged: the rows act as one group
			row.radio.Refresh()
		}
	}
	switch {
	case w.cat.err != "":
		s.note.SetText("Releases could not be read. " + w.cat.err + ".")
	case !w.cat.loaded:
		s.note.SetText("Loading releases…")
	case len(rels) == 0:
		s.note.SetText(fmt.Sprintf("There is no release for %s units.", v))
	case !ok:
		s.note.SetText("Choose a release.")
	default:
		e := rollout.Eligible(r, w.p.svc.Fleet().Devices(), w.p.svc.Actor(), w.p.svc.Now())
		s.note.SetText(fmt.Sprintf("%s would reach %d units of my_fleet after validation on one test device.",
			r.Label(), len(e.Eligible)))
	}
	setEnabled(s.next, ok)
}
