package rollout

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

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

// SortReleases is the one order releases are shown in, on every page: newest version first (by
// fleet.CompareVersions), releases of the same version newest CreatedAt first. It sorts in place.
func SortReleases(rs []Release) {
	slices.SortStableFunc(rs, func(a, b Release) int {
		if c := fleet.CompareVersions(a.Version, b.Version); c != 0 {
			return -c
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
}

// Confirms reports whether a unit proves that a release works on its variant: it matches the
// release and is online reporting the release's version. Such a unit counts as the safe OTA
// procedure's validation, however it got there (a test rollout, or FW Update from its Manage
// page): the guide's "validate on one device first" is about a unit that runs the release and
// came back, not about which button sent it.
func Confirms(r Release, d fleet.Device) bool {
	return Matches(r, d) && d.Online && d.Firmware == r.Version
}

// ValidatedBy finds a unit of the actor's fleet that confirms the release (see Confirms), the
// first in device ID order; ok is false when none does, and then my_fleet must not be deployed.
func ValidatedBy(r Release, devices []fleet.Device, actor scope.Actor) (d fleet.Device, ok bool) {
	for _, x := range devices {
		if actor.InScope(x) && Confirms(r, x) && (!ok || x.ID < d.ID) {
			d, ok = x, true
		}
	}
	return d, ok
}

// CheckRequest is the rule every caller of the backend applies before a rollout is created, the
// screens and the data layer alike: the request must name the release's own variant, a test
// device must be a unit of that variant in the actor's scope, and my_fleet needs a unit of the
// actor's fleet that already confirms the release (the safe OTA order). devices is the synced
// fleet; rel is the catalogue's record of req.ReleaseID.
func CheckRequest(req CreateRequest, rel Release, devices *fleet.Index, actor scope.Actor) error {
	if dec := scope.CanDeployMyFleet(actor); !dec.Allowed {
		return dec.Err()
	}
	if err := rel.Validate(); err != nil {
		return err
	}
	if req.ReleaseID != rel.ID {
		return fmt.Errorf("the request names release %q, not %s", req.ReleaseID, rel.ID)
	}
	if req.Console != rel.Console || req.Engine != rel.Engine || req.Transport != rel.Transport {
		return fmt.Errorf("release %s is built for %s; the request says %s %s on the %s", rel.Version,
			rel.Variant(), req.Engine, req.Transport, req.Console)
	}
	switch id := req.Target.DeviceID(); {
	case id != "":
		d, ok := devices.Get(id)
		if !ok || !actor.InScope(d) {
			return fmt.Errorf("unit %q is not in your fleet", id)
		}
		if !Matches(rel, d) {
			return fmt.Errorf("release %s is built for %s; %s is a %s unit", rel.Version, rel.Variant(), d.ID, fleet.VariantOf(d))
		}
	case req.Target == TargetMyFleet:
		if _, ok := ValidatedBy(rel, devices.Devices(), actor); !ok {
			return fmt.Errorf("validate %s on one test device before deploying to my_fleet: no unit of your "+
				"fleet is back online on %s yet", rel.Label(), rel.Version)
		}
		if err := req.Threshold.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("dealers deploy to my_fleet or to one test device, not to %q", req.Target)
	}
	return nil
}

// Duration renders a duration as people write it: "6 h", "90 min", "1 h 30 min", "45 s", "2 d".
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	h, d := d/time.Hour, d%time.Hour
	m, d := d/time.Minute, d%time.Minute
	s := d / time.Second
	var parts []string
	add := func(n time.Duration, unit string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, unit))
		}
	}
	add(days, "d")
	add(h, "h")
	add(m, "min")
	if days == 0 && h == 0 {
		add(s, "s")
	}
	if len(parts) == 0 {
		return "0 s"
	}
	return strings.Join(parts, " ")
}
