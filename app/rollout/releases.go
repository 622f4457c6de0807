package rollout

import "github.com/fleetdesk/fleetdesk/app/fleet"

// ReleasesFor keeps the releases that may go to this unit (Matches: same console, engine and
// transport), newest version first. The Manage page's FW Update and Force OTA offer only these.
func ReleasesFor(d fleet.Device, all []Release) []Release {
	var out []Release
	for _, r := range all {
		if Matches(r, d) {
			out = append(out, r)
		}
	}
	SortReleases(out)
	return out
}
