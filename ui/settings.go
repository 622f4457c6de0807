package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// newSettings builds the Settings page: who is signed in where, sign-out, the theme note, and the
// sections other areas contribute (the map's tile source).
func newSettings(s *Shell, env Env) fyne.CanvasObject {
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
	account := widget.NewCard("Account", "", container.NewVBox(form, container.NewHBox(signOut)))

	variant := "light"
	if fyne.CurrentApp().Settings().ThemeVariant() == theme.VariantDark {
		variant = "dark"
	}
	appearance := widget.NewCard("Appearance", "",
		widget.NewLabel("FleetDesk follows the system's light or dark setting (now: "+variant+")."))
	keys := widget.NewCard("Keyboard", "", widget.NewLabel(
		"Ctrl+F (⌘F on macOS): search the fleet\nUp / Down in the search box: move the selection\nEnter: open the selected unit's Manage page\nEsc: close a dialog, or leave the Manage page"))

	box := container.NewVBox(account, appearance)
	for _, sec := range s.opts.Settings {
		if sec.Build != nil {
			box.Add(widget.NewCard(sec.Title, "", sec.Build(env)))
		}
	}
	box.Add(keys)
	return container.NewVScroll(box)
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
					msg = "Signed out, but: " + api.DescribeText(err)
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
