// Package tokens is the API Tokens page: the dealer guide's "Issue customer API access" workflow as
// a short wizard, the secret shown exactly once, and the list of issued tokens with Revoke.
//
// The rules (scope, ownership, access, expiry) live in app/token; this package only asks them and
// shows the answer. Every backend call runs off the UI goroutine and comes back through the ui/kit
// bridge.
// The secret of a new token lives only in the show-once dialog: it is never cached, logged or
// written anywhere by FleetDesk.
package tokens

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// callTimeout bounds one backend call made from this page.
const callTimeout = 30 * time.Second

// Page is the Tokens page.
type Page struct {
	svc    session.Session
	win    fyne.Window
	policy token.Policy
	// clipboardTTL is how long a copied secret may stay on the clipboard.
	clipboardTTL time.Duration
	// after runs f once d has passed, on another goroutine (time.AfterFunc; tests step it).
	after func(d time.Duration, f func())

	// Owned by the UI goroutine.
	tokens   []token.Info
	online   bool
	offWhy   string
	wizard   *wizard
	secret   *secretDialog
	content  fyne.CanvasObject
	list     *widget.List
	issueBtn *widget.Button
	banner   *widget.Label // offline reason, or the last error
	roleNote *widget.Label // why this account cannot issue tokens at all
	empty    *widget.Label
	cancel   func()

	jobs jobs
	// uiMu makes the page's UI updates from background calls run one at a time even where the
	// driver runs fyne.Do on the calling goroutine (the test driver); on the real driver they are
	// already serial and the lock is never contended.
	uiMu sync.Mutex
}

// do is the one way background work touches the page's widgets: on the UI goroutine through the
// shared bridge (kit.Do), one update at a time.
func (p *Page) do(f func()) {
	kit.Do(func() {
		p.uiMu.Lock()
		defer p.uiMu.Unlock()
		f()
	})
}

