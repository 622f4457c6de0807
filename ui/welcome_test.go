package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// shown are the visible objects of the window's content.
func shown(s *Shell) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	uitest.Walk(s.win.Content(), true, func(o fyne.CanvasObject) { out = append(out, o) })
	return out
}

// entries are the visible text fields of the window, which a dealer could type into.
func entries(s *Shell) []*kit.Entry {
	var out []*kit.Entry
	for _, o := range shown(s) {
		if e, ok := o.(*kit.Entry); ok {
			out = append(out, e)
		}
	}
	return out
}

// TestFirstRunOffersSignInOrDemo (issue 24 item 1): a first run with no profile asks plainly
// whether to sign in to the dealer's backend or explore the demo, with nothing to type into until
// one is chosen; each choice leads where it says.
func TestFirstRunOffersSignInOrDemo(t *testing.T) {
	svc, _ := testfleet.Offline(t, 20, now0)
	demos := 0
	u := newUI(t)
	s := newShell(t, u, Options{Start: StartWelcome, Demo: func(context.Context) (session.Session, error) {
		demos++
		if demos == 1 {
			return nil, errors.New("no free port for the demo backend")
		}
		return svc, nil
	}})
	u.run(func() {
		if s.signIn != nil || len(entries(s)) != 0 || s.win.Canvas().Focused() != nil {
			t.Fatalf("a first run opens on a form to type into (sign-in screen %v, %d fields)", s.signIn != nil, len(entries(s)))
		}
		txt := strings.Join(uitest.Texts(s.win.Content()), "\n")
		for _, want := range []string{"Sign in to your fleet backend", "Explore the demo", "nothing you do there reaches a real unit"} {
			if !strings.Contains(txt, want) {
				t.Fatalf("the welcome does not say %q:\n%s", want, txt)
			}
		}
		test.Tap(button(t, s.win.Content(), "Explore the demo"))
	})
	u.eventually(10*time.Second, "the demo's failure in words", func() bool {
		return s.welcome != nil && s.welcome.errLabel.Visible()
	})
	u.run(func() {
		if got := s.welcome.errLabel.Text; got != "The demo could not start: No free port for the demo backend." {
			t.Fatalf("the failed demo says %q", got)
		}
		test.Tap(button(t, s.win.Content(), "Explore the demo"))
	})
	u.eventually(10*time.Second, "the demo's session", func() bool { return s.Service() == session.Session(svc) })

	// The other choice: the sign-in form.
	s2 := newShell(t, u, Options{Start: StartWelcome, Demo: func(context.Context) (session.Session, error) { return svc, nil }})
	u.run(func() {
		test.Tap(button(t, s2.win.Content(), "Sign in to your fleet backend"))
		if s2.signIn == nil || len(entries(s2)) != 3 {
			t.Fatalf("Sign in leads to %d fields (sign-in screen %v)", len(entries(s2)), s2.signIn != nil)
		}
	})

	// Without a demo to offer, a first run is the sign-in form.
	s3 := newShell(t, u, Options{Start: StartWelcome})
	u.run(func() {
		if s3.signIn == nil {
			t.Fatal("no demo, yet the welcome offers one")
		}
	})
}

// TestOpeningAProfileShowsNoFormToTypeInto (issue 24 item 2): while a remembered profile
// resumes (its backend may be down for seconds), the window says what it opens and holds no
// field, focused or not, that a dealer could start typing a password into; the cached fleet (or
// the sign-in form, when the data layer decides so) replaces it.
func TestOpeningAProfileShowsNoFormToTypeInto(t *testing.T) {
	svc, _ := testfleet.Offline(t, 20, now0)
	u := newUI(t)
	s := newShell(t, u, Options{Start: StartOpening, Opening: "Opening profile “work” (https://fleet.example.com)…"})
	u.run(func() {
		if s.signIn != nil || len(entries(s)) != 0 || s.win.Canvas().Focused() != nil {
			t.Fatalf("while the profile opens the window shows a form (sign-in screen %v, %d fields, focus %v)",
				s.signIn != nil, len(entries(s)), s.win.Canvas().Focused())
		}
		if txt := strings.Join(uitest.Texts(s.win.Content()), "\n"); !strings.Contains(txt, "Opening profile “work”") {
			t.Fatalf("the window does not say what it opens:\n%s", txt)
		}
		s.Start(svc)
		if s.Service() == nil || s.FleetConsole() == nil {
			t.Fatal("the cached fleet did not replace the opening screen")
		}
	})
}
