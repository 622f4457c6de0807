package tokens

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// timer is a clipboard-clearing timer the page set; tests fire it on the test goroutine, as the
// app would on its own UI goroutine.
type timer struct {
	d time.Duration
	f func()
}

var timers []timer

// openPage opens the page and makes its clipboard timers the test's to fire (on the loop, as the
// app fires them on its UI goroutine).
func openPage(t *testing.T, svc *memSession) *harness {
	timers = nil
	h := open(t, svc)
	h.do(func() { h.p.after = func(d time.Duration, f func()) { timers = append(timers, timer{d, f}) } })
	return h
}

// Opening the wizard puts the keyboard in its search box: the field is focused once the dialog is
// on the canvas, and Fyne never complains of a focus on something not shown ("Failed to focus
// object which is not part of the canvas' content", logged each time the wizard opened).
func TestWizardOpensWithTheCursorInTheSearch(t *testing.T) {
	logged := uitest.CaptureLog(t)
	h := openPage(t, newMemSession(testNow))
	for range 2 { // a second opening, as a dealer does after Cancel
		w := h.openWizard()
		h.do(func() {
			if f := h.win.Canvas().Focused(); f != w.users.search {
				t.Fatalf("focused %T, want the user account search", f)
			}
			test.Type(w.users.search, "farm")
			if len(w.users.shown) != 1 {
				t.Fatalf("typing went elsewhere: %d accounts shown", len(w.users.shown))
			}
			test.Tap(w.cancel)
		})
	}
	if out := logged.String(); strings.Contains(out, "Fyne error") {
		t.Fatalf("Fyne complained:\n%s", out)
	}
}

