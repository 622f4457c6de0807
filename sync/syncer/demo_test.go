package syncer

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// A real profile may be called "demo": the demo session (the app's embedded backend) then still
// keeps its own cache file, its own sign-in lock and no keyring entry at all, so running the demo
// neither wipes nor mixes into the real profile's offline fleet and never touches its saved
// sign-in. Real SQLite files in one cache directory, the real OS keyring (a service of its own).
func TestRealProfileNamedDemoSharesNothingWithTheDemo(t *testing.T) {
	ctx := context.Background()
	realSrv, demoSrv := startSim(t, 200), startSim(t, 90)
	dir := t.TempDir()
	keys := auth.Keyring{Service: fmt.Sprintf("FleetDesk-test-%d", time.Now().UnixNano())}
	if err := keys.Probe(); err != nil {
		t.Skipf("no OS keyring (run under scripts/with-keyring.sh): %v", err)
	}
	t.Cleanup(func() { keys.Delete(auth.Account("demo")) })

	acc := testsim.Dealer(t, realSrv)
	s, err := Open(ctx, Options{BackendURL: realSrv.URL, Profile: "demo", CacheDir: dir, Email: acc.Email,
		Password: acc.Password, Store: keys, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	realCount, realPath := s.Fleet().Len(), s.cache.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	token, err := keys.Get(auth.Account("demo"))
	if err != nil || token == "" {
		t.Fatalf("the real profile's sign-in is not in the keyring: %v", err)
	}

	// The demo session as the app opens it, here even handed the keyring: it must not use it.
	dacc := testsim.Dealer(t, demoSrv)
	d, err := Open(ctx, Options{BackendURL: demoSrv.URL, Profile: "demo", Demo: true, CacheDir: dir, Email: dacc.Email,
		Password: dacc.Password, Store: keys, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	demoCount, demoPath := d.Fleet().Len(), d.cache.Path()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if demoCount == realCount || demoPath == realPath {
		t.Fatalf("demo fleet %d units in %s, real fleet %d units in %s", demoCount, demoPath, realCount, realPath)
	}
	if want, _ := cache.PathFor(dir, "demo"); realPath != want {
		t.Fatalf("the real profile's cache moved: %s, want %s", realPath, want)
	}
	if _, err := os.Stat(demoPath); err != nil {
		t.Fatalf("the demo's cache file: %v", err)
	}
	if got, err := keys.Get(auth.Account("demo")); err != nil || got != token {
		t.Fatalf("the demo touched the real profile's keyring entry (%v)", err)
	}

	// The real profile's offline fleet is its own, and its saved sign-in still resumes.
	c, err := OpenCached(ctx, Options{Profile: "demo", CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if n, st := c.Fleet().Len(), c.Status(); n != realCount || st.UserEmail != acc.Email {
		t.Errorf("the real profile's cache holds %d units of %q, want %d of %q", n, st.UserEmail, realCount, acc.Email)
	}
	c.Close()
	r, err := Open(ctx, Options{BackendURL: realSrv.URL, Profile: "demo", CacheDir: dir, Store: keys, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatalf("the real profile's saved sign-in: %v", err)
	}
	r.Close()
}
