package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// noKeyringChild marks the child process of TestOfflineStartWithNoKeyringAtAll.
const noKeyringChild = "FLEETDESK_TEST_NO_KEYRING_CHILD"

// TestOfflineStartWithNoKeyringAtAll: on a computer with no Secret Service at all (the D-Bus
// session bus points nowhere, in a child process so the rest of the suite keeps its keyring), a
// one-run sign-in still syncs the fleet, and a later start with the
// backend gone opens the cached fleet read-only, saying that this computer has no keyring (not
// that a saved sign-in went missing) and offering the sign-in.
func TestOfflineStartWithNoKeyringAtAll(t *testing.T) {
	if os.Getenv(noKeyringChild) != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), noKeyringChild+"=1",
			"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
			t.Fatalf("with no keyring, in its own process: %v\n%s", err, out)
		}
		return
	}
	if err := (auth.Keyring{}).Probe(); err == nil {
		t.Fatal("setup: the OS keyring still answers with the session bus pointing nowhere")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, acc := testsim.Start(ctx, t, sim.Config{Devices: 60, Dealers: 1, Seed: 5})
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	profile := fmt.Sprintf("nokr-%d", time.Now().UnixNano())
	code, _, stderr := runCmd(t, acc.Password+"\n", "sync", "--quiet", "--email", acc.Email, "--profile", profile,
		"--config", filepath.Join(dir, "config.json"), "--cache-dir", cacheDir, "--backend", srv.URL)
	if code != 0 {
		t.Fatalf("sync with no keyring: exit %d: %s", code, stderr)
	}
	url := srv.URL
	srv.Close()

	g := &gui{flags: &dataFlags{cacheDir: cacheDir}, resolved: resolved{backend: url, profile: profile}}
	t.Cleanup(g.closeAll)
	svc, err := g.resume(ctx)
	if err != nil {
		t.Fatalf("offline start with no keyring: %v (the cached fleet cannot be reached)", err)
	}
	st := svc.Status()
	if svc.Fleet().Len() != 60 || st.LastSync.IsZero() {
		t.Fatalf("the cached fleet is not shown: %d units, %+v", svc.Fleet().Len(), st)
	}
	if !st.SignInNeeded || st.Reachable || !strings.Contains(st.UnreachableWhy, "no system keyring") {
		t.Fatalf("the read-only fleet does not say the computer has no keyring: %+v", st)
	}
}
