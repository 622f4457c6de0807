package tokens

// The wizard and the list in a dealer's hands (issue 11): the keyboard follows what is shown, a
// decision is not undone by accident, and failures are said in the dealer's words.

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// TestKeysGoToTheShownStep: the keyboard stays with what is on screen. Before, focus stayed on the
// access choice after Next, so typing the token's name on the review step went to the hidden
// radio group and its space unticked "Read-only" (seen under Xvfb).
func TestKeysGoToTheShownStep(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	w := h.openWizard()
	h.do(func() {
		test.Type(w.users.search, "ann@")
		w.users.list.Select(0)
		test.Tap(w.nextBtn)
		w.access.radio.SetSelected(optReadOnly)
		// A click on the option leaves the keyboard on it.
		var option fyne.Focusable
		uitest.Walk(w.access.radio, true, func(o fyne.CanvasObject) {
			if f, ok := o.(fyne.Focusable); ok && option == nil {
				option = f
			}
		})
		if option == nil {
			t.Fatal("no focusable access option")
		}
		h.win.Canvas().Focus(option)
		test.Tap(w.nextBtn)
		test.Tap(w.nextBtn)
		// Keys go to the focused widget, as the driver sends them.
		if f := h.win.Canvas().Focused(); f != nil {
			for _, r := range "Dairy dashboard" {
				f.TypedRune(r)
			}
		}
		if w.access.radio.Selected != optReadOnly {
			t.Fatalf("typing on the review changed the access to %q", w.access.radio.Selected)
		}
		if w.review.name.Text != "Dairy dashboard" {
			t.Fatalf("the name field got %q", w.review.name.Text)
		}
	})
}

// TestControlDecisionIsNotUndoneByTheKeyboard: choosing control-enabled moves the keyboard to the
// reason (before, it stayed on the option, so the first space typed unticked the decision), and a
// second click on the chosen option keeps it.
func TestControlDecisionIsNotUndoneByTheKeyboard(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	w := h.openWizard()
	h.do(func() {
		test.Type(w.users.search, "ann@")
		w.users.list.Select(0)
		test.Tap(w.nextBtn)
		var options []fyne.Tappable
		uitest.Walk(w.access.radio, true, func(o fyne.CanvasObject) {
			if tp, ok := o.(fyne.Tappable); ok && o != fyne.CanvasObject(w.access.radio) {
				options = append(options, tp)
			}
		})
		if len(options) != 2 {
			t.Fatalf("%d access options", len(options))
		}
		test.Tap(options[1])
		if w.access.radio.Selected != optControl {
			t.Fatalf("selected %q", w.access.radio.Selected)
		}
		if h.win.Canvas().Focused() != fyne.Focusable(w.access.reason) {
			t.Fatalf("keyboard on %T after choosing control-enabled, want the reason", h.win.Canvas().Focused())
		}
		options[1].Tapped(&fyne.PointEvent{})
		if w.access.radio.Selected != optControl {
			t.Fatal("a second click undid the decision")
		}
	})
}

// TestUserAccountsFailureSaysWhyAndRetries: when the user accounts cannot be listed the wizard says
// so in the dealer's words (not "GET /v1/users: dial tcp …") and offers Try again.
func TestUserAccountsFailureSaysWhyAndRetries(t *testing.T) {
	svc := newMemSession(testNow)
	svc.usersErr = &api.Error{Endpoint: "GET /v1/users", Kind: api.KindOffline,
		Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
	h := openPage(t, svc)
	w := h.openWizard()
	h.do(func() {
		wantBlocked(t, w, "could not load the user accounts: can't reach the fleet backend")
		if strings.Contains(w.hint.Text, "dial tcp") {
			t.Fatalf("technical text in the hint: %q", w.hint.Text)
		}
		svc.mu.Lock()
		svc.usersErr = nil
		svc.mu.Unlock()
		test.Tap(button(t, h.win, "Try again"))
	})
	h.wait("the user accounts", func() bool { return !w.users.loading })
	h.do(func() {
		if len(w.users.shown) != 2 || findButton(h.win, "Try again") != nil {
			t.Fatalf("after Try again: %d accounts shown", len(w.users.shown))
		}
		wantBlocked(t, w, "choose the customer's user account")
	})
}

// TestRevokeFailureSaysWhy: a refused revocation is said in the dealer's words with the technical
// text under Details, and the token stays listed as active.
func TestRevokeFailureSaysWhy(t *testing.T) {
	svc := newMemSession(testNow)
	svc.tokens = []token.Info{{ID: "t1", Name: "Farm dashboard", UserEmail: "ann@farm.example", Access: token.AccessReadOnly,
		CreatedAt: testNow.Add(-time.Hour), ExpiresAt: testNow.Add(24 * time.Hour)}}
	svc.revokeErr = &api.Error{Endpoint: "DELETE /v1/tokens/t1", Kind: api.KindOffline,
		Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
	h := openPage(t, svc)
	h.do(func() {
		test.Tap(button(t, h.win, "Revoke"))
		test.Tap(button(t, h.win, "Revoke")) // the confirmation's
	})
	h.wait("the refusal", func() bool { return h.p.busy == 0 && findButton(h.win, "Details") != nil })
	h.do(func() {
		if !windowHolds(h.win, "Not revoked") || !strings.Contains(h.p.banner.Text, `Could not revoke "Farm dashboard": Can't reach the fleet backend`) {
			t.Fatalf("banner %q", h.p.banner.Text)
		}
		if strings.Contains(h.p.banner.Text, "dial tcp") {
			t.Fatalf("technical text on the banner: %q", h.p.banner.Text)
		}
		if b := rowButton(h.win, "Farm dashboard"); b == nil || b.Text != "Revoke" {
			t.Fatal("the token no longer shows as active")
		}
	})
}
