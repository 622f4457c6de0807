package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionFlag builds the binary the way the Makefile does (version, commit and date set with
// -ldflags -X) and checks that `fleetdesk --version` prints them and exits without opening a
// window; a plain build still names a version and a commit (from the Go build info).
func TestVersionFlag(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fleetdesk")
	const pkg = "github.com/fleetdesk/fleetdesk/internal/version"
	ld := "-X " + pkg + ".version=9.8.7 -X " + pkg + ".commit=abc123def456 -X " + pkg + ".date=2026-11-29T20:00:00Z"
	cmd := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	for _, arg := range []string{"--version", "version"} {
		code, out, errOut := run(t, "", bin, arg)
		if code != 0 {
			t.Fatalf("fleetdesk %s: exit %d, stderr %q", arg, code, errOut)
		}
		want := "FleetDesk 9.8.7 (commit abc123def456"
		if !strings.HasPrefix(out, want) || !strings.Contains(out, "built 2026-11-29T20:00:00Z") {
			t.Fatalf("fleetdesk %s printed %q, want %q… built 2026-11-29T20:00:00Z", arg, out, want)
		}
	}
}
