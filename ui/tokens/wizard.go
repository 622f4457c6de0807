package tokens

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// The wizard's steps, in the guide's order.
const (
	stepUser = iota
	stepAccess
	stepDevices
	stepReview
	stepCount
)

var stepTitles = [stepCount]string{
	"1 of 4 · Choose the customer account",
	"2 of 4 · Decide the access, deliberately",
	"3 of 4 · Restrict devices if needed",
	"4 of 4 · Review and create",
}

// The access choices. Neither is selected at first: the guide wants the choice made on purpose.
const (
	optReadOnly = "Read-only: dashboards, reporting, monitoring"
	optControl  = "Control-enabled: commands (Start, Stop, Reboot) and supported settings writes"
)

// maxProblemLines is how many broken rules the review lists before counting the rest.
const maxProblemLines = 8

// wizard is "Issue customer API access". All fields are owned by the UI goroutine.
type wizard struct {
	p    *Page
	dlg  *dialog.CustomDialog
	step int

	users        []token.User
	usersLoading bool
	usersErr     error
	user         *token.User // the chosen account
	creating     bool
	createErr    string

	title                    *widget.Label
	pages                    [stepCount]fyne.CanvasObject
	body                     *fyne.Container
	hint                     *widget.Label
	backBtn, nextBtn, cancel *widget.Button
	buttons                  *fyne.Container

	userSearch *widget.Entry
	userList   *widget.List
	shownUsers []token.User
	userNote   *widget.Label

	access     *widget.RadioGroup
	reason     *widget.Entry
	confirm    *widget.Check
	controlBox *fyne.Container

	restrict *widget.Check
	picker   *picker

	name        *widget.Entry
	expires     *widget.Entry
	expiresHint *widget.Label
	summary     *widget.Label
	preview     *widget.Label
	problems    *widget.Label
}

func newWizard(p *Page) *wizard {
	w := &wizard{p: p, usersLoading: true}
	w.buildUserStep()
	w.buildAccessStep()
	w.buildDeviceStep()
	w.buildReviewStep()

	w.title = widget.NewLabel("")
	w.title.TextStyle = fyne.TextStyle{Bold: true}
	w.hint = widget.NewLabel("")
	w.hint.Wrapping = fyne.TextWrapWord
	w.hint.Importance = widget.WarningImportance
	w.backBtn = widget.NewButton("Back", func() { w.goTo(w.step - 1) })
	w.nextBtn = widget.NewButton("Next", w.next)
	w.nextBtn.Importance = widget.HighImportance
	w.cancel = widget.NewButton("Cancel", w.close)
	w.body = container.NewStack(w.pages[:]...)

	w.buttons = container.NewHBox(w.cancel, layout.NewSpacer(), w.backBtn, w.nextBtn)
	content := container.NewBorder(w.title, container.NewVBox(w.hint, w.buttons), nil, nil, w.body)
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
	w.loadUsers()
}

func (w *wizard) close() {
	w.dlg.Hide()
	if w.p.wizard == w {
		w.p.wizard = nil
	}
}

func (w *wizard) loadUsers() {
	w.p.jobs.start()
	go func() {
		defer w.p.jobs.done()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		us, err := w.p.svc.Users(ctx)
		w.p.do(func() {
			w.usersLoading = false
			w.usersErr = err
			sort.Slice(us, func(i, j int) bool { return strings.ToLower(us[i].Email) < strings.ToLower(us[j].Email) })
			w.users = us
			w.filterUsers()
			w.refresh()
		})
	}()
}

// check is the rule set as of now: the signed-in dealer, the accounts the backend listed and the
// synced fleet.
func (w *wizard) check() token.Check {
	return token.Check{
		Actor:  w.p.svc.Actor(),
		Users:  w.users,
		Fleet:  w.p.svc.Fleet(),
		Now:    w.p.svc.Now(),
		Policy: w.p.policy,
	}
}

// request is what the wizard's fields say so far.
func (w *wizard) request() token.CreateRequest {
	req := token.CreateRequest{Name: strings.TrimSpace(w.name.Text)}
	if w.user != nil {
		req.UserID = w.user.ID
	}
	switch w.access.Selected {
	case optReadOnly:
		req.Access = token.AccessReadOnly
	case optControl:
		req.Access = token.AccessControl
		req.Reason = strings.TrimSpace(w.reason.Text)
	}
	if w.restrict.Checked {
		req.Devices = append([]string(nil), w.picker.selected...)
	}
	req.ExpiresAt, _ = w.expiry()
	return req
}

// expiry reads the date field: the token lives through the whole chosen day.
func (w *wizard) expiry() (time.Time, error) {
	s := strings.TrimSpace(w.expires.Text)
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, w.p.svc.Now().Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("write the expiry date as YYYY-MM-DD, e.g. %s", w.p.policy.DefaultExpiry(w.p.svc.Now()).Format(time.DateOnly))
	}
	return token.EndOfDay(d), nil
}

