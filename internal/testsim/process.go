package testsim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/sim"
)

// Process is `fleetsim serve` running as its own process: what a benchmark needs when it
// measures the app's CPU time, which an in-process backend would share.
type Process struct {
	URL      string
	Accounts []sim.Account
}

// Dealer is the first dealer account the process seeded.
func (p *Process) Dealer(t testing.TB) sim.Account {
	t.Helper()
	for _, a := range p.Accounts {
		if a.Role == "dealer" {
			return a
		}
	}
	t.Fatal("fleetsim seeded no dealer account")
	return sim.Account{}
}

// StartProcess builds cmd/fleetsim into the test's temporary directory (the build cache makes
// that a link) and runs `fleetsim serve` with args on a free loopback port. It is stopped
// (SIGKILL, then waited for) at the test's end.
func StartProcess(t testing.TB, args ...string) *Process {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fleetsim")
	build := exec.Command("go", "build", "-o", bin, "github.com/fleetdesk/fleetdesk/cmd/fleetsim")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building fleetsim: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--quiet"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	var p Process
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("fleetsim's ready line %q: %v", line, err)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("fleetsim printed no ready line; stderr: %s", stderr.String())
	}
	return &p
}
