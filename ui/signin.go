package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// Preference keys of the remembered profile. The password is never stored here: the sign-in
// function keeps the session's refresh token in the OS keyring.
const (
	prefBackend = "signin.backend_url"
	prefEmail   = "signin.email"
)

type signInScreen struct {
	s        *Shell
	backend  *kit.Entry
	email    *kit.Entry
	password *kit.Entry
	button   *widget.Button
	demo     *widget.Button
	back     *widget.Button // "Back to the cached fleet", when the dealer came from it
	note     *widget.Label  // what this sign-in is for (a new profile), in the page's colour: not an error
	errLabel *widget.Label
	details  *widget.Button
	detail   string // the technical text behind the error, for Details
	busy     *widget.ProgressBarInfinite
	content  fyne.CanvasObject
}

func newSignInScreen(s *Shell) *signInScreen {
	si := &signInScreen{s: s}
	prefs := s.prefs()
	si.backend = kit.NewEntry()
	si.backend.SetPlaceHolder("https://fleet.example.com")
	si.backend.SetText(prefs.StringWithFallback(prefBackend, s.opts.DefaultBackendURL))
	si.email = kit.NewEntry()
	si.email.SetPlaceHolder("you@dealer.example.com")
	si.email.SetText(prefs.String(prefEmail))
	si.password = kit.NewPasswordEntry()
	si.password.OnSubmitted = func(string) { si.submit() }
	si.button = widget.NewButton("Sign in", si.submit)
	si.button.Importance = widget.HighImportance
	si.note = widget.NewLabel("")
	si.note.Wrapping = fyne.TextWrapWord
	si.note.TextStyle.Bold = true
	si.note.Hide()
	si.errLabel = widget.NewLabel("")
	si.errLabel.Wrapping = fyne.TextWrapWord
	si.errLabel.Importance = widget.DangerImportance
	si.errLabel.Hide() // shown by setError
	si.details = widget.NewButton("Details", func() { kit.ShowDetails(s.win, si.errLabel.Text, si.detail) })
	si.details.Importance = widget.LowImportance
	si.details.Hide()
	si.busy = widget.NewProgressBarInfinite()
	si.busy.Stop()
	si.busy.Hide()

	form := widget.NewForm(
		widget.NewFormItem("Backend URL", si.backend),
		widget.NewFormItem("Email", si.email),
		widget.NewFormItem("Password", si.password),
	)
	buttons := container.NewHBox(si.button)
	if s.opts.Demo != nil {
		si.demo = widget.NewButton("Try the demo", si.startDemo)
		buttons.Add(si.demo)
	}
	si.back = widget.NewButton("Back to the cached fleet", func() {
		if svc := s.parked; svc != nil && s.signIn == si {
			s.Start(svc)
		}
	})
	si.back.Hide()
	buttons.Add(si.back)
	title := widget.NewLabel("FleetDesk")
	title.SizeName = "headingText"
	title.TextStyle.Bold = true
	intro := widget.NewLabel("Sign in to your fleet backend. Your password is sent once; FleetDesk keeps the session in the system keyring.")
	intro.Wrapping = fyne.TextWrapWord
	card := container.NewVBox(title, intro, si.note, form, buttons, si.busy, si.errLabel, container.NewHBox(si.details))
	si.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 400), card))
	return si
}

func (s *Shell) prefs() fyne.Preferences {
	if s.opts.App != nil {
		return s.opts.App.Preferences()
	}
	return fyne.CurrentApp().Preferences()
}

func (si *signInScreen) focus() {
	c := si.s.win.Canvas()
	switch {
	case si.backend.Text == "":
		c.Focus(si.backend)
	case si.email.Text == "":
		c.Focus(si.email)
	default:
		c.Focus(si.password)
	}
}

func (si *signInScreen) setError(msg string) { si.setErrorDetail(msg, "") }

// setNote says what this sign-in is for, "" for nothing.
func (si *signInScreen) setNote(msg string) {
	si.note.SetText(msg)
	showIf(si.note, msg != "")
}

