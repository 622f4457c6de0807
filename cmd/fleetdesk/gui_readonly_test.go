package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// TestResumeWithoutSavedSignInOpensCachedFleet (issue 11 item 13): a profile with a synced cache
// but no saved sign-in (no keyring, or its entry gone), restarted while the backend is
// unreachable, opens its cached fleet read-only, saying why and asking for a sign-in, instead of
// locking the dealer out of their data behind the sign-in screen.
func TestResumeWithoutSavedSignInOpensCachedFleet(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, acc := testsim.Start(ctx, t, sim.Config{Devices: 80, Dealers: 1, Seed: 9})
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	profile := fmt.Sprintf("ro-%d", time.Now().UnixNano())
	common := []string{"--profile", profile, "--config", filepath.Join(dir, "config.json"), "--cache-dir", cacheDir, "--backend", srv.URL}
	// A one-run sign-in: the fleet reaches the cache, the sign-in is not saved anywhere.
	code, _, stderr := runCmd(t, acc.Password+"\n", append([]string{"sync", "--quiet", "--email", acc.Email}, common...)...)
	if code != 0 {
		t.Fatalf("sync: %d %s", code, stderr)
	}
	_ = auth.Keyring{}.Delete(auth.Account(profile))
	url := srv.URL
	srv.Close() // the restart happens offline

	g := &gui{flags: &dataFlags{cacheDir: cacheDir}, resolved: resolved{backend: url, profile: profile}}
	t.Cleanup(g.closeAll)
	svc, err := g.resume(ctx)
	if err != nil {
		t.Fatalf("restart without a saved sign-in: %v (the cached fleet cannot be reached)", err)
	}
	st := svc.Status()
	if svc.Fleet().Len() == 0 || st.LastSync.IsZero() {
		t.Fatalf("the cached fleet is not shown: %d units, %+v", svc.Fleet().Len(), st)
	}
	if !st.SignInNeeded || st.Reachable || !strings.Contains(st.UnreachableWhy, "sign in") {
		t.Fatalf("the read-only fleet does not say why or offer the sign-in: %+v", st)
	}
	if _, err := svc.SendCommand(ctx, fleet.CommandRequest{DeviceID: svc.Fleet().At(0).ID, Action: fleet.ActionReboot}); err == nil {
		t.Fatal("a read-only session sent a command")
	}

	// With no cache either there is nothing to show: the sign-in screen, as before.
	g2 := &gui{flags: &dataFlags{cacheDir: t.TempDir()}, resolved: resolved{backend: url, profile: profile}}
	t.Cleanup(g2.closeAll)
	if _, err := g2.resume(ctx); err == nil || !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("no cache and no sign-in: %v, want not signed in", err)
	}
}

// TestReadOnlyWhyTellsExpiredFromMissing: the read-only start says "expired" when the backend
// refused the saved sign-in (a failed call of that kind, not a sentence matched), and otherwise
// that no sign-in was saved.
func TestReadOnlyWhyTellsExpiredFromMissing(t *testing.T) {
	refused := &api.Error{Endpoint: "POST " + api.PathRefresh, Kind: api.KindUnauthorized, Status: 401,
		Message: "the session has expired", Err: auth.ErrNotSignedIn}
	if got := readOnlyWhy(refused); !strings.Contains(got, "expired") {
		t.Errorf("refused sign-in: %q", got)
	}
	if got := readOnlyWhy(auth.ErrNotSignedIn); strings.Contains(got, "expired") {
		t.Errorf("no saved sign-in: %q", got)
	}
}
