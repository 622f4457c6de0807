// Package tokens is the API Tokens page: the dealer guide's "Issue customer API access" workflow as
// a short wizard, the secret shown exactly once, and the list of issued tokens with Revoke.
//
// The rules (scope, ownership, access, expiry) live in app/token; this package only asks them and
// shows the answer. Every backend call runs on the page's kit.Runner and its result comes back on
// the UI goroutine; Close cancels and waits for them.
//
// The parts: page.go is the list with Revoke; wizard.go is the wizard's frame (steps, Next/Back,
// Create); step_user.go, step_access.go, step_devices.go (with picker.go) and step_review.go are its
// four steps in the guide's order; secret.go is the show-once dialog.
// The secret of a new token lives only in the show-once dialog: it is never cached, logged or
// written anywhere by FleetDesk.
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
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// callTimeout bounds one backend call made from this page.
const callTimeout = 30 * time.Second

// Options wires the page into the shell.
type Options struct {
	// Window hosts the wizard, the secret and the confirmation dialogs.
	Window fyne.Window
	// UI is the UI goroutine the page's background results are delivered on; nil is the app's
	// (kit.FyneDo). Tests pass a uitest.Loop.
	UI kit.UI
}

// Page is the API Tokens page.
type Page struct {
	svc    session.Session
	win    fyne.Window
	run    *kit.Runner
	policy token.Policy
	// clipboardTTL is how long a copied secret may stay on the clipboard.
	clipboardTTL time.Duration
	// after runs f on the UI goroutine once d has passed (the runner's After; tests step it).
	after func(d time.Duration, f func())

	// Owned by the UI goroutine.
	tokens    []token.Info
	online    bool
	offWhy    string
	wizard    *wizard
	secret    *secretDialog
	content   fyne.CanvasObject
	list      *widget.List
	cols      *columnLayout // the header's and the rows' column widths
	header    *fyne.Container
	issueBtn  *widget.Button
	banner    *widget.Label  // offline reason, or the last error in the dealer's words
	detailBtn *widget.Button // the banner's error in full, one click away
	// offlineShown says the banner holds the offline notice (showOffline), not an error.
	offlineShown bool
	detail       string
	roleNote     *widget.Label // why this account cannot issue tokens at all
	empty        *widget.Label
	// busy counts the backend calls started and not answered yet (see call).
	busy int
}

// call runs work on the page's runner and hands its result to done on the UI goroutine, counting
// the call as busy meanwhile. Call it on the UI goroutine.
func call[T any](p *Page, work func(ctx context.Context) T, done func(T)) {
	p.busy++
	kit.Run(p.run, func(ctx context.Context) T {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		return work(ctx)
	}, func(v T) {
		p.busy--
		done(v)
	})
}

// New builds the page and starts loading the token list. Call Close when the page is thrown away.
func New(svc session.Session, opts Options) *Page {
	p := &Page{svc: svc, win: opts.Window, run: kit.NewRunner(opts.UI), policy: token.DefaultPolicy,
		clipboardTTL: 60 * time.Second}
	p.after = func(d time.Duration, f func()) { p.run.After(d, f) }
	p.build()
	p.applyStatus(svc.Status())
	p.run.Subscribe(svc, func(c session.Change) {
		if c.Status || c.All {
			p.applyStatus(svc.Status())
		}
		if c.Tokens || c.All {
			p.reload()
		}
	})
	p.reload()
	return p
}

// Content is the page's root object.
func (p *Page) Content() fyne.CanvasObject { return p.content }

// Close stops listening for changes and closes the wizard and the secret dialog (at sign-out a
// secret must not stay on screen). Call it on the UI goroutine.
func (p *Page) Close() {
	p.run.Close()
	if p.wizard != nil {
		p.wizard.close()
	}
	if p.secret != nil {
		p.secret.close()
	}
}

var columns = []string{"Name", "User account", "Access", "Devices", "Created", "Expires", "Last used", ""}

