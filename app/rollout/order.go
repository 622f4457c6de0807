package rollout

import (
	"fmt"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Direction is what installing a release would do to a unit's firmware version.
type Direction int

// Directions, by the version the unit reports.
const (
	Upgrade   Direction = iota // the release is newer than the installed version (or none is known)
	Reinstall                  // the unit already runs this version
	Downgrade                  // the release is older than the installed version
)

// DirectionOf compares a release with the unit's installed version.
func DirectionOf(r Release, d fleet.Device) Direction {
	if d.Firmware == "" {
		return Upgrade
	}
	switch c := fleet.CompareVersions(r.Version, d.Firmware); {
	case c > 0:
		return Upgrade
	case c == 0:
		return Reinstall
	default:
		return Downgrade
	}
}

// DirectionWarning says in words why installing r on d needs the dealer's explicit choice; "" for
// an upgrade, which needs none.
func DirectionWarning(r Release, d fleet.Device) string {
	switch DirectionOf(r, d) {
	case Reinstall:
		return fmt.Sprintf("%s is the version %s already runs — this installs it again", r.Version, d.ID)
	case Downgrade:
		return fmt.Sprintf("%s is older than the installed %s — this is a downgrade", r.Version, d.Firmware)
	}
	return ""
}

// NewestFor is the newest release built for the unit's exact variant (Matches) that is newer than
// its installed version; ok is false when the unit is up to date with the given catalogue.
func NewestFor(d fleet.Device, all []Release) (r Release, ok bool) {
	for _, c := range ReleasesFor(d, all) {
		if DirectionOf(c, d) == Upgrade {
			return c, true
		}
		break // newest first: the newest matching release is not newer, so none is
	}
	return Release{}, false
}