// Note is the note shown above the form, "" when none.
func (si *signInScreen) Note() string {
	if !si.note.Visible() {
		return ""
	}
	return si.note.Text
}

// prefill puts a known backend and account in the form (the session that needs a new sign-in)
// and the cursor in the password field.
func (si *signInScreen) prefill(backend, email string) {
	if backend != "" {
		si.backend.SetText(backend)
	}
	if email != "" {
		si.email.SetText(email)
	}
	si.focus()
}

// offerBack shows "Back to the cached fleet" (the dealer came from a session needing a sign-in).
func (si *signInScreen) offerBack(on bool) { showIf(si.back, on) }

// setErrorDetail shows msg, with a Details button for the technical text when there is one.
func (si *signInScreen) setErrorDetail(msg, detail string) {
	si.errLabel.SetText(msg)
	si.detail = detail
	showIf(si.errLabel, msg != "")
	showIf(si.details, msg != "" && detail != "")
}

// showErr shows a failed sign-in in the dealer's words (words.Describe), prefixed by what failed.
func (si *signInScreen) showErr(prefix string, err error) {
	d := words.Describe(err)
	si.setErrorDetail(prefix+d.Summary+".", d.Detail)
}

// Error is the error shown, "" when none.
func (si *signInScreen) Error() string {
	if !si.errLabel.Visible() {
		return ""
	}
	return si.errLabel.Text
}

// CheckSignIn validates the form before anything goes on the network, in the words the screen
// shows. The backend URL follows the one rule of session.CheckBackendURL (https, or http on this
// computer only), the same the data layer enforces.
func CheckSignIn(backendURL, email, password string) error {
	if _, err := session.CheckBackendURL(backendURL); err != nil {
		return err
	}
	e := strings.TrimSpace(email)
	if e == "" {
		return errors.New("enter your email address")
	}
	if at := strings.IndexByte(e, '@'); at <= 0 || at == len(e)-1 {
		return fmt.Errorf("%q is not an email address", e)
	}
	if password == "" {
		return errors.New("enter your password")
	}
	return nil
}

func (si *signInScreen) setBusy(on bool) {
	if on {
		si.button.Disable()
		if si.demo != nil {
			si.demo.Disable()
		}
		si.busy.Show()
		si.busy.Start()
		return
	}
	si.button.Enable()
	if si.demo != nil {
		si.demo.Enable()
	}
	si.busy.Stop()
	si.busy.Hide()
}

func (si *signInScreen) submit() {
	backend, email, password := strings.TrimSpace(si.backend.Text), strings.TrimSpace(si.email.Text), si.password.Text
	if err := CheckSignIn(backend, email, password); err != nil {
		si.setError(capitalise(err.Error()) + ".")
		return
	}
	if si.s.opts.SignIn == nil {
		si.setError("This build cannot sign in to a backend.")
		return
	}
	si.setError("")
	si.setBusy(true)
	signIn := si.s.opts.SignIn
	kit.Run(si.s.run, func(ctx context.Context) signInResult {
		ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		svc, err := signIn(ctx, backend, email, password)
		return signInResult{svc, err}
	}, func(r signInResult) {
		if si.s.signIn != si {
			return // the screen was replaced meanwhile
		}
		si.setBusy(false)
		if r.err != nil {
			si.showErr("Sign-in failed: ", r.err)
			return
		}
		prefs := si.s.prefs()
		prefs.SetString(prefBackend, backend)
		prefs.SetString(prefEmail, email)
		si.password.SetText("")
		si.s.Start(r.svc)
	})
}

func (si *signInScreen) startDemo() {
	si.setError("")
	si.setBusy(true)
	demo := si.s.opts.Demo
	kit.Run(si.s.run, func(ctx context.Context) signInResult {
		ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		svc, err := demo(ctx)
		return signInResult{svc, err}
	}, func(r signInResult) {
		if si.s.signIn != si {
			return
		}
		si.setBusy(false)
		if r.err != nil {
			si.showErr("The demo could not start: ", r.err)
			return
		}
		si.s.Start(r.svc)
	})
}

type signInResult struct {
	svc session.Session
	err error
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
