package recovery

import (
	"context"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// firmwarePart is the Unit card (who the unit is, its slots, the model and transport choice for a
// unit that does not say) and the Firmware card (the release or file, the preflight summary or
// refusal, and the downgrade choice).
type firmwarePart struct {
	p         *Page
	releases  []rec.CachedImage
	name      string
	data      []byte
	prefilled *fleet.Variant // from the Manage page, when it linked here
	unit      *widget.Label
	slots     *widget.Label
	warn      *widget.Label
	choice    *fyne.Container
	model     *widget.Select
	transport *widget.Select
	sel       *widget.Select
	file      *widget.Button
	fromFile  *widget.Label // the opened file's name: the release list cannot show it
	summary   *widget.Label
	refusal   *problemView
	downgrade *widget.Check
	unitCard  fyne.CanvasObject
	card      fyne.CanvasObject
}

func newFirmwarePart(p *Page) *firmwarePart {
	f := &firmwarePart{p: p}
	f.unit = wrapped("")
	f.showDisconnected()
	f.slots = widget.NewLabel("")
	f.warn = wrapped("")
	f.warn.Importance = widget.WarningImportance
	f.warn.Hide()
	var models, transports []string
	for _, m := range fleet.AllModels {
		models = append(models, m.DisplayName())
	}
	for _, t := range fleet.AllTransports {
		transports = append(transports, t.DisplayName())
	}
	f.model = widget.NewSelect(models, func(string) { f.choiceChanged() })
	f.model.PlaceHolder = "(model)"
	f.transport = widget.NewSelect(transports, func(string) { f.choiceChanged() })
	f.transport.PlaceHolder = "(transport)"
	f.choice = container.NewVBox(
		widget.NewLabel("This unit does not say what it is. Read the model and transport off its label:"),
		container.NewGridWithColumns(2, f.model, f.transport))
	f.choice.Hide()

	f.sel = widget.NewSelect(nil, func(string) { f.releaseChosen() })
	f.sel.PlaceHolder = "(releases for this unit)"
	f.file = widget.NewButtonWithIcon("Open file…", theme.FolderOpenIcon(), f.openFile)
	if p.deps.Window == nil {
		f.file.Hide()
	}
	f.fromFile = wrapped("")
	f.fromFile.Hide()
	f.summary = wrapped("")
	f.summary.Hide()
	f.refusal = newProblemView()
	f.downgrade = widget.NewCheck("Downgrade: I want to flash this older image", func(on bool) {
		p.flow.ChooseDowngrade(on)
		p.render()
	})
	f.downgrade.Hide()
	f.unitCard = widget.NewCard("Unit", "", container.NewVBox(f.unit, f.warn, f.slots, f.choice))
	row := container.NewBorder(nil, nil, widget.NewLabel("Firmware"), f.file, f.sel)
	f.card = widget.NewCard("Firmware", "", container.NewVBox(row, f.fromFile, f.summary, f.downgrade, f.refusal.content))
	return f
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (f *firmwarePart) render(fl *rec.Flow, connected bool) {
	on := connected && !fl.Busy()
	enable(on, f.model, f.transport, f.sel, f.file)
	plan := fl.Plan()
	show(plan != nil && plan.Downgrade(), f.downgrade)
	enable(!fl.Busy(), f.downgrade)
	f.downgrade.SetChecked(fl.DowngradeChosen())
}

// prefill keeps the Manage page's model and transport for the choice and the identity check.
func (f *firmwarePart) prefill(m fleet.Model, t fleet.Transport) {
	v := fleet.VariantFor(m, t)
	f.prefilled = &v
	if m.Valid() {
		f.model.SetSelected(m.DisplayName())
	}
	if t.Valid() {
		f.transport.SetSelected(t.DisplayName())
	}
	if f.p.link != nil {
		f.showUnit()
	} else {
		f.showDisconnected()
	}
}

// showDisconnected says no unit is connected, and which unit the Manage page linked here for, so
// the technician sees the page was pre-filled before the unit is on the cable.
func (f *firmwarePart) showDisconnected() {
	if pv := f.prefilled; pv != nil {
		f.unit.SetText("Not connected. Opened from the Manage page of a " + pv.String() +
			" unit: its model and transport are chosen for you if the unit does not say what it is.")
		return
	}
	f.unit.SetText("Not connected.")
}

// clear forgets the chosen image and what was shown about it.
func (f *firmwarePart) clear() {
	f.name, f.data = "", nil
	say(f.fromFile, "")
	say(f.summary, "")
	f.refusal.clear()
	f.slots.SetText("")
	f.warn.SetText("")
	f.warn.Hide()
}

// showUnit renders what the link knows about the unit.
func (f *firmwarePart) showUnit() {
	u := f.p.link.Unit()
	f.warn.SetText("")
	f.warn.Hide()
	if u.HasIdentity {
		t := "Unit: " + u.Variant.String() + " (" + u.Variant.Console.DisplayName() + ")"
		if u.Serial != "" {
			t += ", serial " + u.Serial
		}
		f.unit.SetText(t)
		f.choice.Hide()
		if pv := f.prefilled; pv != nil && (pv.Model != u.Variant.Model || pv.Transport != u.Variant.Transport) {
			f.warn.SetText("This unit reports " + u.Variant.String() + ", not the " + pv.String() +
				" you came from: check you are connected to the right unit.")
			f.warn.Show()
		}
	} else {
		f.unit.SetText("Unit: plain MCUboot, no identity.")
		f.choice.Show()
	}
	var lines []string
	for _, s := range u.Slots {
		lines = append(lines, strings.TrimSpace(fmt.Sprintf("Slot %d: version %s  %s", s.Slot, s.Version, strings.Join(rec.FlagNames(s), ", "))))
	}
	// A stock MCUboot reports no state flags: what it lists passed its validation, no more is known.
	switch {
	case len(u.Slots) == 0:
		lines = append(lines, "No image listed: the unit holds no valid firmware (its bootloader lists only images that pass its validation).")
	case !u.ReportsState():
		lines = append(lines, "Listed by the bootloader, which lists only images that pass its validation; it reports no state flags.")
	}
	buf := fmt.Sprintf("Receive buffer: %d bytes", u.BufSize)
	if !u.ParamsKnown {
		buf += " (assumed; the unit does not say)"
	}
	f.slots.SetText(strings.Join(append(lines, buf), "\n"))
	f.relabel() // the installed version may have changed (after a flash)
}

// target is the variant firmware must fit: the unit's identity, else the technician's choice.
func (f *firmwarePart) target() (fleet.Variant, *fleet.Variant, bool) {
	if f.p.link == nil {
		return fleet.Variant{}, nil, false
	}
	if u := f.p.link.Unit(); u.HasIdentity {
		return u.Variant, nil, true
	}
	m, err1 := fleet.ParseModel(f.model.Selected)
	t, err2 := fleet.ParseTransport(f.transport.Selected)
	if err1 != nil || err2 != nil {
		return fleet.Variant{}, nil, false
	}
	v := fleet.VariantFor(m, t)
	return v, &v, true
}

func (f *firmwarePart) choiceChanged() {
	if f.p.link == nil {
		return
	}
	f.loadReleases()
	f.preflight()
}

// loadReleases lists the releases for the unit, marked as downloads or as needing a connection.
func (f *firmwarePart) loadReleases() {
	f.releases = nil
	f.sel.ClearSelected()
	f.sel.SetOptions(nil)
	v, _, ok := f.target()
	if !ok || f.p.deps.Data == nil {
		return
	}
	src, gen := f.p.deps.Data.RecoveryFirmware(), f.p.gen
	type listing struct {
		list []rec.CachedImage
		err  error
	}
	kit.Run(f.p.run, func(context.Context) listing {
		l, err := src.Releases(v)
		return listing{l, err}
	}, func(l listing) {
		if gen != f.p.gen {
			return
		}
		if l.err != nil {
			f.refusal.set(rec.Problem{Title: "The releases in the cache could not be read; you can still open a file.", Detail: l.err.Error()})
			return
		}
		f.releases = l.list
		f.sel.SetOptions(f.labels())
		if len(l.list) == 0 {
			f.sel.PlaceHolder = "(no release for " + v.String() + " yet)"
			f.sel.Refresh()
		}
	})
}

// labels name the releases, the installed one and older ones marked.
func (f *firmwarePart) labels() []string {
	var running string
	if f.p.link != nil {
		running = f.p.link.Unit().ActiveVersion()
	}
	out := make([]string, len(f.releases))
	for i, c := range f.releases {
		out[i] = c.LabelFor(running)
	}
	return out
}

// relabel names the releases again, keeping the chosen one chosen (nothing is loaded again).
func (f *firmwarePart) relabel() {
	if len(f.releases) == 0 {
		return
	}
	i := f.sel.SelectedIndex()
	f.sel.Options = f.labels()
	if i >= 0 && i < len(f.sel.Options) {
		f.sel.Selected = f.sel.Options[i]
	}
	f.sel.Refresh()
}

// releaseChosen loads the chosen release (from the cache, or downloading it) and checks it.
func (f *firmwarePart) releaseChosen() {
	i := f.sel.SelectedIndex()
	if i < 0 || i >= len(f.releases) {
		return
	}
	c, gen := f.releases[i], f.p.gen
	f.refusal.clear()
	if !c.Cached {
		say(f.summary, "Downloading "+c.Name+"…")
	}
	f.load(gen, c.Load, func(err error) rec.Problem {
		if c.NeedsNetwork {
			return rec.Problem{Title: c.Name + " is not downloaded yet: it needs a connection to the backend once.",
				Checks: []string{"Connect this laptop to the internet and open this release again, or open a file."}, Detail: err.Error()}
		}
		return rec.Problem{Title: "Could not read " + c.Name + ".", Detail: err.Error()}
	}, func(b []byte) {
		if !f.releases[i].Cached {
			// Now it is in the cache: the list stops saying "(download)".
			f.releases[i].Cached, f.releases[i].NeedsNetwork = true, false
			f.relabel()
		}
		say(f.fromFile, "")
		f.use(c.Name, b)
	})
}

// load reads image bytes on the runner; the outcome is dropped if another unit was connected.
func (f *firmwarePart) load(gen int, read func() ([]byte, error), fail func(error) rec.Problem, use func([]byte)) {
	type loaded struct {
		b   []byte
		err error
	}
	kit.Run(f.p.run, func(context.Context) loaded {
		b, err := read()
		return loaded{b, err}
	}, func(r loaded) {
		if gen != f.p.gen {
			return
		}
		if r.err != nil {
			say(f.summary, "")
			f.refusal.set(fail(r.err))
			return
		}
		use(r.b)
	})
}

func (f *firmwarePart) openFile() {
	win := f.p.deps.Window
	if win == nil {
		return
	}
	gen := f.p.gen
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		name := rc.URI().Name()
		f.load(gen, func() ([]byte, error) {
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, 64<<20))
		}, func(err error) rec.Problem {
			return rec.Problem{Title: "Could not read " + name + ".", Detail: err.Error()}
		}, func(b []byte) {
			f.sel.ClearSelected()
			// The list cannot show a file: its name stays here, also beside a refusal.
			say(f.fromFile, "File: "+name)
			f.use(name, b)
		})
	}, win)
	kit.ShowDialog(win, d)
}