func (p *Page) build() {
	p.issueBtn = widget.NewButton("Issue token…", p.openWizard)
	p.issueBtn.Importance = widget.HighImportance
	p.banner = widget.NewLabel("")
	p.banner.Wrapping = fyne.TextWrapWord
	p.banner.Importance = widget.WarningImportance
	p.banner.Hide()
	p.detailBtn = widget.NewButton("Details", func() { kit.ShowDetails(p.win, p.banner.Text, p.detail) })
	p.detailBtn.Hide()
	p.roleNote = widget.NewLabel("")
	p.roleNote.Importance = widget.WarningImportance
	p.roleNote.Hide()
	p.empty = widget.NewLabel("No tokens issued yet. Issue one to give a customer's integration access to their units.")
	p.empty.Wrapping = fyne.TextWrapWord
	p.empty.Hide()

	// One column layout for the header and every row, widths from what they show.
	p.cols = &columnLayout{flex: []bool{true, true, false, true, false, false, false, false}}
	p.header = container.New(p.cols)
	for _, c := range columns {
		l := widget.NewLabel(c)
		l.TextStyle = fyne.TextStyle{Bold: true}
		l.Truncation = fyne.TextTruncateEllipsis
		p.header.Add(l)
	}
	p.measure()
	p.list = widget.NewList(
		func() int { return len(p.tokens) },
		func() fyne.CanvasObject {
			row := container.New(p.cols)
			for range columns[:len(columns)-1] {
				l := widget.NewLabel("")
				l.Truncation = fyne.TextTruncateEllipsis
				row.Add(l)
			}
			row.Add(widget.NewButton("Revoke", nil))
			return row
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(p.tokens) {
				return
			}
			p.updateRow(p.tokens[i], o.(*fyne.Container))
		},
	)
	p.list.HideSeparators = false

	title := widget.NewLabelWithStyle("API Tokens", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	intro := widget.NewLabel("Issue read-only or control-enabled bearer tokens to customers' user accounts within your dealer scope. " +
		"Restrict tokens to specific devices for demos, pilots or narrow integrations.")
	intro.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(
		title,
		container.NewBorder(nil, nil, nil, container.NewVBox(p.issueBtn), intro),
		p.roleNote,
		container.NewBorder(nil, nil, nil, container.NewVBox(p.detailBtn), p.banner),
		p.header,
	)
	p.content = container.NewBorder(top, nil, nil, nil, container.NewStack(p.list, p.empty))
}

// updateRow fills one list row; the list reuses rows, so every field is set every time.
func (p *Page) updateRow(t token.Info, row *fyne.Container) {
	now := p.svc.Now()
	cells := row.Objects
	for i, s := range rowTexts(t, now) {
		cells[i].(*widget.Label).SetText(s)
	}
	btn := cells[7].(*widget.Button)
	btn.OnTapped = func() { p.confirmRevoke(t) }
	switch {
	case !t.CanRevoke(now):
		btn.SetText(string(t.StateAt(now)))
		btn.Disable()
	case !p.online:
		btn.SetText("Revoke")
		btn.Disable()
	default:
		btn.SetText("Revoke")
		btn.Enable()
	}
}

// rowTexts are what a token's row shows, column by column (Revoke aside).
func rowTexts(t token.Info, now time.Time) []string {
	out := []string{t.Name, t.UserEmail, t.Access.DisplayName(), deviceSummary(t.Devices),
		t.CreatedAt.Local().Format(time.DateOnly), "", "—"}
	switch t.StateAt(now) {
	case token.StateRevoked:
		out[5] = "revoked"
	case token.StateExpired:
		out[5] = "expired " + t.ExpiresAt.Local().Format(time.DateOnly)
	default:
		out[5] = t.ExpiresAt.Local().Format(time.DateOnly)
	}
	if t.LastUsed != nil {
		out[6] = fleet.Ago(now, *t.LastUsed)
	}
	return out
}

// measure sizes the columns for the tokens shown.
func (p *Page) measure() {
	now := p.svc.Now()
	rows := make([][]string, len(p.tokens))
	for i, t := range p.tokens {
		rows[i] = rowTexts(t, now)
	}
	btn := widget.NewButton("Revoke", nil).MinSize().Width
	for _, t := range p.tokens {
		if !t.CanRevoke(now) {
			btn = max(btn, widget.NewButton(string(t.StateAt(now)), nil).MinSize().Width)
		}
	}
	p.cols.measure(columns, rows, btn)
	p.header.Refresh()
}

func deviceSummary(ids []string) string {
	switch len(ids) {
	case 0:
		return "all of the account's"
	case 1, 2:
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%d: %s, %s, …", len(ids), ids[0], ids[1])
}

// applyStatus enables the actions that need the backend, or says why they are off.
func (p *Page) applyStatus(st session.Status) {
	p.online, p.offWhy = st.Reachable, st.UnreachableWhy
	actor := p.svc.Actor()
	if dec := scope.CanIssueToken(actor, actor.Dealer, nil); !dec.Allowed {
		// Never offered to an account that would be refused; the reason stays on the page.
		p.issueBtn.Disable()
		p.roleNote.SetText("You cannot issue tokens: " + dec.Message + ".")
		p.roleNote.Show()
	} else {
		p.roleNote.Hide()
	}
	if st.Reachable {
		if p.roleNote.Hidden {
			p.issueBtn.Enable()
		}
		if p.offlineShown {
			p.setBanner("")
		}
	} else {
		p.issueBtn.Disable()
		p.showOffline(st.UnreachableWhy)
	}
	if p.wizard != nil {
		p.wizard.refresh()
	}
	p.list.Refresh()
}

func offlineText(why string) string {
	s := "Offline: the list below is from the last sync. Issuing and revoking tokens need the backend."
	if why != "" {
		s += " (" + why + ")"
	}
	return s
}

// showOffline puts the offline notice on the banner; it goes when the backend is back.
func (p *Page) showOffline(why string) {
	p.setBanner(offlineText(why))
	p.offlineShown = true
}

func (p *Page) setBanner(s string) {
	p.offlineShown = false
	p.banner.SetText(s)
	p.detail = ""
	p.detailBtn.Hide()
	if s == "" {
		p.banner.Hide()
	} else {
		p.banner.Show()
	}
}

// setError says on the banner what failed in the dealer's words (words.Describe), with the
// technical text behind Details.
func (p *Page) setError(what string, err error) {
	d := words.Describe(err)
	p.setBanner(what + ": " + d.Summary + ".")
	if d.Detail != "" {
		p.detail = d.Detail
		p.detailBtn.Show()
	}
}

// reload fetches the token list (the cache answers when offline).
func (p *Page) reload() {
	call(p, func(ctx context.Context) listed {
		ts, err := p.svc.ListTokens(ctx)
		return listed{ts, err}
	}, func(l listed) {
		if l.err != nil {
			p.setError("Could not load the tokens", l.err)
			return
		}
		p.setTokens(l.tokens)
	})
}

type listed struct {
	tokens []token.Info
	err    error
}

// setTokens shows active tokens first, newest first within each group.
func (p *Page) setTokens(ts []token.Info) {
	now := p.svc.Now()
	sort.SliceStable(ts, func(i, j int) bool {
		ai, aj := ts[i].StateAt(now) == token.StateActive, ts[j].StateAt(now) == token.StateActive
		if ai != aj {
			return ai
		}
		return ts[i].CreatedAt.After(ts[j].CreatedAt)
	})
	p.tokens = ts
	p.measure()
	if len(ts) == 0 {
		p.empty.Show()
	} else {
		p.empty.Hide()
	}
	p.list.Refresh()
}

func (p *Page) confirmRevoke(t token.Info) {
	if !p.online {
		p.showOffline(p.offWhy)
		return
	}
	msg := fmt.Sprintf("Revoke %q for %s?\n\nEvery integration using it loses access at once. This cannot be undone; issue a new token if access is needed again.",
		t.Name, t.UserEmail)
	d := dialog.NewConfirm("Revoke token", msg, func(ok bool) {
		if ok {
			p.revoke(t)
		}
	}, p.win)
	d.SetConfirmText("Revoke")
	d.SetDismissText("Keep")
	d.SetConfirmImportance(widget.DangerImportance)
	kit.ShowDialog(p.win, d)
}

func (p *Page) revoke(t token.Info) {
	call(p, func(ctx context.Context) error {
		return p.svc.RevokeToken(ctx, t.ID)
	}, func(err error) {
		if err != nil {
			what := fmt.Sprintf("Could not revoke %q", t.Name)
			p.setError(what, err)
			kit.ShowError(p.win, "Not revoked", err)
			return
		}
		p.setBanner("")
		p.reload()
	})
}

func (p *Page) openWizard() {
	if !p.online {
		p.showOffline(p.offWhy)
		return
	}
	if p.issueBtn.Disabled() { // the one decision: offline, or an account that may not issue
		return
	}
	if p.wizard != nil {
		return
	}
	p.wizard = newWizard(p)
	p.wizard.show()
}

// created is called on the UI goroutine when the backend made the token: the wizard is done and
// the secret goes to its one showing.
func (p *Page) created(c token.Created, preview string) {
	if p.wizard != nil {
		p.wizard.close()
	}
	p.secret = newSecretDialog(p, c, preview)
	p.secret.show()
	p.reload()
}
