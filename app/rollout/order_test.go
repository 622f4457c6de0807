package rollout

import (
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

func TestSortReleasesNewestVersionFirst(t *testing.T) {
	rs := []Release{{ID: "a", Version: "2.3.4"}, {ID: "b", Version: "2.10.0"}, {ID: "c", Version: "2.4.1"}, {ID: "d", Version: "2.9.9"}}
	SortReleases(rs)
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "b,d,c,a" {
		t.Fatalf("order %v, want b,d,c,a", ids)
	}
}

func TestDirectionAndNewest(t *testing.T) {
	d := fleet.Device{ID: "D180-1", Model: fleet.ModelD180, Console: fleet.ConsoleUnified, Transport: fleet.TransportWiFi, Firmware: "2.4.1"}
	rel := func(v string) Release {
		return Release{ID: "r" + v, Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportWiFi, Version: v, SHA256: strings.Repeat("a", 64), Size: 1}
	}
	if DirectionOf(rel("2.3.4"), d) != fleet.Downgrade || DirectionOf(rel("2.4.1"), d) != fleet.Reinstall || DirectionOf(rel("2.10.0"), d) != fleet.Upgrade {
		t.Fatal("direction wrong")
	}
	if w := DirectionWarning(rel("2.3.4"), d); w != "2.3.4 is older than the installed 2.4.1 — this is a downgrade" {
		t.Fatalf("warning %q", w)
	}
	if DirectionWarning(rel("2.5.0"), d) != "" {
		t.Fatal("an upgrade needs no warning")
	}
	if _, ok := NewestFor(d, []Release{rel("2.3.4"), rel("2.4.1")}); ok {
		t.Fatal("a unit on the newest release is reported out of date")
	}
	if r, ok := NewestFor(d, []Release{rel("2.3.4"), rel("2.5.0"), rel("2.4.1")}); !ok || r.Version != "2.5.0" {
		t.Fatalf("newest %+v %v", r, ok)
	}
}

// TestCheckInstallNeedsConsentForANotNewerRelease: a downgrade or a reinstall goes only with the
// dealer's consent to exactly that direction; an upgrade needs none; another variant never goes.
func TestCheckInstallNeedsConsentForANotNewerRelease(t *testing.T) {
	d := fleet.Device{ID: "D180-1", Model: fleet.ModelD180, Console: fleet.ConsoleUnified, Transport: fleet.TransportWiFi, Firmware: "2.4.1"}
	rel := func(v string, tr fleet.Transport) Release {
		return Release{ID: "r" + v, Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: tr, Version: v, SHA256: strings.Repeat("a", 64), Size: 1}
	}
	older, same, newer := rel("2.3.4", fleet.TransportWiFi), rel("2.4.1", fleet.TransportWiFi), rel("2.5.0", fleet.TransportWiFi)
	cases := []struct {
		name    string
		r       Release
		consent fleet.Direction
		want    scope.Reason // "" when allowed
	}{
		{"upgrade", newer, fleet.Upgrade, ""},
		{"downgrade without consent", older, fleet.Upgrade, scope.ReasonNotConsented},
		{"downgrade with a reinstall's consent", older, fleet.Reinstall, scope.ReasonNotConsented},
		{"downgrade with consent", older, fleet.Downgrade, ""},
		{"reinstall without consent", same, fleet.Upgrade, scope.ReasonNotConsented},
		{"reinstall with a downgrade's consent", same, fleet.Downgrade, scope.ReasonNotConsented},
		{"reinstall with consent", same, fleet.Reinstall, ""},
		{"another transport, consented", rel("2.3.4", fleet.TransportGSM), fleet.Downgrade, scope.ReasonWrongVariant},
	}
	for _, c := range cases {
		dec := CheckInstall(c.r, d, c.consent)
		if dec.Allowed != (c.want == "") || dec.Reason != c.want {
			t.Errorf("%s: %+v, want reason %q", c.name, dec, c.want)
		}
	}
	if dec := CheckInstall(older, d, fleet.Upgrade); !strings.Contains(dec.Message, "downgrade") {
		t.Errorf("the refusal must say it is a downgrade: %q", dec.Message)
	}
}
