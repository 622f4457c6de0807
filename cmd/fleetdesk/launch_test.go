//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLaunchesGUI(t *testing.T) {
	defer func(old string) { guiExe = old }(guiExe)
	guiExe = ""
	if launchesGUI(nil) {
		t.Fatal("the window's own program hands the window over")
	}
	guiExe = "FleetDesk.exe"
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--demo", "--page", "map"}, true},
		{[]string{"--demo", "--measure-startup"}, false}, // its figure must reach this terminal
		{[]string{"-measure-startup"}, false},
	} {
		if got := launchesGUI(c.args); got != c.want {
			t.Errorf("launchesGUI(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

// TestConsoleBuildHandsTheWindowOver builds fleetdesk as scripts/package.sh builds fleetdesk.com
// (-X main.guiExe names the window's program), with a stand-in for that program beside it that
// records its arguments and then stays up, as a window does. Asked for the window, the console
// build starts it with the same arguments and returns at once, exit status 0, while it runs on (a
// terminal gets its prompt back and no console waits beside the app); a command, --version and an
// unknown command run in the console build itself, with their output and exit status.
func TestConsoleBuildHandsTheWindowOver(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fleetdesk-console")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.guiExe=fleetdesk-window", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	window := filepath.Join(dir, "fleetdesk-window")
	started := window + ".started"
	script := "#!/bin/sh\necho \"$$ $*\" >\"$0.started.tmp\" && mv \"$0.started.tmp\" \"$0.started\"\nexec sleep 120\n"
	if err := os.WriteFile(window, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{nil, {"--demo", "--page", "map"}} {
		os.Remove(started)
		code, out, errOut := run(t, "", bin, args...)
		// (Fyne may log that it cannot parse a C locale; FleetDesk itself says nothing.)
		if code != 0 || out != "" || strings.Contains(errOut, "fleetdesk:") {
			t.Fatalf("fleetdesk %q: exit %d, stdout %q, stderr %q; want 0 and nothing said", args, code, out, errOut)
		}
		// The stand-in writes its line once it runs; the launcher did not wait for that.
		var line []byte
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var err error
			if line, err = os.ReadFile(started); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("fleetdesk %q did not start %s", args, filepath.Base(window))
			}
		}
		pidText, gotArgs, _ := strings.Cut(strings.TrimSpace(string(line)), " ")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			t.Fatalf("stand-in wrote %q", line)
		}
		if !slices.Equal(strings.Fields(gotArgs), args) && !(len(args) == 0 && gotArgs == "") {
			t.Errorf("the window's program got %q, want %q", gotArgs, args)
		}
		// Returned while the window's program still runs: it was started, not waited for.
		if err := syscall.Kill(pid, 0); err != nil {
			t.Errorf("the window's program is gone when fleetdesk %q returned: %v", args, err)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	}

	os.Remove(started)
	if code, out, _ := run(t, "", bin, "--version"); code != 0 || !strings.HasPrefix(out, "FleetDesk ") {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
	if code, _, errOut := run(t, "", bin, "no-such-command"); code != 2 || !strings.Contains(errOut, `unknown command "no-such-command"`) {
		t.Fatalf("an unknown command: exit %d, stderr %q; want 2 and the error", code, errOut)
	}
	if _, err := os.Stat(started); err == nil {
		t.Fatal("a command started the window's program")
	}
}