// blockers are the reasons the current step cannot be left forward, first one first.
func (w *wizard) blockers(step int) []string {
	var out []string
	ps := w.check().Validate(w.request())
	add := func(fields ...string) {
		for _, f := range fields {
			for _, p := range ps.Field(f) {
				out = append(out, p.Message)
			}
		}
	}
	switch step {
	case stepUser:
		switch {
		case w.usersLoading:
			out = append(out, "loading the customer accounts…")
		case w.usersErr != nil:
			out = append(out, "could not load the customer accounts: "+w.usersErr.Error())
		}
		add("user")
	case stepAccess:
		add("access", "reason")
		if w.access.Selected == optControl && !w.confirm.Checked {
			out = append(out, "confirm that this customer's integration may control the units")
		}
	case stepDevices:
		if w.restrict.Checked && len(w.picker.selected) == 0 {
			out = append(out, "choose at least one device, or untick the restriction to cover every device of the account")
		}
		add("devices")
	case stepReview:
		for s := stepUser; s < stepReview; s++ {
			out = append(out, w.blockers(s)...)
		}
		if _, err := w.expiry(); err != nil {
			out = append(out, err.Error())
		}
		add("expires", "name")
		if !w.p.online {
			out = append(out, "FleetDesk is offline: creating a token needs the backend")
		}
	}
	return out
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
		if i == step {
			pg.Show()
		} else {
			pg.Hide()
		}
	}
	w.title.SetText(stepTitles[step])
	if step == stepDevices {
		w.picker.refilter()
	}
	w.refresh()
}

