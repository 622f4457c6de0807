package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// openLive signs a dealer in to a fresh simulated backend with the session options the test
// needs, and waits for the first sync.
func openLive(t *testing.T, cfg sim.Config, opts syncer.Options) (*sim.Server, *syncer.Replica) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, acct := testsim.Start(ctx, t, cfg)
	opts.BackendURL, opts.Email, opts.Password = srv.URL, acct.Email, acct.Password
	opts.CacheDir, opts.Store, opts.Now = t.TempDir(), &auth.Memory{}, srv.Now
	s, err := syncer.Open(ctx, opts)
	if err != nil {
		t.Fatalf("syncer.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if opts.Manual {
		if _, err := s.Sync(ctx, nil); err != nil {
			t.Fatalf("first sync: %v", err)
		}
	}
	uitest.WaitFor(t, 30*time.Second, "the first sync", func() bool { return !s.Status().LastSync.IsZero() })
	return srv, s
}

// TestKilledBackendShowsOfflineSoon (issue 11 items 16 and 15): with the next sync an hour away,
// a backend that goes away still shows as Offline (the health check), and the banner says it in
// the dealer's words with the technical detail under Details and a manual retry.
func TestKilledBackendShowsOfflineSoon(t *testing.T) {
	srv, svc := openLive(t, sim.Config{Devices: 30, Dealers: 1, Seed: 5},
		syncer.Options{Interval: time.Hour, HealthEvery: 100 * time.Millisecond})
	u := newUI(t)
	s := newShell(t, u, Options{})
	u.run(func() {
		s.Start(svc)
		if s.bar.online.Text != "Online" || s.banner.offline.Visible() {
			t.Fatal("not online at start")
		}
	})
	srv.Close()
	u.eventually(20*time.Second, "Offline in the status bar", func() bool { return strings.HasPrefix(s.bar.online.Text, "Offline since ") })
	// The first failure may be a kept-alive connection cut short; the retries then meet the
	// refused connection.
	want := "Can't reach the fleet backend (connection refused) — retrying; your cached fleet is shown."
	u.eventually(20*time.Second, "the banner to say why", func() bool {
		return s.banner.offline.Visible() && strings.Contains(s.banner.offlineTxt.Text, want)
	})
	u.run(func() {
		txt := s.banner.offlineTxt.Text
		for _, tech := range []string{"dial tcp", "127.0.0.1", "/v1/", "HTTP"} {
			if strings.Contains(txt, tech) {
				t.Fatalf("banner %q shows technical text %q", txt, tech)
			}
		}
		if !s.banner.detailsBtn.Visible() || !strings.Contains(s.banner.detail, "connection refused") ||
			!strings.Contains(s.banner.detail, "127.0.0.1") {
			t.Fatalf("Details missing or without the technical text: %q", s.banner.detail)
		}
		test.Tap(s.banner.detailsBtn)
		if s.win.Canvas().Overlays().Top() == nil {
			t.Fatal("Details opened nothing")
		}
		if !s.banner.retryBtn.Visible() || s.banner.retryBtn.Disabled() || s.banner.signInBtn.Visible() {
			t.Fatal("no manual retry while the backend is unreachable")
		}
		if s.bar.syncBtn.Disabled() {
			t.Fatal("Sync now disabled while offline: it is the manual retry")
		}
	})
}

// TestExpiredSignInOffersSignIn (issue 11 item 14): when the backend no longer accepts the
// sign-in, the banner says so and offers Sign in right there; it opens the sign-in screen,
// prefilled.
func TestExpiredSignInOffersSignIn(t *testing.T) {
	srv, svc := openLive(t, sim.Config{Devices: 30, Dealers: 1, Seed: 6},
		syncer.Options{Interval: time.Hour, HealthEvery: -1})
	u := newUI(t)
	s := newShell(t, u, Options{})
	u.run(func() { s.Start(svc) })
	// The backend ends the sign-in (as an administrator revoking it, or a password change, does).
	srv.Backend().EndSessions(svc.Status().UserEmail)
	svc.SyncNow()
	u.eventually(20*time.Second, "the banner asking for a sign-in", func() bool {
		return s.banner.offline.Visible() && s.banner.signInBtn.Visible()
	})
	u.run(func() {
		if txt := s.banner.offlineTxt.Text; !strings.Contains(txt, "sign in again") {
			t.Fatalf("banner %q does not say to sign in again", txt)
		}
		if s.banner.retryBtn.Visible() || !s.bar.syncBtn.Disabled() {
			t.Fatal("retry offered although only a sign-in can help")
		}
		test.Tap(s.banner.signInBtn)
		if s.signIn == nil || s.Service() != nil {
			t.Fatal("Sign in did not open the sign-in screen")
		}
		st := svc.Status()
		if s.signIn.email.Text != st.UserEmail || s.signIn.backend.Text != st.BackendURL || st.UserEmail == "" {
			t.Fatalf("the sign-in screen is not prefilled with the account: %q %q", s.signIn.backend.Text, s.signIn.email.Text)
		}
		if s.win.Canvas().Focused() != s.signIn.password {
			t.Fatal("the cursor is not in the password field")
		}
		// The dealer can go back to the cached fleet without signing in.
		if !s.signIn.back.Visible() {
			t.Fatal("no way back to the cached fleet")
		}
		test.Tap(s.signIn.back)
		if s.Service() != svc || !s.banner.signInBtn.Visible() {
			t.Fatal("Back did not return to the cached fleet with its Sign in offer")
		}
	})
}

