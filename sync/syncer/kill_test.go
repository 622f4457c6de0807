package syncer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// killChildEnv carries the fixture URL to the re-executed test binary.
const killChildEnv = "FLEETDESK_KILLTEST_URL"

// TestKillMidSync kills a child process (this test binary, re-executed) with SIGKILL in the middle
// of a delta sync that rewrites every device, reopens the cache file and checks it holds exactly
// the batches that committed, matching the cursor: no half-written page, no damage.
func TestKillMidSync(t *testing.T) {
	if url := os.Getenv(killChildEnv); url != "" {
		killChild(url, os.Getenv("FLEETDESK_KILLTEST_DIR"))
		return
	}
	const n = 30000
	fx := newFixture(t, n, func(int) (int, int) { return 0, n }) // every generation rewrites all devices
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: fx.url, Profile: "k", CacheDir: dir, Email: "dealer@fixture.example", Password: "fixture-pw",
		Store: &auth.Memory{}, Manual: true, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	for round := 0; round < 3; round++ {
		fx.advance() // generation round+2 rewrites every device
		// The backend holds the child's page request after the gate until the child is gone, so
		// the sync cannot finish before the kill: the kill lands mid-sync, inside one of the pages
		// after the ones seen committed, or while the child waits for the held page.
		seen := 4 + round*3
		gate, served := seen+1+rand.IntN(3), 0
		fx.setFault(func(w http.ResponseWriter, r *http.Request, offset int) bool {
			if served++; served <= gate {
				return false
			}
			<-r.Context().Done()
			return true
		})
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillMidSync$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+fx.url, "FLEETDESK_KILLTEST_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		pages := 0
		for pages < seen && sc.Scan() {
			if strings.HasPrefix(sc.Text(), "page ") {
				pages++
			}
		}
		time.Sleep(time.Duration(rand.IntN(15)) * time.Millisecond) // lands inside a write or between two
		if err := cmd.Process.Kill(); err != nil {                  // SIGKILL on Unix
			t.Fatal(err)
		}
		go func() {
			for sc.Scan() {
			}
		}()
		werr := cmd.Wait()
		if pages < seen {
			t.Fatalf("the child committed %d pages before it ended, want %d: %v", pages, seen, werr)
		}
		// It was the kill that ended it, not the end of the sync or an error.
		var exit *exec.ExitError
		if !errors.As(werr, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("the child was not killed mid-sync: %v", werr)
		}
		checkConsistent(t, dir, n, round+2)
	}
	fx.setFault(nil)
}

// checkConsistent reopens the cache and checks devices against the cursor: the first offset
// devices of the change list carry generation target, the others the previous one.
// The cursor must name an unfinished walk: the kill landed mid-sync.
func checkConsistent(t *testing.T, dir string, n, target int) {
	t.Helper()
	ctx := context.Background()
	p, _ := cache.PathFor(dir, "k")
	c, err := cache.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rb := c.Rebuilt(); rb != nil {
		t.Fatalf("the cache was damaged by the kill: %v", rb)
	}
	st, err := c.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(st.Cursor, ".")
	if len(parts) != 3 {
		t.Fatalf("cursor %q", st.Cursor)
	}
	base, _ := strconv.Atoi(parts[0])
	tgt, _ := strconv.Atoi(parts[1])
	off, _ := strconv.Atoi(parts[2])
	devs, err := c.LoadDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != n {
		t.Fatalf("%d devices after the kill, want %d", len(devs), n)
	}
	if tgt > target || base > tgt {
		t.Fatalf("cursor %q does not fit generation %d", st.Cursor, target)
	}
	if base == tgt || off <= 0 || off >= n {
		t.Fatalf("cursor %q names no unfinished walk: the kill did not land mid-sync", st.Cursor)
	}
	// A resumed sync keeps heading for the generation its cursor names, so the rule is the same
	// whatever round was interrupted: the first off devices are at tgt, the rest at base.
	want := func(i int) string {
		if base != tgt && i < off {
			return fmt.Sprintf("g%d", tgt)
		}
		return fmt.Sprintf("g%d", base)
	}
	mismatch := 0
	for i, d := range devs {
		if d.Firmware != want(i) {
			if mismatch < 3 {
				t.Errorf("device %s has %s; cursor %q says %s", d.ID, d.Firmware, st.Cursor, want(i))
			}
			mismatch++
		}
	}
	if mismatch > 0 {
		t.Fatalf("%d devices disagree with the cursor", mismatch)
	}
	t.Logf("killed at cursor %s: %d devices of generation %d committed, the rest untouched", st.Cursor, off, tgt)
}

// killChild is the child's side: sync, printing a line per committed page, until killed.
func killChild(url, dir string) {
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: url, Profile: "k", CacheDir: dir, Email: "dealer@fixture.example", Password: "fixture-pw",
		Store: &auth.Memory{}, Manual: true, PageSize: 500})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	_, err = s.Sync(ctx, func(done, total int) { fmt.Printf("page %d/%d\n", done, total) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
	}
	os.Exit(0)
}
