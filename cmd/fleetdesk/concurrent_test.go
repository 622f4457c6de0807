package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// subprocessEnv makes the test binary act as the fleetdesk command: a test starts real, separate
// FleetDesk processes with it (exec of os.Args[0]), each with its own memory, as a dealer's
// scheduled `fleetdesk sync` next to the open window would be.
const subprocessEnv = "FLEETDESK_TEST_RUN_COMMAND"

func init() {
	if os.Getenv(subprocessEnv) == "" {
		return
	}
	args := strings.Split(os.Getenv(subprocessEnv), "\x1f")
	cmd, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintln(os.Stderr, "no subcommand", args[0])
		os.Exit(2)
	}
	os.Exit(cmd.run(args[1:]))
}

// fleetdeskProcess runs `fleetdesk args...` as a separate process.
func fleetdeskProcess(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), subprocessEnv+"="+strings.Join(args, "\x1f"))
	return c
}

// TestConcurrentProcessesKeepSignIn: the window's syncer and two `fleetdesk sync` processes on
// one profile, at once and repeatedly, against a backend whose refresh tokens are single-use
// and whose access tokens lapse quickly. Every sync succeeds, the window stays signed in, and a
// plain `fleetdesk sync` afterwards still works: nobody signed the dealer out.
func TestConcurrentProcessesKeepSignIn(t *testing.T) {
	needKeyring(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, acc := testsim.Start(ctx, t, sim.Config{Devices: 150, Dealers: 1, Seed: 11, AccessTTL: 2 * time.Second})
	dir := t.TempDir()
	cfg, cacheDir := filepath.Join(dir, "config", "config.json"), filepath.Join(dir, "cache")
	profile := fmt.Sprintf("concurrent-%d", time.Now().UnixNano())
	common := []string{"--profile", profile, "--config", cfg, "--cache-dir", cacheDir}
	defer auth.Keyring{}.Delete(auth.Account(profile))

	code, _, stderr := runCmd(t, acc.Password+"\n", append([]string{"login", "--backend", srv.URL, "--email", acc.Email}, common...)...)
	if code != 0 {
		t.Fatalf("login: %d %s", code, stderr)
	}
	// The window: resumes the saved sign-in and syncs in the background every 100 ms, so its
	// access token (2 s) is refreshed while the CLI processes refresh theirs.
	gui, err := syncer.Open(ctx, syncer.Options{BackendURL: srv.URL, Profile: profile, CacheDir: cacheDir, Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("the window's session: %v", err)
	}
	defer gui.Close()

	syncArgs := append([]string{"sync", "--quiet"}, common...)
	for round := range 6 {
		var wg sync.WaitGroup
		outs := make([]string, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := fleetdeskProcess(ctx, syncArgs...).CombinedOutput()
				outs[i], errs[i] = string(out), err
			}()
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d: sync process %d failed (%v):\n%s", round, i, errs[i], outs[i])
			}
		}
		// Let the access tokens lapse so the next round refreshes again, in every process.
		time.Sleep(2100 * time.Millisecond)
	}
	if st := gui.Status(); st.SignInNeeded {
		t.Fatalf("the window lost its sign-in: %+v", st)
	}
	if _, err := gui.Sync(ctx, nil); err != nil {
		t.Fatalf("the window's sync after the rounds: %v", err)
	}
	code, stdout, stderr := runCmd(t, "", syncArgs...)
	if code != 0 || !strings.Contains(stdout, "sync of profile") {
		t.Fatalf("a plain sync after the rounds: %d %q %q", code, stdout, stderr)
	}
}