func TestWizardIssuesRestrictedReadOnlyTokenAndShowsSecretOnce(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	p, win := h.p, h.win
	h.do(func() {
		if !p.empty.Visible() || len(p.tokens) != 0 {
			t.Fatal("empty list not announced")
		}
	})
	w := h.openWizard()

	h.do(func() {
		// 1: the customer's user account, searchable.
		if w.title.Text != "1 of 4 · Choose the correct user account" {
			t.Fatalf("first step titled %q", w.title.Text)
		}
		wantBlocked(t, w, "choose the customer's user account")
		test.Type(w.users.search, "farm")
		if len(w.users.shown) != 1 || w.users.shown[0].ID != "u-ann" {
			t.Fatalf("search 'farm' shows %v", w.users.shown)
		}
		// Words typed with spaces must all match, each anywhere (fleet.MatchText, as the console).
		w.users.search.SetText("example ANN")
		if len(w.users.shown) != 1 || w.users.shown[0].ID != "u-ann" {
			t.Fatalf("search 'example ANN' shows %v", w.users.shown)
		}
		w.users.search.SetText("farm")
		w.users.list.Select(0)
		wantOpen(t, w)
		test.Tap(w.nextBtn)
		if w.step != stepAccess {
			t.Fatalf("Next went to step %d", w.step)
		}

		// 2: nothing preselected; control needs a reason and an explicit confirmation.
		if w.access.radio.Selected != "" {
			t.Fatalf("access preselected: %q", w.access.radio.Selected)
		}
		wantBlocked(t, w, "decide read-only or control-enabled")
		w.access.radio.SetSelected(optControl)
		if !w.access.control.Visible() {
			t.Fatal("control choice shows no reason and confirmation")
		}
		wantBlocked(t, w, "needs a reason")
		test.Type(w.access.reason, "remote start from SCADA")
		wantBlocked(t, w, "confirm")
		test.Tap(w.access.confirm)
		wantOpen(t, w)
		// Changing the decision withdraws the confirmation: control is never carried over silently.
		w.access.radio.SetSelected(optReadOnly)
		if w.access.confirm.Checked || w.access.control.Visible() {
			t.Fatal("confirmation survived a change of access")
		}
		wantOpen(t, w)
		test.Tap(w.nextBtn)

		// 3: restrict to two devices with the picker.
		if w.step != stepDevices || w.devices.picker.box.Visible() {
			t.Fatal("device step: picker shown before restriction was asked for")
		}
		if checkFor(win, "Restrict to devices") == nil {
			t.Fatal("the device step does not say the guide's \"Restrict to devices\"")
		}
		test.Tap(w.devices.restrict)
		wantBlocked(t, w, "choose at least one device")
		if got := ids(w.devices.picker.shown); !slices.Equal(got, []string{"UN-00012", "UN-00450", "XP-00211"}) {
			t.Fatalf("picker shows %v, want Ann's three units", got)
		}
		// The paste example names units this account has (issue 24 item 14), not made-up IDs.
		if got := w.devices.picker.paste.PlaceHolder; got != "…or paste device IDs: UN-00012, UN-00450" {
			t.Fatalf("paste placeholder %q", got)
		}
		w.devices.picker.firmware.SetSelected("5.1.4")
		w.devices.picker.health.SetSelected("live")
		if got := ids(w.devices.picker.shown); !slices.Equal(got, []string{"UN-00012"}) {
			t.Fatalf("firmware 5.1.4 + live shows %v", got)
		}
		w.devices.picker.firmware.SetSelected(anyChoice)
		w.devices.picker.health.SetSelected(anyChoice)
		w.devices.picker.transport.SetSelected("GSM")
		if got := ids(w.devices.picker.shown); !slices.Equal(got, []string{"XP-00211"}) {
			t.Fatalf("transport GSM shows %v", got)
		}
		w.devices.picker.transport.SetSelected(anyChoice)
		w.devices.picker.model.SetSelected("X Pro")
		if got := ids(w.devices.picker.shown); !slices.Equal(got, []string{"XP-00211"}) {
			t.Fatalf("model filter X Pro shows %v", got)
		}
		test.Tap(w.devices.picker.ownOnly) // show the whole fleet: Bob's unit is listed but refused
		bob := checkFor(win, "XP-00300")
		if bob == nil || !bob.Disabled() || !strings.Contains(bob.Text, "belongs to bob@mill.example") {
			t.Fatalf("Bob's unit row: %+v", bob)
		}
		test.Tap(bob)
		if len(w.devices.picker.selected) != 0 {
			t.Fatal("a disabled row could be ticked")
		}
		test.Tap(checkFor(win, "XP-00211"))
		w.devices.picker.model.SetSelected(anyChoice)
		test.Type(w.devices.picker.search, "UN-0001")
		test.Tap(checkFor(win, "UN-00012"))
		if !slices.Equal(w.devices.picker.selected, []string{"XP-00211", "UN-00012"}) {
			t.Fatalf("selected %v", w.devices.picker.selected)
		}
		wantOpen(t, w)
		test.Tap(w.nextBtn)

		// 4: review: the name is required, the expiry bounded, the preview exact.
		if w.step != stepReview || w.nextBtn.Text != "Create token" {
			t.Fatalf("step %d button %q", w.step, w.nextBtn.Text)
		}
		wantBlocked(t, w, "give the token a name")
		// Said once (issue 24 item 14: the review's list and the hint line both said it).
		said := 0
		for _, r := range roots(win) {
			uitest.Walk(r, true, func(o fyne.CanvasObject) {
				if l, ok := o.(*widget.Label); ok {
					said += strings.Count(strings.ToLower(l.Text), "give the token a name")
				}
			})
		}
		if said != 1 {
			t.Fatalf("the review says %d times what is missing", said)
		}
		test.Type(w.review.name, "Ann's dashboard")
		wantOpen(t, w)
		const preview = "read-only, 2 devices: X Pro XP-00211, D180 UN-00012; expires 2027-02-23"
		if w.review.preview.Text != preview {
			t.Fatalf("preview %q, want %q", w.review.preview.Text, preview)
		}
		w.review.expires.SetText("2028-01-01")
		wantBlocked(t, w, "beyond the maximum of 365 days")
		w.review.expires.SetText("2026-11-24")
		wantBlocked(t, w, "already passed")
		w.review.expires.SetText("23/02/2027")
		wantBlocked(t, w, "YYYY-MM-DD")
		w.review.expires.SetText("2027-02-23")
		wantOpen(t, w)

		test.Tap(w.nextBtn)
	})
	h.wait("the secret dialog", func() bool { return p.secret != nil })
	h.do(func() {
		if len(svc.created) != 1 {
			t.Fatalf("%d create requests sent", len(svc.created))
		}
		req := svc.created[0]
		if req.UserID != "u-ann" || req.Access != token.AccessReadOnly || req.Reason != "" ||
			!slices.Equal(req.Devices, []string{"XP-00211", "UN-00012"}) || req.Name != "Ann's dashboard" ||
			req.ExpiresAt.Format(time.DateTime) != "2027-02-23 23:59:59" {
			t.Fatalf("request sent: %+v", req)
		}

		// The secret: shown once, copyable, cleared from the clipboard, gone after closing.
		secret := svc.secrets[0]
		if p.wizard != nil || p.secret == nil {
			t.Fatal("wizard not replaced by the secret dialog")
		}
		if !windowHolds(win, secret) || !windowHolds(win, "will not be shown again") {
			t.Fatal("secret or its warning not shown")
		}
		if kit.DismissTop(win.Canvas()) || p.secret == nil {
			t.Fatal("Esc dismissed the secret dialog")
		}
		cb := fyne.CurrentApp().Clipboard()
		test.Tap(button(t, win, "Copy"))
		if cb.Content() != secret {
			t.Fatal("Copy did not put the secret on the clipboard")
		}
		if len(timers) != 1 || timers[0].d != 60*time.Second {
			t.Fatalf("clipboard timers %v, want one of 60 s", timers)
		}
		if !windowHolds(win, "cleared in 60 s") {
			t.Fatal("the dialog does not say the clipboard will be cleared")
		}
		timers[0].f()
		if cb.Content() != "" {
			t.Fatal("clipboard still holds the secret after the TTL")
		}
		// Something copied since is the user's and is left alone.
		test.Tap(button(t, win, "Copy"))
		cb.SetContent("user's own text")
		timers[1].f()
		if cb.Content() != "user's own text" {
			t.Fatal("the timer cleared something else the user copied")
		}
		test.Tap(button(t, win, "I have copied it"))
		if p.secret != nil {
			t.Fatal("secret dialog still referenced")
		}
		if windowHolds(win, secret) {
			t.Fatal("a widget in the window still holds the secret after the dialog closed")
		}
	})
	h.wait("the new token in the list", func() bool {
		return len(p.tokens) == 1 && p.tokens[0].Name == "Ann's dashboard" && windowHolds(win, "Ann's dashboard")
	})
	h.do(func() {
		if p.empty.Visible() {
			t.Fatal("empty-list text still shown")
		}
	})
}

