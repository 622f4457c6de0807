package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// TestGUIProfiles: Settings lists the profiles file's profiles, refuses unsafe new names, and a
// switch to a profile that is not there fails in words without closing anything.
func TestGUIProfiles(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config dir", "config.json")
	if err := syncer.RememberProfile(cfg, "default", syncer.Profile{Backend: "https://a.example"}, true); err != nil {
		t.Fatal(err)
	}
	if err := syncer.RememberProfile(cfg, "north", syncer.Profile{Backend: "https://b.example"}, false); err != nil {
		t.Fatal(err)
	}
	g := &gui{flags: &dataFlags{cacheDir: t.TempDir()}, resolved: resolved{cfgPath: cfg, profile: "default"}}
	p := guiProfiles{g}
	names, current := p.Names()
	if !slices.Equal(names, []string{"default", "north"}) || current != "default" {
		t.Fatalf("Names() = %v, %q", names, current)
	}
	if _, err := p.Switch(context.Background(), "south"); err == nil || !strings.Contains(err.Error(), `no profile "south"`) {
		t.Fatalf("switch to a missing profile: %v", err)
	}
	for _, bad := range []string{"", "../etc", "a b", strings.Repeat("x", 80)} {
		if err := p.Add(bad); err == nil {
			t.Errorf("Add(%q) accepted an unsafe profile name", bad)
		}
	}
	if err := p.Add("east"); err != nil {
		t.Fatal(err)
	}
	if names, current := p.Names(); current != "east" || !slices.Contains(names, "east") {
		t.Fatalf("after Add: %v, %q", names, current)
	}
	if g.resolved.backend != "" {
		t.Fatal("a new profile kept the previous profile's backend")
	}
}
