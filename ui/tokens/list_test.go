package tokens

// The list of issued tokens: Revoke confirmed and refused offline, no Issue for an account that
// may not issue.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/token"
)

func TestRevokeNeedsConfirmationAndBackend(t *testing.T) {
	svc := newMemSession(testNow)
	used := testNow.Add(-2 * time.Hour)
	svc.tokens = []token.Info{
		{ID: "t1", Name: "Farm dashboard", UserEmail: "ann@farm.example", Access: token.AccessReadOnly,
			Devices: []string{"XP-00211"}, CreatedAt: testNow.Add(-24 * time.Hour), ExpiresAt: testNow.Add(24 * time.Hour), LastUsed: &used},
		{ID: "t0", Name: "Old pilot", UserEmail: "bob@mill.example", Access: token.AccessControl,
			CreatedAt: testNow.Add(-100 * 24 * time.Hour), ExpiresAt: testNow.Add(-time.Hour)},
	}
	h := openPage(t, svc)
	p, win := h.p, h.win
	h.wait("the token list", func() bool { return len(p.tokens) == 2 })
	h.do(func() {
		for _, s := range []string{"API Tokens", "User account", "Farm dashboard", "ann@farm.example", "read-only", "XP-00211", "2 h ago", "expired 2026-11-25", "control-enabled"} {
			if !windowHolds(win, s) {
				t.Errorf("list does not show %q", s)
			}
		}
		if b := button(t, win, "expired"); !b.Disabled() {
			t.Error("an expired token offers Revoke")
		}

		test.Tap(button(t, win, "Revoke"))
		test.Tap(button(t, win, "Keep"))
		if len(svc.revoked) != 0 {
			t.Fatal("revoked without confirmation")
		}
		test.Tap(button(t, win, "Revoke"))
		if !windowHolds(win, "cannot be undone") {
			t.Fatal("confirmation does not warn")
		}
		rv := button(t, win, "Revoke") // the dialog's, on top
		test.Tap(rv)
	})
	h.wait("the revocation listed", func() bool {
		b := findButton(win, "revoked")
		return b != nil && b.Disabled()
	})
	h.do(func() {
		if !slices.Equal(svc.revoked, []string{"t1"}) {
			t.Fatalf("revoked %v", svc.revoked)
		}
		// Offline: the list stays readable, the actions say why they are off.
		svc.mu.Lock()
		svc.tokens = append(svc.tokens, token.Info{ID: "t2", Name: "Spare", UserEmail: "ann@farm.example", Access: token.AccessReadOnly, CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour)})
		svc.mu.Unlock()
		p.reload()
	})
	h.wait("the third token", func() bool { return len(p.tokens) == 3 })
	h.do(func() { svc.setOnline(false, "connection refused") })
	h.wait("the page offline", func() bool { return !p.online })
	h.do(func() {
		if !p.issueBtn.Disabled() {
			t.Fatal("Issue enabled offline")
		}
		if !p.banner.Visible() || !strings.Contains(p.banner.Text, "connection refused") || !strings.Contains(p.banner.Text, "need the backend") {
			t.Fatalf("offline reason not shown: %q", p.banner.Text)
		}
		if b := button(t, win, "Revoke"); !b.Disabled() {
			t.Fatal("Revoke enabled offline")
		}
		if !windowHolds(win, "Spare") {
			t.Fatal("list not readable offline")
		}
		svc.setOnline(true, "")
	})
	h.wait("the page online", func() bool { return p.online })
	h.do(func() {
		if p.issueBtn.Disabled() || p.banner.Visible() || button(t, win, "Revoke").Disabled() {
			t.Fatal("actions not back when online")
		}
	})
}

func TestCustomerAccountIsNotOfferedIssuing(t *testing.T) {
	svc := newMemSession(testNow)
	svc.actor = scope.Actor{UserID: "u-ann", Email: "ann@farm.example", Role: scope.RoleCustomer, Dealer: "d1"}
	h := openPage(t, svc)
	p, win := h.p, h.win
	h.do(func() {
		if !p.issueBtn.Disabled() || !windowHolds(win, "You cannot issue tokens: only dealer accounts can issue tokens") {
			t.Fatal("a customer account is offered Issue token")
		}
		svc.setOnline(true, "") // a status change must not re-enable it
	})
	h.do(func() {
		if !p.issueBtn.Disabled() {
			t.Fatal("Issue re-enabled by a status change")
		}
		test.Tap(p.issueBtn)
		if p.wizard != nil {
			t.Fatal("wizard opened for a customer account")
		}
	})
}
