package tokens

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// TestE2ECreateFailureKeepsChoicesAndSaysWhy (issue 11, items 5 and 15): the backend goes away
// between the review and Create. The refusal is said in the dealer's words with the technical text
// one click away (Details), every choice the dealer made is still there, and Create is then held
// back with the offline reason instead of failing again.
func TestE2ECreateFailureKeepsChoicesAndSaysWhy(t *testing.T) {
	e := startE2E(t)
	user, owned := e.customerWith(2)
	w := e.h.openWizard()
	e.h.do(func() {
		test.Type(w.users.search, user.Email)
		w.users.list.Select(0)
		test.Tap(w.nextBtn)
		w.access.radio.SetSelected(optReadOnly)
		test.Tap(w.nextBtn)
		test.Tap(w.devices.restrict)
		w.devices.picker.paste.SetText(owned[0])
		test.Tap(button(t, e.win, "Add"))
		test.Tap(w.nextBtn)
		test.Type(w.review.name, "pilot dashboard")
		// The review says what will be created before anything is: account, access, devices.
		for _, want := range []string{user.Email, "Read-only", "Restricted to 1: ", owned[0]} {
			if !strings.Contains(w.review.account.Text+"\n"+w.review.access.Text+"\n"+w.review.devices.Text, want) {
				t.Fatalf("review does not say %q: %q / %q / %q", want, w.review.account.Text, w.review.access.Text, w.review.devices.Text)
			}
		}
		wantOpen(t, w)
	})
	e.srv.Close()
	e.h.do(func() { test.Tap(w.nextBtn) })
	e.settle()
	e.h.do(func() {
		if e.p.secret != nil || e.p.wizard != w {
			t.Fatal("the wizard did not stay after the failure")
		}
		if !windowHolds(e.win, "Token not created") || !strings.Contains(w.review.problems.Text, "Can't reach the fleet backend") {
			t.Fatalf("failure not in the dealer's words: %q", w.review.problems.Text)
		}
		if strings.Contains(w.review.problems.Text, "dial tcp") {
			t.Fatalf("technical text in the message: %q", w.review.problems.Text)
		}
		test.Tap(button(t, e.win, "Details"))
		// The technical text (whatever the closed server's socket said) in a copyable field.
		var detail string
		for _, r := range roots(e.win) {
			uitest.Walk(r, true, func(o fyne.CanvasObject) {
				if en, ok := o.(*kit.Entry); ok && en.MultiLine && en.Text != "" {
					detail = en.Text
				}
			})
		}
		if detail == "" || strings.Contains(w.review.problems.Text, detail) || findButton(e.win, "Copy") == nil {
			t.Fatalf("Details does not show the technical text with Copy: %q", detail)
		}
		t.Logf("details: %s", detail)
		// Every choice is kept.
		if w.account() == nil || w.account().ID != user.ID || w.access.radio.Selected != optReadOnly ||
			!w.devices.restrict.Checked || !slices.Equal(w.devices.picker.selected, owned[:1]) || w.review.name.Text != "pilot dashboard" {
			t.Fatalf("choices lost: account %v access %q devices %v name %q", w.account(), w.access.radio.Selected, w.devices.picker.selected, w.review.name.Text)
		}
	})
	// The session now knows it is offline: Create waits for the connection, saying why.
	e.h.wait("Create held back offline", func() bool {
		return w.nextBtn.Disabled() && strings.Contains(blockedText(w), "FleetDesk is offline")
	})
	e.h.do(func() {
		if !strings.Contains(blockedText(w), "Your choices are kept") {
			t.Fatalf("review says %q", blockedText(w))
		}
	})
}
