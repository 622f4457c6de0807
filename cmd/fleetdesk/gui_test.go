package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/ui"
)

// TestDemoStart runs the window's demo start path (what runGUI does with --demo or no backend)
// without a display: the embedded backend starts on loopback, the first dealer is signed in, and
// the first sync fills the fleet. A second start replaces the first and stops its backend.
func TestDemoStart(t *testing.T) {
	g := &gui{flags: &dataFlags{cacheDir: t.TempDir()}}
	t.Cleanup(g.closeAll)
	ctx := context.Background()

	svc, err := g.startDemo(ctx)
	if err != nil {
		t.Fatalf("startDemo: %v", err)
	}
	st := svc.Status()
	if !st.Demo {
		t.Fatal("the demo session does not say it is a demo (no DEMO badge)")
	}
	if !strings.HasPrefix(st.BackendURL, "http://127.0.0.1:") {
		t.Fatalf("the demo backend is at %q, not on loopback", st.BackendURL)
	}
	if st.DealerName == "" || st.UserEmail == "" {
		t.Fatalf("demo session without a dealer or account: %+v", st)
	}
	deadline := time.Now().Add(60 * time.Second)
	for svc.Status().LastSync.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("no first sync within 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ix := svc.Fleet()
	if ix.Len() == 0 || ix.Len() >= demoConfig.Devices {
		t.Fatalf("the demo dealer sees %d of the %d simulated units", ix.Len(), demoConfig.Devices)
	}
	dealer := ix.At(0).Dealer
	for _, d := range ix.Devices() {
		if d.Dealer != dealer {
			t.Fatalf("%s belongs to %q, the fleet is %q's", d.ID, d.Dealer, dealer)
		}
	}

	svc2, err := g.startDemo(ctx)
	if err != nil {
		t.Fatalf("second startDemo: %v", err)
	}
	if !svc2.Status().Demo || svc2.Status().BackendURL == st.BackendURL {
		t.Fatalf("second demo start: %+v", svc2.Status())
	}
	client := &http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Get(st.BackendURL); err == nil {
		resp.Body.Close()
		t.Fatal("the first demo backend still answers after the demo was restarted")
	}
}

// TestChooseStart (issue 24 items 1 and 2): the first screen is decided from the flags and the
// profile before the window is drawn. A remembered profile opens on "Opening profile …" (no
// sign-in form whose password field a cached fleet then replaces); a first run with no backend
// asks (sign in, or the demo), except for `make run` (--first-run demo); --demo is the demo.
func TestChooseStart(t *testing.T) {
	work := resolved{profile: "work", backend: "https://fleet.example.com"}
	fresh := resolved{profile: "default"}
	for _, c := range []struct {
		name          string
		r             resolved
		demo, makeRun bool
		want          ui.StartScreen
		wantDemo      bool
		says          string
	}{
		{"first run", fresh, false, false, ui.StartWelcome, false, ""},
		{"first run from make run", fresh, false, true, ui.StartOpening, true, "demo"},
		{"--demo on a first run", fresh, true, false, ui.StartOpening, true, "demo"},
		{"a remembered profile", work, false, false, ui.StartOpening, false, "Opening profile \u201cwork\u201d (https://fleet.example.com)"},
		{"a remembered profile from make run", work, false, true, ui.StartOpening, false, "work"},
		{"--demo with a remembered profile", work, true, false, ui.StartOpening, true, "demo"},
	} {
		got := chooseStart(c.r, c.demo, c.makeRun)
		if got.screen != c.want || got.demo != c.wantDemo || !strings.Contains(got.opening, c.says) {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
	if code := runGUI([]string{"--first-run", "maybe"}); code != 2 {
		t.Errorf("--first-run maybe: exit %d, want 2", code)
	}
}
