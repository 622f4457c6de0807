package tokens

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// The wizard's steps, in the guide's order ("Issue customer API access").
const (
	stepUser = iota
	stepAccess
	stepDevices
	stepReview
	stepCount
)

var stepTitles = [stepCount]string{
	"1 of 4 · Choose the correct user account",
	"2 of 4 · Decide read-only or control-enabled, deliberately",
	"3 of 4 · Restrict to devices if needed",
	"4 of 4 · Review and create",
}

// wizard is "Issue customer API access": the frame (title, hint, Back/Next/Create) around four
// steps, each a small type owning its own widgets. All fields are owned by the UI goroutine.
type wizard struct {
	p     *Page
	dlg   *dialog.CustomDialog
	step  int
	shown bool // the dialog is on the canvas, so its fields can take the keyboard

	users   *userStep
	access  *accessStep
	devices *deviceStep
	review  *reviewStep
	pages   [stepCount]fyne.CanvasObject

	creating  bool
	createErr error // the last refusal; the dealer's choices stay for another try

	title, hint              *widget.Label
	backBtn, nextBtn, cancel *widget.Button
	buttons                  *fyne.Container
}

func newWizard(p *Page) *wizard {
	w := &wizard{p: p}
	w.users = newUserStep(w)
	w.access = newAccessStep(w)
	w.devices = newDeviceStep(w)
	w.review = newReviewStep(w)
	w.pages = [stepCount]fyne.CanvasObject{w.users.box, w.access.box, w.devices.box, w.review.box}

	w.title = widget.NewLabel("")
	w.title.TextStyle = fyne.TextStyle{Bold: true}
	w.hint = widget.NewLabel("")
	w.hint.Wrapping = fyne.TextWrapWord
	w.hint.Importance = widget.WarningImportance
	w.backBtn = widget.NewButton("Back", func() { w.goTo(w.step - 1) })
	w.nextBtn = widget.NewButton("Next", w.next)
	w.nextBtn.Importance = widget.HighImportance
	w.cancel = widget.NewButton("Cancel", w.close)

	w.buttons = container.NewHBox(w.cancel, layout.NewSpacer(), w.backBtn, w.nextBtn)
	content := container.NewBorder(w.title, container.NewVBox(w.hint, w.buttons), nil, nil, container.NewStack(w.pages[:]...))
	w.dlg = dialog.NewCustomWithoutButtons("Issue customer API access", content, p.win)
	w.dlg.SetOnClosed(func() {
		if p.wizard == w {
			p.wizard = nil
		}
	})
	w.goTo(stepUser)
	return w
}

func (w *wizard) show() {
	w.dlg.Resize(fyne.NewSize(860, 620))
	kit.ShowDialog(w.p.win, w.dlg) // Esc cancels the wizard
	w.shown = true
	w.focus(w.step) // only now is the step's field on the canvas (an overlay) to take the keyboard
	w.users.load()
}

func (w *wizard) close() {
	w.dlg.Hide()
	if w.p.wizard == w {
		w.p.wizard = nil
	}
}

// account is the chosen user account, or nil.
func (w *wizard) account() *token.User { return w.users.chosen }

// check is the rule set as of now: the signed-in dealer, the accounts the backend listed and the
// synced fleet.
func (w *wizard) check() token.Check {
	return token.Check{
		Actor:  w.p.svc.Actor(),
		Users:  w.users.all,
		Fleet:  w.p.svc.Fleet(),
		Now:    w.p.svc.Now(),
		Policy: w.p.policy,
	}
}

// request is what the wizard's fields say so far.
func (w *wizard) request() token.CreateRequest {
	req := token.CreateRequest{Name: strings.TrimSpace(w.review.name.Text)}
	if u := w.account(); u != nil {
		req.UserID = u.ID
	}
	req.Access, req.Reason = w.access.chosen()
	req.Devices = w.devices.chosen()
	req.ExpiresAt, _ = w.review.expiry()
	return req
}

