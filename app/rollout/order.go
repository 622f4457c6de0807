package rollout

import (
	"fmt"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

// DirectionOf compares a release with the unit's installed version.
func DirectionOf(r Release, d fleet.Device) fleet.Direction {
	return fleet.DirectionOf(r.Version, d.Firmware)
}

// DirectionWarning says in words why installing r on d needs the dealer's explicit choice; "" for
// an upgrade, which needs none.
func DirectionWarning(r Release, d fleet.Device) string {
	switch DirectionOf(r, d) {
	case fleet.Reinstall:
		return fmt.Sprintf("%s is the version %s already runs — this installs it again", r.Version, d.ID)
	case fleet.Downgrade:
		return fmt.Sprintf("%s is older than the installed %s — this is a downgrade", r.Version, d.Firmware)
	}
	return ""
}

// NewestFor is the newest release built for the unit's exact variant (Matches) that is newer than
// its installed version; ok is false when the unit is up to date with the given catalogue.
func NewestFor(d fleet.Device, all []Release) (r Release, ok bool) {
	for _, c := range ReleasesFor(d, all) {
		if DirectionOf(c, d) == fleet.Upgrade {
			return c, true
		}
		break // newest first: the newest matching release is not newer, so none is
	}
	return Release{}, false
}

// CheckInstall is the rule for sending a release to one unit (FW Update, Force OTA), whoever
// sends it: the release is built for the unit's exact variant (Matches), and a release that is
// not newer than the installed version goes only with the dealer's consent to exactly that
// direction (a reinstall, or a downgrade). Recovery on site has the same rule for images
// (recovery.Plan.AllowDowngrade).
func CheckInstall(r Release, d fleet.Device, consent fleet.Direction) scope.Decision {
	if !Matches(r, d) {
		return scope.Deny(scope.ReasonWrongVariant, "release %s is built for %s, not for %s (%s)", r.Version, r.Variant(), d.ID, fleet.VariantOf(d))
	}
	if dir := DirectionOf(r, d); dir != fleet.Upgrade && consent != dir {
		return scope.Deny(scope.ReasonNotConsented, "%s: sending it needs your explicit choice of a %s", DirectionWarning(r, d), dir)
	}
	return scope.Allow
}