// TestFirstSyncShowsProgressNotAnEmptyFleet (issue 11 item 17): before the first sync has
// completed the Fleet Console's place shows the sync's progress, never "0 of 0 units".
func TestFirstSyncShowsProgressNotAnEmptyFleet(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, acct := testsim.Start(ctx, t, sim.Config{Devices: 400, Dealers: 1, Seed: 7})
	svc, err := syncer.Open(ctx, syncer.Options{BackendURL: srv.URL, Email: acct.Email, Password: acct.Password,
		CacheDir: t.TempDir(), Store: &auth.Memory{}, Manual: true, PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	u := newUI(t)
	s := newShell(t, u, Options{})
	u.run(func() {
		s.Start(svc)
		if s.slot.Objects[0] != s.firstSync.content {
			t.Fatalf("before the first sync the console shows %q", s.FleetConsole().CountText())
		}
		if !strings.Contains(s.firstSync.text.Text, "first sync") {
			t.Fatalf("first-sync text %q", s.firstSync.text.Text)
		}
	})
	// Mid-sync the page says how far it got.
	progressSeen := make(chan string, 1)
	go func() {
		_, _ = svc.Sync(ctx, func(done, total int) {
			if done > 0 && done < total {
				select {
				case progressSeen <- "":
				default:
				}
			}
		})
	}()
	u.eventually(30*time.Second, "the first sync to finish and the console to show the fleet", func() bool {
		return s.slot.Objects[0] == s.console.Content() && s.FleetConsole().CountText() != "" &&
			!strings.HasPrefix(s.FleetConsole().CountText(), "0 of 0")
	})
	select {
	case <-progressSeen:
	default:
		t.Fatal("the first sync reported no progress")
	}
	st := svc.Status()
	st.Syncing, st.SyncDone, st.SyncTotal, st.LastSync = true, 150, 400, time.Time{}
	if got := FirstSyncText(st, 0); !strings.Contains(got, "150 of 400 units") {
		t.Fatalf("first-sync text %q", got)
	}
}

// deaf passes on status changes only: a console subscribed to it misses every change of units,
// as one does that subscribed just after the first sync published its fleet.
type deaf struct{ *syncer.Replica }

func (d deaf) Subscribe(fn func(session.Change)) func() {
	return d.Replica.Subscribe(func(ch session.Change) {
		if ch.Status {
			fn(session.Change{Status: true})
		}
	})
}

// TestConsoleThatMissedTheFirstSyncCatchesUp (issue 11 item 17): a console that missed the first
// sync's change of units would say "0 of 0 units" next to "synced 18 s ago"; the sync's status
// change makes it take the fleet the session holds (the console's own test proves it subscribes
// before it reads, so it does not miss the change in the first place).
func TestConsoleThatMissedTheFirstSyncCatchesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc, _, _ := testfleet.StartManual(ctx, t, sim.Config{Devices: 120, Dealers: 1, Seed: 8})
	u := newUI(t)
	s := newShell(t, u, Options{})
	u.run(func() { s.Start(deaf{svc}) })
	if _, err := svc.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	lie := ""
	u.eventually(20*time.Second, "the console to show the synced fleet", func() bool {
		shown := s.slot.Objects[0] == s.console.Content()
		if shown && strings.HasPrefix(s.FleetConsole().CountText(), "0 of 0 ") {
			lie = s.FleetConsole().CountText() + " next to " + s.bar.synced.Text
			return true
		}
		return shown && s.FleetConsole().CountText() != ""
	})
	if lie != "" {
		t.Fatalf("the console says %s", lie)
	}
}

// TestReadOnlyCachedFleetOffersSignIn (issue 11 item 13): the cached fleet opened without a saved
// sign-in shows its units, says why it is read-only and offers the sign-in; Sync now, which could
// not help, is disabled.
func TestReadOnlyCachedFleetOffersSignIn(t *testing.T) {
	dir := t.TempDir()
	devs := testfleet.GenerateFleet(60, 3, now0)
	if err := testfleet.FillCache(context.Background(), dir, devs, now0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	why := "Not signed in: no saved sign-in was found for this profile; sign in to sync"
	svc, err := syncer.OpenReadOnly(context.Background(), syncer.Options{CacheDir: dir}, why)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	u := newUI(t)
	s := newShell(t, u, Options{})
	u.run(func() { s.Start(svc) })
	u.eventually(10*time.Second, "the cached fleet", func() bool { return strings.HasPrefix(s.FleetConsole().CountText(), "60 of 60") })
	u.run(func() {
		if s.slot.Objects[0] != s.console.Content() {
			t.Fatalf("the cached fleet is not shown: %q", s.FleetConsole().CountText())
		}
		txt := s.banner.offlineTxt.Text
		if !strings.Contains(txt, why) || !strings.Contains(txt, "read-only") {
			t.Fatalf("banner %q does not say why the fleet is read-only", txt)
		}
		if !s.banner.signInBtn.Visible() || s.banner.retryBtn.Visible() || !s.bar.syncBtn.Disabled() {
			t.Fatal("no Sign in offered (or a retry that cannot help)")
		}
	})
}
