package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
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