// New builds the page and starts loading the token list. Call Close when the page is thrown away.
func New(svc session.Session, win fyne.Window) *Page {
	p := &Page{svc: svc, win: win, policy: token.DefaultPolicy, clipboardTTL: 60 * time.Second,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
	p.build()
	p.applyStatus(svc.Status())
	p.cancel = svc.Subscribe(func(c session.Change) {
		if c.Status {
			st := svc.Status()
			p.do(func() { p.applyStatus(st) })
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
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	if p.wizard != nil {
		p.wizard.close()
	}
	if p.secret != nil {
		p.secret.close()
	}
}

var columns = []string{"Name", "User", "Access", "Devices", "Created", "Expires", "Last used", ""}

func (p *Page) build() {
	p.issueBtn = widget.NewButton("Issue token…", p.openWizard)
	p.issueBtn.Importance = widget.HighImportance
	p.banner = widget.NewLabel("")
	p.banner.Wrapping = fyne.TextWrapWord
	p.banner.Importance = widget.WarningImportance
	p.banner.Hide()
	p.roleNote = widget.NewLabel("")
	p.roleNote.Importance = widget.WarningImportance
	p.roleNote.Hide()
	p.empty = widget.NewLabel("No tokens issued yet. Issue one to give a customer's integration access to their units.")
	p.empty.Wrapping = fyne.TextWrapWord
	p.empty.Hide()

	header := container.NewGridWithColumns(len(columns))
	for _, c := range columns {
		l := widget.NewLabel(c)
		l.TextStyle = fyne.TextStyle{Bold: true}
		header.Add(l)
	}
	p.list = widget.NewList(
		func() int { return len(p.tokens) },
		func() fyne.CanvasObject {
			row := container.NewGridWithColumns(len(columns))
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

	intro := widget.NewLabel("Issue read-only or control-enabled bearer tokens to customer accounts within your dealer scope. " +
		"Restrict tokens to specific devices for demos, pilots or narrow integrations.")
	intro.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewVBox(p.issueBtn), intro),
		p.roleNote,
		p.banner,
		header,
	)
	p.content = container.NewBorder(top, nil, nil, nil, container.NewStack(p.list, p.empty))
}

// updateRow fills one list row; the list reuses rows, so every field is set every time.
func (p *Page) updateRow(t token.Info, row *fyne.Container) {
	now := p.svc.Now()
	state := t.StateAt(now)
	cells := row.Objects
	set := func(i int, s string) { cells[i].(*widget.Label).SetText(s) }
	set(0, t.Name)
	set(1, t.UserEmail)
	set(2, t.Access.DisplayName())
	set(3, deviceSummary(t.Devices))
	set(4, t.CreatedAt.Local().Format(time.DateOnly))
	switch state {
	case token.StateRevoked:
		set(5, "revoked")
	case token.StateExpired:
		set(5, "expired "+t.ExpiresAt.Local().Format(time.DateOnly))
	default:
		set(5, t.ExpiresAt.Local().Format(time.DateOnly))
	}
	if t.LastUsed != nil {
		set(6, fleet.Ago(now, *t.LastUsed))
	} else {
		set(6, "—")
	}
	btn := cells[7].(*widget.Button)
	btn.OnTapped = func() { p.confirmRevoke(t) }
	switch {
	case state != token.StateActive:
		btn.SetText(string(state))
		btn.Disable()
	case !p.online:
		btn.SetText("Revoke")
		btn.Disable()
	default:
		btn.SetText("Revoke")
		btn.Enable()
	}
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
	p.online, p.offWhy = st.Online, st.OfflineWhy
	actor := p.svc.Actor()
	if dec := scope.CanIssueToken(actor, actor.Dealer, nil); !dec.Allowed {
		// Never offered to an account that would be refused; the reason stays on the page.
		p.issueBtn.Disable()
		p.roleNote.SetText("You cannot issue tokens: " + dec.Reason + ".")
		p.roleNote.Show()
	} else {
		p.roleNote.Hide()
	}
	if st.Online {
		if p.roleNote.Hidden {
			p.issueBtn.Enable()
		}
		if strings.HasPrefix(p.banner.Text, "Offline:") {
			p.setBanner("")
		}
	} else {
		p.issueBtn.Disable()
		p.setBanner(offlineText(st.OfflineWhy))
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

func (p *Page) setBanner(s string) {
	p.banner.SetText(s)
	if s == "" {
		p.banner.Hide()
	} else {
		p.banner.Show()
	}
}

// reload fetches the token list (the cache answers when offline).
func (p *Page) reload() {
	p.jobs.start()
	go func() {
		defer p.jobs.done()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		ts, err := p.svc.ListTokens(ctx)
		p.do(func() {
			if err != nil {
				p.setBanner("Could not load the tokens: " + err.Error())
				return
			}
			p.setTokens(ts)
		})
	}()
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
	if len(ts) == 0 {
		p.empty.Show()
	} else {
		p.empty.Hide()
	}
	p.list.Refresh()
}

func (p *Page) confirmRevoke(t token.Info) {
	if !p.online {
		p.setBanner(offlineText(p.offWhy))
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
	p.jobs.start()
	go func() {
		defer p.jobs.done()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		err := p.svc.RevokeToken(ctx, t.ID)
		p.do(func() {
			if err != nil {
				p.setBanner(fmt.Sprintf("Could not revoke %q: %v", t.Name, err))
				return
			}
			p.setBanner("")
		})
		if err == nil {
			p.reload()
		}
	}()
}

func (p *Page) openWizard() {
	if !p.online {
		p.setBanner(offlineText(p.offWhy))
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

// jobs counts background calls so tests can wait for the page to settle.
type jobs struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (j *jobs) start() {
	j.mu.Lock()
	j.n++
	j.mu.Unlock()
}

func (j *jobs) done() {
	j.mu.Lock()
	j.n--
	if j.cond != nil {
		j.cond.Broadcast()
	}
	j.mu.Unlock()
}

// wait blocks until no background call is running.
func (j *jobs) wait() {
	j.mu.Lock()
	if j.cond == nil {
		j.cond = sync.NewCond(&j.mu)
	}
	for j.n > 0 {
		j.cond.Wait()
	}
	j.mu.Unlock()
}