func ids(ds []fleet.Device) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// toReview taps through the first three steps for the account matching search, with the access
// option given (and for control, reason and confirmation), every device of the account.
func toReview(t *testing.T, w *wizard, search, access, reason string) {
	t.Helper()
	test.Type(w.users.search, search)
	w.users.list.Select(0)
	test.Tap(w.nextBtn)
	w.access.radio.SetSelected(access)
	if access == optControl {
		test.Type(w.access.reason, reason)
		test.Tap(w.access.confirm)
	}
	test.Tap(w.nextBtn)
	test.Tap(w.nextBtn) // every device of the account
	if w.step != stepReview {
		t.Fatalf("stuck at step %d: %s", w.step, w.hint.Text)
	}
}

func TestWizardControlTokenCarriesReason(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	p, win := h.p, h.win
	w := h.openWizard()
	h.do(func() {
		toReview(t, w, "bob@", optControl, "start/stop from the mill's BMS")
		test.Type(w.review.name, "Mill BMS")
		if want := "control-enabled, every device of bob@mill.example; expires 2027-02-23"; w.review.preview.Text != want {
			t.Fatalf("preview %q", w.review.preview.Text)
		}
		// The review confirms what will be created in the guide's words before Create token.
		if !strings.Contains(w.review.account.Text, "bob@mill.example") || !strings.HasPrefix(w.review.access.Text, "Control-enabled") ||
			w.review.devices.Text != "Every device of the user account, including units added later" {
			t.Fatalf("review says %q / %q / %q", w.review.account.Text, w.review.access.Text, w.review.devices.Text)
		}
		if !strings.Contains(w.review.summary.Text, "start/stop from the mill's BMS") {
			t.Fatalf("review does not repeat the reason: %q", w.review.summary.Text)
		}
		// Losing the backend mid-wizard holds Create back, with the reason, until it is back.
		svc.setOnline(false, "timeout")
	})
	h.wait("Create held back offline", func() bool { return w.nextBtn.Disabled() })
	h.do(func() {
		wantBlocked(t, w, "FleetDesk is offline (timeout)")
		svc.setOnline(true, "")
	})
	h.wait("Create back online", func() bool { return !w.nextBtn.Disabled() })
	h.do(func() { test.Tap(w.nextBtn) })
	h.wait("the secret dialog", func() bool { return p.secret != nil })
	h.do(func() {
		if len(svc.created) != 1 {
			t.Fatal("not created")
		}
		if r := svc.created[0]; r.Access != token.AccessControl || r.Reason != "start/stop from the mill's BMS" || r.Devices != nil || r.UserID != "u-bob" {
			t.Fatalf("request %+v", r)
		}
		// Closing without Copy asks first; Back keeps the secret on screen.
		test.Tap(button(t, win, "I have copied it"))
		if !windowHolds(win, "Close without Copy?") {
			t.Fatal("closing without Copy did not ask")
		}
		test.Tap(button(t, win, "Back"))
		if p.secret == nil || !windowHolds(win, svc.secrets[0]) {
			t.Fatal("Back lost the secret")
		}
		test.Tap(button(t, win, "I have copied it"))
		test.Tap(button(t, win, "Close"))
		if p.secret != nil || windowHolds(win, svc.secrets[0]) {
			t.Fatal("secret left in the window")
		}
	})
}

