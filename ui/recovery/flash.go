package recovery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// flashPart is Flash and Cancel with why Flash is not possible yet, the progress bar (shown once
// a flash starts, so an empty bar never reads as a finished one), speed and ETA, the step rows,
// and the outcome: a result line, or a problem told as what to check.
type flashPart struct {
	p       *Page
	flash   *widget.Button
	cancel  *widget.Button
	hint    *widget.Label
	bar     *progressBar
	speed   *widget.Label
	icons   []*widget.Icon
	names   []*widget.Label
	result  *widget.Label
	problem *problemView
	content fyne.CanvasObject
}

func newFlashPart(p *Page) *flashPart {
	f := &flashPart{p: p}
	f.flash = widget.NewButtonWithIcon("Flash", theme.UploadIcon(), f.start)
	f.flash.Importance = widget.HighImportance
	f.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), f.stop)
	// Why Flash cannot be pressed yet, in the text colour: it is what the technician reads next.
	f.hint = widget.NewLabel("")
	f.bar = newProgressBar()
	f.bar.Hide()
	f.speed = widget.NewLabel("")
	f.speed.Hide()
	steps := container.NewVBox()
	for _, n := range rec.StepNames {
		ic := widget.NewIcon(theme.RadioButtonIcon())
		l := widget.NewLabel(n)
		f.icons = append(f.icons, ic)
		f.names = append(f.names, l)
		steps.Add(container.NewHBox(ic, l))
	}
	f.result = wrapped("")
	f.result.Hide()
	f.problem = newProblemView()
	f.content = container.NewVBox(container.NewHBox(f.flash, f.cancel, f.hint), f.bar, f.speed, f.result, f.problem.content, steps)
	return f
}

func (f *flashPart) render(fl *rec.Flow) {
	err := fl.FlashBlocked()
	enable(err == nil, f.flash)
	enable(fl.Busy() && !fl.CancelAsked(), f.cancel)
	switch {
	case err == nil || fl.Busy() || fl.Phase() == rec.PhaseDone:
		f.hint.SetText("")
	default:
		f.hint.SetText(sentence(err))
	}
	for i, m := range fl.Steps() {
		f.icons[i].SetResource(map[rec.StepMark]fyne.Resource{rec.StepTodo: theme.RadioButtonIcon(),
			rec.StepActive: theme.MediaPlayIcon(), rec.StepDone: theme.ConfirmIcon(), rec.StepFailed: theme.ErrorIcon(),
			rec.StepUnknown: theme.QuestionIcon()}[m])
		name := rec.StepNames[i]
		if m == rec.StepUnknown {
			name += unknownStep[i]
		}
		if f.names[i].Text != name {
			f.names[i].SetText(name)
		}
	}
}

// unknownStep says why a step row could not be checked (rec.StepUnknown).
var unknownStep = map[int]string{
	int(rec.StageReconnect) + 1: ": nothing answered after the restart (many applications do not speak SMP on this port)",
	int(rec.StageConfirm) + 1:   ": could not be asked; check the unit itself",
}

// clear forgets the last flash's progress and outcome.
func (f *flashPart) clear() {
	f.bar.SetValue(0)
	f.bar.Hide()
	say(f.speed, "")
	say(f.result, "")
	f.problem.clear()
}

func (f *flashPart) start() {
	p := f.p
	plan, err := p.flow.Flash()
	if err != nil {
		p.render()
		return
	}
	s := p.link
	ctx, cancel := context.WithCancel(p.run.Context())
	p.cancel = cancel
	f.clear()
	f.bar.Show()
	p.render()
	var last time.Time
	var lastStage rec.Stage = -1
	progress := func(pr rec.Progress) {
		// Redraw at most ten times a second, but never miss a stage change or a note.
		if pr.Stage == lastStage && pr.Note == "" && time.Since(last) < 100*time.Millisecond && pr.Sent < pr.Total {
			return
		}
		last, lastStage = time.Now(), pr.Stage
		p.run.Do(func() { f.showProgress(pr) })
	}
	type outcome struct {
		res rec.Result
		err error
	}
	kit.Run(p.run, func(context.Context) outcome {
		res, err := s.Flash(ctx, plan, progress)
		return outcome{res, err}
	}, func(o outcome) {
		cancel()
		p.cancel = nil
		f.finished(o.res, o.err)
		p.rejects.load()
	})
}

func (f *flashPart) showProgress(pr rec.Progress) {
	if f.p.flow.Phase() != rec.PhaseFlashing {
		return
	}
	if pr.Total > 0 {
		f.bar.SetValue(float64(pr.Sent) / float64(pr.Total))
	}
	f.p.flow.Progressed(pr.Stage)
	switch {
	case pr.Stage == rec.StageUpload && pr.Rate > 0:
		t := fmt.Sprintf("%s of %s bytes, %.2f KB/s, about %s left", kit.Thousands(int(pr.Sent)),
			kit.Thousands(int(pr.Total)), pr.Rate/1000, pr.ETA.Round(time.Second))
		if pr.Note != "" {
			t += " — " + pr.Note
		}
		say(f.speed, t)
	case pr.Note != "":
		say(f.speed, pr.Note)
	}
	f.p.render()
}

func (f *flashPart) finished(res rec.Result, err error) {
	p := f.p
	if err != nil {
		// Offer a retry with the same image; the check runs again and sends nothing.
		var retry *rec.Plan
		if p.link != nil && p.fw.data != nil {
			_, choice, _ := p.fw.target()
			retry, _ = p.link.Preflight(p.fw.name, p.fw.data, choice)
		}
		p.flow.Flashed(res.Outcome, err, retry)
		if errors.Is(err, rec.ErrCancelled) {
			say(f.result, "Cancelled: "+err.Error()+".")
		} else {
			pr := rec.Explain(err, p.flow.Port())
			pr.Title = map[rec.Outcome]string{rec.OutcomeVerified: "Not started: ", rec.OutcomeOtherImage: "Another image runs: "}[res.Outcome] + pr.Title
			if res.Outcome == rec.OutcomeNone {
				pr.Title = "Failed: " + pr.Title
			}
			f.problem.set(pr)
		}
		if p.link != nil {
			p.fw.showUnit() // what the unit holds now (an interrupted upload may have erased its firmware)
		}
		p.render()
		return
	}
	p.flow.Flashed(res.Outcome, nil, nil)
	f.bar.SetValue(1)
	say(f.speed, "") // the last progress note; the result says it all
	say(f.result, fmt.Sprintf("Done. %s\n%s bytes in %.1f s, %.2f KB/s.",
		res.Report(), kit.Thousands(int(res.Bytes)), res.UploadTime.Seconds(), res.Throughput/1000))
	p.fw.showUnit()
	// The summary described the unit before the flash; the result line now says what it runs.
	say(p.fw.summary, "")
	p.render()
}

// say sets a label's text and hides it while empty, so empty lines leave no gaps.
func say(l *widget.Label, text string) {
	l.SetText(text)
	show(text != "", l)
}

// sentence is an error as a sentence on its own: capital first, full stop last.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (f *flashPart) stop() {
	p := f.p
	if p.cancel == nil || !p.flow.Cancel() {
		return
	}
	p.cancel()
	if p.flow.Phase() == rec.PhaseFlashing {
		say(f.speed, "Cancelling at the next chunk; the unit will not be reset…")
	}
	p.render()
}