// refresh re-judges the request after any change and updates what depends on it.
func (w *wizard) refresh() {
	if w.title == nil {
		return // still building
	}
	// Showing or hiding a part changes the page's layout, so the page is laid out again.
	if setVisible(w.controlBox, w.access.Selected == optControl) {
		w.pages[stepAccess].Refresh()
	}
	if setVisible(w.picker.box, w.restrict.Checked) {
		w.pages[stepDevices].Refresh()
	}
	w.picker.updateCount()

	if w.step == stepReview {
		w.updateReview()
	}
	bl := w.blockers(w.step)
	if len(bl) > 0 {
		w.hint.SetText(sentence(bl[0]))
		w.hint.Show()
		w.nextBtn.Disable()
	} else {
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

// sentence starts a rule's message with a capital letter, for a line of its own.
func sentence(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// Step 1: the account.

func (w *wizard) buildUserStep() {
	w.userSearch = widget.NewEntry()
	w.userSearch.SetPlaceHolder("Search customer accounts by email or name")
	w.userSearch.OnChanged = func(string) { w.filterUsers(); w.refresh() }
	w.userNote = widget.NewLabel("")
	w.userNote.Wrapping = fyne.TextWrapWord
	w.userList = widget.NewList(
		func() int { return len(w.shownUsers) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(w.shownUsers) {
				o.(*widget.Label).SetText(w.userLine(w.shownUsers[i]))
			}
		},
	)
	w.userList.OnSelected = func(i widget.ListItemID) {
		if i < len(w.shownUsers) {
			u := w.shownUsers[i]
			w.user = &u
			w.userNote.SetText("Chosen: " + w.userLine(u))
			w.picker.refilter()
			w.refresh()
		}
	}
	w.pages[stepUser] = container.NewBorder(
		container.NewVBox(widget.NewLabel("Who is the token for? Only customer accounts in your dealer scope can get one."), w.userSearch),
		w.userNote, nil, nil, w.userList)
}

func (w *wizard) userLine(u token.User) string {
	s := u.Email
	if u.Name != "" {
		s += "  ·  " + u.Name
	}
	if actor := w.p.svc.Actor(); actor.Dealer != "" && u.Dealer != "" && u.Dealer != actor.Dealer {
		s += "  ·  another dealer's account"
	}
	return s
}

func (w *wizard) filterUsers() {
	q := strings.ToLower(strings.TrimSpace(w.userSearch.Text))
	w.shownUsers = w.shownUsers[:0]
	for _, u := range w.users {
		if q == "" || strings.Contains(strings.ToLower(u.Email+"\x00"+u.Name+"\x00"+u.ID), q) {
			w.shownUsers = append(w.shownUsers, u)
		}
	}
	w.userList.UnselectAll()
	w.userList.Refresh()
	switch {
	case w.user != nil:
		w.userNote.SetText("Chosen: " + w.userLine(*w.user))
	case len(w.shownUsers) == 0 && q != "" && !w.usersLoading:
		w.userNote.SetText(fmt.Sprintf("No customer account in your dealer scope matches %q. Tokens can only be issued to your own customers' accounts.", w.userSearch.Text))
	default:
		w.userNote.SetText("")
	}
}

// Step 2: the access.

func (w *wizard) buildAccessStep() {
	w.reason = widget.NewMultiLineEntry()
	w.reason.SetPlaceHolder("Why must this integration control units? e.g. remote start from the customer's SCADA")
	w.reason.SetMinRowsVisible(2)
	w.reason.OnChanged = func(string) { w.refresh() }
	w.confirm = widget.NewCheck("I confirm this customer's integration may send commands and settings writes to the units this token covers", func(bool) { w.refresh() })
	w.controlBox = container.NewVBox(
		widget.NewLabelWithStyle("Control-enabled access", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		w.reason, w.confirm)
	w.controlBox.Hide()
	w.access = widget.NewRadioGroup([]string{optReadOnly, optControl}, func(string) {
		// A new decision needs a new confirmation.
		w.confirm.SetChecked(false)
		w.refresh()
	})
	intro := widget.NewLabel("Choose read-only unless the integration must send commands. Nothing is preselected.")
	intro.Wrapping = fyne.TextWrapWord
	w.pages[stepAccess] = container.NewVBox(intro, w.access, w.controlBox)
}

// Step 3: the devices.

func (w *wizard) buildDeviceStep() {
	w.picker = newPicker(w)
	w.restrict = widget.NewCheck("Restrict to specific devices (demos, pilots, narrow integrations)", func(bool) { w.refresh() })
	intro := widget.NewLabel("Without a restriction the token covers every device of the account, including units added later.")
	intro.Wrapping = fyne.TextWrapWord
	w.pages[stepDevices] = container.NewBorder(container.NewVBox(intro, w.restrict), nil, nil, nil, w.picker.box)
}

// Step 4: name, expiry, preview.

func (w *wizard) buildReviewStep() {
	now := w.p.svc.Now()
	w.name = widget.NewEntry()
	w.name.SetPlaceHolder("What is it for? e.g. Farm SCADA dashboard")
	w.name.OnChanged = func(string) { w.refresh() }
	w.expires = widget.NewEntry()
	w.expires.SetText(w.p.policy.DefaultExpiry(now).Format(time.DateOnly))
	w.expires.OnChanged = func(string) { w.refresh() }
	w.expiresHint = widget.NewLabel("")
	w.summary = widget.NewLabel("")
	w.summary.Wrapping = fyne.TextWrapWord
	w.preview = widget.NewLabel("")
	w.preview.TextStyle = fyne.TextStyle{Bold: true}
	w.preview.Wrapping = fyne.TextWrapWord
	w.problems = widget.NewLabel("")
	w.problems.Wrapping = fyne.TextWrapWord
	w.problems.Importance = widget.DangerImportance
	form := widget.NewForm(
		widget.NewFormItem("Name", w.name),
		widget.NewFormItem("Expires", container.NewVBox(w.expires, w.expiresHint)),
	)
	w.pages[stepReview] = container.NewVBox(form, widget.NewSeparator(),
		widget.NewLabel("This token will allow:"), w.preview, w.summary, w.problems)
}

func (w *wizard) updateReview() {
	now := w.p.svc.Now()
	w.expiresHint.SetText(fmt.Sprintf("YYYY-MM-DD, at most %d days: latest %s",
		int(w.p.policy.MaxLifetime.Hours()/24), w.p.policy.MaxExpiry(now).Format(time.DateOnly)))
	req := w.request()
	w.preview.SetText(token.Preview(req, w.p.svc.Fleet(), w.user))
	var lines []string
	if w.user != nil {
		lines = append(lines, "For: "+w.userLine(*w.user))
	}
	if req.Access == token.AccessControl {
		lines = append(lines, "Reason for control: "+req.Reason)
	}
	lines = append(lines, "The secret is shown once, right after creation. FleetDesk does not keep it.")
	w.summary.SetText(strings.Join(lines, "\n"))
	var probs []string
	if w.createErr != "" {
		probs = append(probs, w.createErr)
	}
	ps := w.check().Validate(req)
	for i, p := range ps {
		if i == maxProblemLines {
			probs = append(probs, fmt.Sprintf("• and %d more", len(ps)-i))
			break
		}
		probs = append(probs, "• "+p.Message)
	}
	w.problems.SetText(strings.Join(probs, "\n"))
}

// create asks the backend for the token; the rules were checked, the backend checks them again.
func (w *wizard) create() {
	if w.creating || len(w.blockers(stepReview)) > 0 {
		return
	}
	req := w.request()
	preview := token.Preview(req, w.p.svc.Fleet(), w.user)
	w.creating, w.createErr = true, ""
	w.refresh()
	w.p.jobs.start()
	go func() {
		defer w.p.jobs.done()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		c, err := w.p.svc.CreateToken(ctx, req)
		w.p.do(func() {
			w.creating = false
			if err != nil {
				w.createErr = "The backend refused the token: " + err.Error()
				w.refresh()
				return
			}
			w.p.created(c, preview)
		})
	}()
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
