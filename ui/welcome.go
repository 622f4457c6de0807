package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// The screens the window shows before it has a session, besides the sign-in form: a first run's
// welcome, and "Opening …" while a remembered profile resumes or the demo starts. Which one is
// decided before the window is drawn (Options.Start), so a dealer never sees a sign-in form
// with a focused password field that a cached fleet then replaces.

// StartScreen is the first thing the window shows (Options.Start).
type StartScreen int

const (
	// StartSignIn is the sign-in form (the default).
	StartSignIn StartScreen = iota
	// StartWelcome is a first run's choice, with no profile yet: sign in to your fleet backend,
	// or explore the demo. Without Options.Demo it is the sign-in form.
	StartWelcome
	// StartOpening says what is being opened (Options.Opening): a remembered profile resuming,
	// or the demo starting. Nothing on it takes the keyboard: the data layer decides what
	// follows (the fleet, cached or live, or the sign-in form), and the app then calls Start,
	// ShowSignIn or ShowSignInError.
	StartOpening
)

// showStart shows the screen Options.Start names.
func (s *Shell) showStart() {
	switch {
	case s.opts.Start == StartWelcome && s.opts.Demo != nil:
		s.ShowWelcome()
	case s.opts.Start == StartOpening:
		s.ShowOpening(s.opts.Opening)
	default:
		s.ShowSignIn("")
	}
}

// ShowOpening shows what is being opened ("Opening profile “work”…"), with a progress bar and
// nothing to type into.
func (s *Shell) ShowOpening(what string) {
	s.parked = nil
	s.teardown()
	s.signIn, s.welcome = nil, nil
	s.win.Canvas().Unfocus()
	if what == "" {
		what = "Opening FleetDesk…"
	}
	s.win.SetTitle("FleetDesk")
	title := widget.NewLabel("FleetDesk")
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle.Bold = true
	text := widget.NewLabel(what)
	text.Wrapping = fyne.TextWrapWord
	bar := widget.NewProgressBarInfinite()
	s.win.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 160),
		container.NewVBox(title, text, bar))))
}

// welcome is the first run's screen: two plain choices side by side.
type welcome struct {
	s        *Shell
	signIn   *widget.Button
	demo     *widget.Button
	busy     *widget.ProgressBarInfinite
	errLabel *widget.Label
	details  *widget.Button
	detail   string
	content  fyne.CanvasObject
}

// ShowWelcome shows a first run's choice: sign in to your fleet backend, or explore the demo.
func (s *Shell) ShowWelcome() {
	s.parked = nil
	s.teardown()
	s.signIn = nil
	s.win.Canvas().Unfocus()
	s.win.SetTitle("FleetDesk — welcome")
	w := newWelcome(s)
	s.welcome = w
	s.win.SetContent(w.content)
}

func newWelcome(s *Shell) *welcome {
	w := &welcome{s: s}
	title := widget.NewLabel("Welcome to FleetDesk")
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle.Bold = true
	intro := widget.NewLabel("FleetDesk shows your fleet of generator controllers, acts on one unit, runs " +
		"firmware rollouts and issues API tokens. How do you want to start?")
	intro.Wrapping = fyne.TextWrapWord

	w.signIn = widget.NewButtonWithIcon("Sign in to your fleet backend", theme.LoginIcon(), func() { s.ShowSignIn("") })
	w.signIn.Importance = widget.HighImportance
	signInText := widget.NewLabel("You need the backend's address (https://…) and your dealer account's email " +
		"and password. FleetDesk keeps the sign-in in this computer's keyring, never the password.")
	signInText.Wrapping = fyne.TextWrapWord

	w.demo = widget.NewButtonWithIcon("Explore the demo", theme.MediaPlayIcon(), w.startDemo)
	demoText := widget.NewLabel("A simulated fleet of a made-up dealer, running on this computer only: nothing " +
		"you do there reaches a real unit. The window says DEMO while it is shown.")
	demoText.Wrapping = fyne.TextWrapWord

	w.busy = widget.NewProgressBarInfinite()
	w.busy.Stop()
	w.busy.Hide()
	w.errLabel = widget.NewLabel("")
	w.errLabel.Wrapping = fyne.TextWrapWord
	w.errLabel.Importance = widget.DangerImportance
	w.errLabel.Hide()
	w.details = widget.NewButton("Details", func() { kit.ShowDetails(s.win, w.errLabel.Text, w.detail) })
	w.details.Importance = widget.LowImportance
	w.details.Hide()

	choices := container.NewGridWithColumns(2,
		container.NewVBox(w.signIn, signInText),
		container.NewVBox(w.demo, demoText))
	card := container.NewVBox(title, intro, choices, w.busy, w.errLabel, container.NewHBox(w.details))
	w.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(640, 360), card))
	return w
}

// startDemo starts the embedded demo backend, saying so meanwhile; a failure stays on this screen
// in the dealer's words.
func (w *welcome) startDemo() {
	s := w.s
	w.setBusy(true)
	w.showErr("", nil)
	demo := s.opts.Demo
	kit.Run(s.run, func(ctx context.Context) signInResult {
		ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		svc, err := demo(ctx)
		return signInResult{svc, err}
	}, func(r signInResult) {
		if s.welcome != w {
			return // the screen was replaced meanwhile
		}
		w.setBusy(false)
		if r.err != nil {
			w.showErr("The demo could not start: ", r.err)
			return
		}
		s.Start(r.svc)
	})
}

func (w *welcome) setBusy(on bool) {
	if on {
		w.signIn.Disable()
		w.demo.Disable()
		w.busy.Show()
		w.busy.Start()
		return
	}
	w.signIn.Enable()
	w.demo.Enable()
	w.busy.Stop()
	w.busy.Hide()
}

func (w *welcome) showErr(prefix string, err error) {
	if err == nil {
		w.errLabel.Hide()
		w.details.Hide()
		return
	}
	d := words.Describe(err)
	w.errLabel.SetText(prefix + d.Summary + ".")
	w.detail = d.Detail
	w.errLabel.Show()
	showIf(w.details, d.Detail != "")
}
