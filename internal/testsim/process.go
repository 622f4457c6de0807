package testsim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// StartProcess builds cmd/fleetsim (once per test binary) and runs `fleetsim serve` with args on
// a free loopback port. It is stopped (SIGKILL, then waited for) at the test's end.
func StartProcess(t testing.TB, args ...string) *Process {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "fleetsim-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "fleetsim"), "github.com/fleetdesk/fleetdesk/cmd/fleetsim")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = err
			buildDir = out.String()
		}
	})
	if buildErr != nil {
		t.Fatalf("building fleetsim: %v %s", buildErr, buildDir)
	}
	cmd := exec.Command(filepath.Join(buildDir, "fleetsim"), append([]string{"serve", "--addr", "127.0.0.1:0", "--quiet"}, args...)...)
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
