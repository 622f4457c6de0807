package tokens

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// secretDialog shows a new token's secret exactly once. The secret lives in this dialog's label
// and its Copy button only; closing the dialog empties both. The clipboard timer keeps a hash, not
// the secret, to recognise whether the clipboard still holds it.
type secretDialog struct {
	p      *Page
	dlg    *dialog.CustomDialog
	value  *widget.Label
	copy   *widget.Button
	done   *widget.Button
	copied *widget.Label
	closed bool
	// usedCopy is whether Copy was pressed; closing without it asks first, since the secret
	// cannot be shown again.
	usedCopy bool
}

func newSecretDialog(p *Page, c token.Created, preview string) *secretDialog {
	s := &secretDialog{p: p}
	warn := widget.NewLabel("Copy this token now. It will not be shown again: FleetDesk does not keep it. " +
		"Hand it to the customer through a secure channel; if it is lost, revoke it and issue a new one.")
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.WarningImportance
	s.value = widget.NewLabel(c.Secret)
	s.value.TextStyle = fyne.TextStyle{Monospace: true}
	s.value.Wrapping = fyne.TextWrapBreak
	s.value.Selectable = true
	s.copied = widget.NewLabel("")
	s.copied.Wrapping = fyne.TextWrapWord
	secret := c.Secret
	s.copy = widget.NewButton("Copy", func() { s.copyToClipboard(secret) })
	s.copy.Importance = widget.HighImportance
	s.done = widget.NewButton("I have copied it", s.askClose)
	about := widget.NewLabel(fmt.Sprintf("%q for %s\n%s", c.Token.Name, c.Token.UserEmail, preview))
	about.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(about, warn, s.value, s.copied,
		container.NewHBox(s.copy, s.done))
	s.dlg = dialog.NewCustomWithoutButtons("Token created: copy it now", content, p.win)
	s.dlg.SetOnClosed(s.forget)
	return s
}

// show shows the dialog without registering it for Esc: the secret must not be dismissed by a
// stray key press.
func (s *secretDialog) show() {
	s.dlg.Resize(fyne.NewSize(640, 360))
	s.dlg.Show()
}

// copyToClipboard puts the secret on the clipboard and clears it after the page's clipboard TTL if
// it still holds the secret (something else copied since is left alone).
func (s *secretDialog) copyToClipboard(secret string) {
	cb := fyne.CurrentApp().Clipboard()
	cb.SetContent(secret)
	s.usedCopy = true
	ttl := s.p.clipboardTTL
	s.copied.SetText(fmt.Sprintf("Copied. The clipboard is cleared in %d s if it still holds the token.", int(ttl.Round(time.Second).Seconds())))
	sum := sha256.Sum256([]byte(secret))
	s.p.after(ttl, func() {
		now := sha256.Sum256([]byte(cb.Content()))
		if subtle.ConstantTimeCompare(now[:], sum[:]) == 1 {
			cb.SetContent("")
		}
	})
}

// askClose closes at once after Copy; otherwise it makes sure the dealer has the token some other
// way (the label can be selected and copied by hand).
func (s *secretDialog) askClose() {
	if s.usedCopy {
		s.close()
		return
	}
	d := dialog.NewConfirm("Close without Copy?",
		"You did not use Copy. Unless you copied the token another way, it is lost once this closes: it cannot be shown again.",
		func(ok bool) {
			if ok {
				s.close()
			}
		}, s.p.win)
	d.SetConfirmText("Close")
	d.SetDismissText("Back")
	kit.ShowDialog(s.p.win, d) // Esc here means Back

}

func (s *secretDialog) close() {
	s.forget()
	s.dlg.Hide()
}

// forget drops every reference this dialog holds to the secret.
func (s *secretDialog) forget() {
	if s.closed {
		return
	}
	s.closed = true
	s.value.SetText("")
	s.copy.OnTapped = nil
	s.copy.Disable()
	if s.p.secret == s {
		s.p.secret = nil
	}
}