// use sets the chosen image and runs the preflight check on it.
func (f *firmwarePart) use(name string, data []byte) {
	f.name, f.data = name, data
	f.preflight()
}

// preflight checks the chosen image against the unit; it sends nothing, so it runs here.
func (f *firmwarePart) preflight() {
	p := f.p
	if p.flow.Busy() {
		return
	}
	say(f.summary, "")
	f.refusal.clear()
	p.flash.clear() // the last flash's bar and result are not about this image
	if p.link == nil || f.data == nil {
		p.flow.Checked(nil, nil)
		p.render()
		return
	}
	_, choice, ok := f.target()
	if !ok {
		f.refusal.say("Choose the unit's model and transport before choosing firmware.")
		p.flow.Checked(nil, nil)
		p.render()
		return
	}
	plan, err := p.link.Preflight(f.name, f.data, choice)
	p.flow.Checked(plan, err)
	if err != nil {
		pr := rec.Explain(err, p.flow.Port())
		pr.Title, pr.Detail = f.name+" is refused, nothing will be sent: "+err.Error(), ""
		f.refusal.set(pr)
		s, name, data := p.link, f.name, f.data
		p.run.Go(func(context.Context) func() {
			s.RecordRefusal(name, data, err) // the log may write to disk and upload
			return p.rejects.load
		})
	} else {
		say(f.summary, strings.Join(plan.Summary(), "\n"))
	}
	p.render()
}