func TestWizardRefusesOutOfScope(t *testing.T) {
	svc := newMemSession(testNow)
	// A stale cache can still hold another dealer's account or unit; the app must refuse them.
	svc.users = append(svc.users, fakeUser("u-eve", "eve@other.example", "d2"))
	svc.fleet = svc.fleet.Patch([]fleet.Device{{ID: "XP-09999", Model: fleet.ModelXPro, CustomerEmail: "ann@farm.example", Dealer: "d2"}}, nil)
	h := openPage(t, svc)
	p, win := h.p, h.win
	w := h.openWizard()

	h.do(func() {
		test.Type(w.users.search, "zed@nowhere")
		if len(w.users.shown) != 0 || !strings.Contains(w.users.note.Text, "No customer account in your dealer scope") {
			t.Fatalf("unknown account: shown %v note %q", w.users.shown, w.users.note.Text)
		}
		w.users.search.SetText("eve@")
		w.users.list.Select(0)
		wantBlocked(t, w, "belongs to another dealer")
		test.Tap(w.nextBtn)
		if w.step != stepUser {
			t.Fatal("moved on with an out-of-scope account")
		}

		w.users.search.SetText("ann@")
		w.users.list.Select(0)
		test.Tap(w.nextBtn)
		w.access.radio.SetSelected(optReadOnly)
		test.Tap(w.nextBtn)
		test.Tap(w.devices.restrict)
		if checkFor(win, "XP-09999") == nil || !checkFor(win, "XP-09999").Disabled() {
			t.Fatal("another dealer's unit offered in the picker")
		}
		// Pasted IDs the token cannot cover are not ticked: they stay in the field with the
		// reason for each (issue 24 item 14: they used to show ticked and "cannot be added").
		pk := w.devices.picker
		pk.paste.SetText("XP-09999, NOPE-1")
		test.Tap(button(t, win, "Add"))
		if len(pk.selected) != 0 || pk.paste.Text != "XP-09999, NOPE-1" {
			t.Fatalf("after pasting refused IDs: selected %v, field %q", pk.selected, pk.paste.Text)
		}
		if !pk.pasteNote.Visible() || !strings.Contains(pk.pasteNote.Text, "XP-09999 is outside your dealer scope") ||
			!strings.Contains(pk.pasteNote.Text, "NOPE-1 is not in your fleet") {
			t.Fatalf("the refusals say %q (shown %v)", pk.pasteNote.Text, pk.pasteNote.Visible())
		}
		if c := checkFor(win, "XP-09999"); c == nil || c.Checked {
			t.Fatal("another dealer's pasted unit shows ticked")
		}
		wantBlocked(t, w, "choose at least one device")
		test.Tap(checkFor(win, "XP-00211"))
		test.Tap(w.nextBtn)
		test.Type(w.review.name, "pilot")

		// The backend has the last word: its refusal is shown and the wizard stays.
		svc.mu.Lock()
		svc.failWith = errors.New("forbidden: XP-00211 is outside your dealer scope")
		svc.mu.Unlock()
		test.Tap(w.nextBtn)
	})
	h.wait("the refusal", func() bool { return !w.creating })
	h.do(func() {
		if p.wizard != w || p.secret != nil {
			t.Fatal("wizard closed on a refusal")
		}
		if !strings.Contains(w.review.problems.Text, "Not created: Forbidden: XP-00211 is outside your dealer scope") {
			t.Fatalf("refusal not shown: %q", w.review.problems.Text)
		}
		test.Tap(button(t, win, "Close")) // the error dialog
		test.Tap(w.cancel)
		if p.wizard != nil || windowHolds(win, "Issue customer API access") {
			t.Fatal("Cancel did not close the wizard")
		}
	})
	h.openWizard()
	h.do(func() {
		if !kit.DismissTop(win.Canvas()) || p.wizard != nil {
			t.Fatal("Esc did not cancel the wizard")
		}
	})
}

func fakeUser(id, email, dealer string) token.User {
	return token.User{ID: id, Email: email, Dealer: dealer}
}

func TestCloseDropsTheSecret(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	p, win := h.p, h.win
	w := h.openWizard()
	h.do(func() {
		toReview(t, w, "ann@", optReadOnly, "")
		test.Type(w.review.name, "x")
		test.Tap(w.nextBtn)
	})
	h.wait("the secret", func() bool { return windowHolds(win, svc.secrets0()) })
	h.do(func() {
		p.Close() // sign-out
		if p.secret != nil || windowHolds(win, svc.secrets0()) {
			t.Fatal("the secret outlived the page")
		}
	})
}
