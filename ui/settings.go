package ui

import (
	"context"
	"errors"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/internal/version"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// Profiles is optional (Options.Profiles): the remembered backends, each with its own sign-in in
// the OS keyring and its own offline cache. cmd/fleetdesk implements it over the profiles file.
type Profiles interface {
	// Names lists the profiles and says which one is in use.
	Names() (names []string, current string)
	// Switch closes the session shown and resumes the named profile's saved sign-in; it runs off
	// the UI goroutine. An error wrapping auth.ErrNotSignedIn means the profile must sign in again.
	Switch(ctx context.Context, name string) (session.Session, error)
	// Add checks a new profile name and makes it the one the next sign-in is saved under.
	Add(name string) error
}

// newSettings builds the Settings page: the account and profiles, appearance, syncing and the
// pages' defaults, notifications, the offline cache, the sections other areas contribute (the
// map's tile source), the keyboard and About. Everything here is a preference; no secret is
// shown or stored.
func newSettings(s *Shell, env Env) fyne.CanvasObject {
	p := prefs.New(s.prefs())
	about := widget.NewButtonWithIcon("About FleetDesk", theme.InfoIcon(), func() { ShowAbout(s.win) })
	box := container.NewVBox(
		container.NewHBox(widget.NewLabel("FleetDesk "+version.Get().Version), about),
		widget.NewCard("Account", "", s.accountSection()),
		widget.NewCard("Appearance", "", themeSection(p)),
		widget.NewCard("Syncing and defaults", "", container.NewVBox(s.updatesRow(), defaultsSection(p))),
		widget.NewCard("Desktop notifications", "Shown while the FleetDesk window is not in front.", notifySection(p)),
		widget.NewCard("Offline cache", "", newCacheSection(s).content),
	)
	for _, sec := range s.opts.Settings {
		if sec.Build != nil {
			box.Add(widget.NewCard(sec.Title, "", sec.Build(env)))
		}
	}
	box.Add(widget.NewCard("Keyboard", "", widget.NewLabel(
		"Ctrl+F (⌘F on macOS): search the fleet\nUp / Down in the search box: move the selection\nEnter: open the selected unit's Manage page\nEsc: close a dialog, or leave the Manage page")))
	return container.NewVScroll(box)
}

// updatesRow says how the fleet is kept current (Live, or every interval and why); the shell
// keeps it current with the status.
func (s *Shell) updatesRow() fyne.CanvasObject {
	s.updates = widget.NewLabel(UpdatesDetail(s.svc.Status()))
	s.updates.Wrapping = fyne.TextWrapWord
	return s.updates
}

// accountSection is who is signed in where, the profiles, and sign-out.
func (s *Shell) accountSection() fyne.CanvasObject {
	st := s.svc.Status()
	actor := s.svc.Actor()
	form := widget.NewForm(
		widget.NewFormItem("Profile", widget.NewLabel(or(st.ProfileName, "default"))),
		widget.NewFormItem("Backend", widget.NewLabel(backendText(st))),
		widget.NewFormItem("Dealer", widget.NewLabel(or(st.DealerName, "—"))),
		widget.NewFormItem("Signed in as", widget.NewLabel(or(st.UserEmail, "—")+"  ("+or(string(actor.Role), "unknown role")+")")),
	)
	signOut := widget.NewButtonWithIcon("Sign out", theme.LogoutIcon(), func() { s.confirmSignOut() })
	if s.opts.SignOut == nil {
		signOut.Disable()
	}
	buttons := container.NewHBox(signOut)
	if pr := s.opts.Profiles; pr != nil {
		names, current := pr.Names()
		others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == current })
		pick := widget.NewSelect(others, nil)
		pick.PlaceHolder = "(another profile)"
		switchBtn := widget.NewButtonWithIcon("Switch", theme.MediaSkipNextIcon(), func() {
			if pick.Selected != "" {
				s.switchProfile(pick.Selected)
			}
		})
		if len(others) == 0 {
			pick.Disable()
			switchBtn.Disable()
		}
		add := widget.NewButtonWithIcon("Add profile…", theme.ContentAddIcon(), s.addProfile)
		buttons.Add(widget.NewSeparator())
		buttons.Add(pick)
		buttons.Add(switchBtn)
		buttons.Add(add)
	}
	return container.NewVBox(form, buttons)
}

// switchProfile closes this session and opens another profile's.
func (s *Shell) switchProfile(name string) {
	pr := s.opts.Profiles
	s.teardown()
	s.win.SetContent(container.NewCenter(widget.NewLabel("Opening profile " + name + "…")))
	type res struct {
		svc session.Session
		err error
	}
	kit.Run(s.run, func(ctx context.Context) res {
		svc, err := pr.Switch(ctx, name)
		return res{svc, err}
	}, func(r res) {
		if r.err != nil {
			s.ShowSignInError(r.err)
			return
		}
		s.Start(r.svc)
		s.ShowPage(PageSettings)
	})
}

// addProfile asks for a name, then shows the sign-in screen; the sign-in is saved under it.
func (s *Shell) addProfile() {
	name := kit.NewEntry()
	name.SetPlaceHolder("e.g. north-region")
	d := dialog.NewForm("Add a profile", "Continue to sign-in", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Profile name", name)}, func(ok bool) {
			if !ok {
				return
			}
			if err := s.opts.Profiles.Add(name.Text); err != nil {
				kit.ShowDialog(s.win, dialog.NewError(errors.New("That name cannot be used: "+err.Error()), s.win))
				return
			}
			s.ShowSignInFor("New profile \u201c" + name.Text + "\u201d: sign in to save it.")
		}, s.win)
	name.OnSubmitted = func(string) { d.Submit() } // Enter continues, as the button does
	d.Resize(fyne.NewSize(420, 160))
	kit.ShowDialog(s.win, d)
	s.win.Canvas().Focus(name)
}

func (s *Shell) confirmSignOut() {
	svc := s.svc
	d := dialog.NewConfirm("Sign out?", "Sign out of "+backendText(svc.Status())+
		"? The cached fleet stays on this computer for offline use until another account signs in.",
		func(ok bool) {
			if !ok {
				return
			}
			s.teardown()
			s.win.SetContent(container.NewCenter(widget.NewLabel("Signing out…")))
			kit.Run(s.run, func(context.Context) error { return s.opts.SignOut(svc) }, func(err error) {
				msg := ""
				if err != nil {
					msg = "Signed out, but: " + words.Text(err)
				}
				s.ShowSignIn(msg)
			})
		}, s.win)
	d.SetConfirmText("Sign out")
	d.SetDismissText("Cancel")
	kit.ShowDialog(s.win, d)
}

func backendText(st session.Status) string {
	if st.Demo {
		return "the built-in demo backend (" + st.BackendURL + ")"
	}
	return or(st.BackendURL, "—")
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
