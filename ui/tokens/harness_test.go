package tokens

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// harness is the page in a test window, driven on a test UI loop (uitest.Loop): the page's
// background results and the test's taps and reads take turns on the loop, as on the app's UI
// goroutine.
type harness struct {
	t    *testing.T
	loop *uitest.Loop
	win  fyne.Window
	p    *Page
}

// open shows the page in a window sized like the app's and waits for the first token list.
func open(t *testing.T, svc session.Session) *harness {
	t.Helper()
	test.NewTempApp(t)
	h := &harness{t: t, loop: uitest.NewLoop(t)}
	h.loop.Run(func() {
		h.win = test.NewTempWindow(t, widget.NewLabel(""))
		h.p = New(svc, Options{Window: h.win, UI: h.loop.Do})
		h.win.SetContent(h.p.Content())
		h.win.Resize(fyne.NewSize(1280, 860))
	})
	t.Cleanup(func() { h.loop.Run(h.p.Close) })
	h.wait("the first token list", func() bool { return h.p.busy == 0 })
	return h
}

// do runs f on the loop; a t.Fatal inside f ends the test.
func (h *harness) do(f func()) { h.loop.Run(f) }

// wait runs cond on the loop until it holds.
func (h *harness) wait(what string, cond func() bool) {
	h.t.Helper()
	h.loop.Eventually(h.t, 30*time.Second, what, cond)
}

// holds is windowHolds read on the loop.
func (h *harness) holds(s string) bool {
	var ok bool
	h.loop.Run(func() { ok = windowHolds(h.win, s) })
	return ok
}

// openWizard taps "Issue token…" and waits for the user accounts to load.
func (h *harness) openWizard() *wizard {
	t := h.t
	t.Helper()
	h.do(func() { test.Tap(button(t, h.win, "Issue token…")) })
	h.wait("the wizard with the user accounts", func() bool {
		return h.p.wizard != nil && !h.p.wizard.users.loading
	})
	var w *wizard
	h.do(func() {
		w = h.p.wizard
		if !windowHolds(h.win, "Issue customer API access") {
			t.Fatal("wizard dialog not shown")
		}
	})
	return w
}

func wantBlocked(t *testing.T, w *wizard, mention string) {
	t.Helper()
	if !w.nextBtn.Disabled() {
		t.Fatalf("step %d: %q enabled, want it blocked by %q", w.step, w.nextBtn.Text, mention)
	}
	if !strings.Contains(strings.ToLower(blockedText(w)), strings.ToLower(mention)) {
		t.Fatalf("step %d: %q does not say %q", w.step, blockedText(w), mention)
	}
}

// blockedText is where the wizard says why Next (Create token) is off: the hint beside the
// buttons, on the review step the list of everything left to do.
func blockedText(w *wizard) string {
	if w.step == stepReview {
		return w.review.problems.Text
	}
	return w.hint.Text
}

func wantOpen(t *testing.T, w *wizard) {
	t.Helper()
	if w.nextBtn.Disabled() {
		t.Fatalf("step %d: %q disabled: %s", w.step, w.nextBtn.Text, w.hint.Text)
	}
}