// blockers are the reasons the current step cannot be left forward, first one first.
func (w *wizard) blockers(step int) []string {
	ps := w.check().Validate(w.request())
	field := func(fields ...string) []string {
		var out []string
		for _, f := range fields {
			for _, p := range ps.Field(f) {
				out = append(out, p.Message)
			}
		}
		return out
	}
	switch step {
	case stepUser:
		return append(w.users.blockers(), field("user")...)
	case stepAccess:
		return append(field("access", "reason"), w.access.blockers()...)
	case stepDevices:
		return append(w.devices.blockers(), field("devices")...)
	}
	var out []string
	for s := stepUser; s < stepReview; s++ {
		out = append(out, w.blockers(s)...)
	}
	if _, err := w.review.expiry(); err != nil {
		out = append(out, err.Error())
	}
	out = append(out, field("expires", "name")...)
	if !w.p.online {
		out = append(out, offlineBlocker(w.p.offWhy))
	}
	return out
}

// offlineBlocker says why Create is off while the backend cannot be reached, with the reason.
func offlineBlocker(why string) string {
	s := "FleetDesk is offline"
	if why != "" {
		s += " (" + why + ")"
	}
	return s + ": creating a token needs the backend. Your choices are kept; create it once the connection is back"
}

func (w *wizard) next() {
	if w.step == stepReview {
		w.create()
		return
	}
	if len(w.blockers(w.step)) == 0 {
		w.goTo(w.step + 1)
	}
}

func (w *wizard) goTo(step int) {
	if step < stepUser || step >= stepCount {
		return
	}
	w.step = step
	for i, pg := range w.pages {
		setVisible(pg, i == step)
	}
	w.title.SetText(stepTitles[step])
	if w.shown {
		w.focus(step)
	}
	if step == stepDevices {
		w.devices.picker.refilter()
	}
	w.refresh()
}

// focus moves the keyboard to the step's first field, and never leaves it on a hidden step's
// widget: a space typed into the name would otherwise untick the access chosen on step 2.
func (w *wizard) focus(step int) {
	c := w.p.win.Canvas()
	c.Unfocus()
	switch step {
	case stepUser:
		c.Focus(w.users.search)
	case stepReview:
		c.Focus(w.review.name)
	}
}

// refresh re-judges the request after any change and updates what depends on it.
func (w *wizard) refresh() {
	if w.title == nil {
		return // still building
	}
	w.access.refresh()
	w.devices.refresh()
	if w.step == stepReview {
		w.review.update()
	}
	bl := w.blockers(w.step)
	switch {
	case len(bl) > 0 && w.step == stepReview:
		// The review lists every one of them (reviewStep.update): not a second time here.
		w.hint.SetText("")
		w.hint.Hide()
		w.nextBtn.Disable()
	case len(bl) > 0:
		w.hint.SetText(sentence(bl[0]))
		w.hint.Show()
		w.nextBtn.Disable()
	default:
		w.hint.SetText("")
		w.hint.Hide()
		w.nextBtn.Enable()
	}
	label := "Next"
	switch {
	case w.creating:
		label = "Creating…"
		w.nextBtn.Disable()
	case w.step == stepReview:
		label = "Create token"
	}
	if w.nextBtn.Text != label {
		w.nextBtn.SetText(label)
		w.buttons.Refresh() // a longer label needs the row laid out again
	}
	if w.step == stepUser || w.creating {
		w.backBtn.Disable()
	} else {
		w.backBtn.Enable()
	}
}

// create asks the backend for the token; the rules were checked, the backend checks them again.
// A refusal is said in the dealer's words (Details one click away) and every choice stays.
func (w *wizard) create() {
	if w.creating || len(w.blockers(stepReview)) > 0 {
		return
	}
	req := w.request()
	preview := token.Preview(req, w.p.svc.Fleet(), w.account())
	w.creating, w.createErr = true, nil
	w.refresh()
	type result struct {
		c   token.Created
		err error
	}
	call(w.p, func(ctx context.Context) result {
		c, err := w.p.svc.CreateToken(ctx, req)
		return result{c, err}
	}, func(r result) {
		w.creating = false
		if r.err != nil {
			w.createErr = r.err
			w.refresh()
			if w.p.wizard == w {
				kit.ShowError(w.p.win, "Token not created", r.err)
			}
			return
		}
		w.p.created(r.c, preview)
	})
}

// sentence starts a rule's message with a capital letter, for a line of its own.
func sentence(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// setVisible shows or hides o and reports whether that changed anything.
func setVisible(o fyne.CanvasObject, visible bool) bool {
	if o.Visible() == visible {
		return false
	}
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
	return true
}
