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
	return keepReleases(all, func(r Release) bool { return Matches(r, d) })
}

// ReleasesForVariant keeps the releases built for the variant (BuiltFor), newest version first:
// the rollout wizard lists these for the engine and transport the dealer chose.
func ReleasesForVariant(v fleet.Variant, all []Release) []Release {
	return keepReleases(all, func(r Release) bool { return BuiltFor(r, v) })
}

func keepReleases(all []Release, keep func(Release) bool) []Release {
	var out []Release
	for _, r := range all {
		if keep(r) {
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

// Runs reports whether a unit of the release's variant reports the release's version.
func Runs(r Release, d fleet.Device) bool { return Matches(r, d) && d.Firmware == r.Version }

// Confirms reports whether a unit runs the release and is back online (online now).
func Confirms(r Release, d fleet.Device) bool { return Runs(r, d) && d.Online }

// Evidence is what FleetDesk knows of how units got a release: the dealer's rollouts and the
// units' commands (FW Update, Force OTA) with their outcome.
type Evidence struct {
	Rollouts []Rollout
	Commands []fleet.Command
}

// Updated reports whether the unit was sent this release (a test rollout, or FW Update / Force
// OTA from its Manage page) and the backend reported the install done. A unit that merely
// shipped with the version proves nothing about the update itself.
func (ev Evidence) Updated(r Release, deviceID string) bool {
	for _, c := range ev.Commands {
		if c.DeviceID == deviceID && c.ReleaseID == r.ID && c.Action.NeedsRelease() &&
			c.Status == fleet.CommandDone && c.Error == "" {
			return true
		}
	}
	for _, ro := range ev.Rollouts {
		if ro.ReleaseID != r.ID || ro.Target.DeviceID() != deviceID {
			continue
		}
		for _, u := range ro.Units {
			if u.DeviceID == deviceID && u.Stage == StageConfirmed {
				return true
			}
		}
	}
	return false
}

// Validates reports whether a unit is the safe OTA procedure's validation of the release: it was
// updated to the release and came back on it (Evidence.Updated: the backend reports the install
// done once the unit checks in on the new version, a test rollout once the unit is confirmed), and
// it still reports the release's version. The guide's "validate on one device first" is about such
// a unit, not about which button sent the release. A validated unit that goes quiet afterwards
// (a GSM unit between two check-ins) stays the validation: it proved the release already.
func Validates(r Release, d fleet.Device, ev Evidence) bool {
	return Runs(r, d) && ev.Updated(r, d.ID)
}

// ValidatedBy finds a unit of the actor's fleet that validates the release (see Validates), the
// first in device ID order; ok is false when none does, and then my_fleet must not be deployed.
func ValidatedBy(r Release, devices []*fleet.Device, actor scope.Actor, ev Evidence) (d fleet.Device, ok bool) {
	for _, x := range devices {
		if actor.InScope(*x) && Validates(r, *x, ev) && (!ok || x.ID < d.ID) {
			d, ok = *x, true
		}
	}
	return d, ok
}

// CheckRequest is the rule every caller of the backend applies before a rollout is created, the
// screens and the data layer alike: the request must name the release's own variant, a test
// device must be a unit of that variant in the actor's scope, and my_fleet needs a unit of the
// actor's fleet that was updated to the release and is back online on it (the safe OTA order),
// and names the units the dealer confirmed, each one the release may be sent to at now (the
// backend's time). devices is the synced fleet; rel is the catalogue's record of req.ReleaseID.
func CheckRequest(req CreateRequest, rel Release, devices *fleet.Index, actor scope.Actor, ev Evidence, now time.Time) error {
	if dec := scope.CanDeployMyFleet(actor); !dec.Allowed {
		return dec.Err()
	}
	if err := rel.Validate(); err != nil {
		return err
	}
	if req.ReleaseID != rel.ID {
		return fmt.Errorf("the request names release %q, not %s", req.ReleaseID, rel.ID)
	}
	if req.Console != rel.Console || req.Model != rel.Model || req.Transport != rel.Transport {
		return fmt.Errorf("release %s is built for %s; the request says %s %s on the %s", rel.Version,
			rel.Variant(), req.Model, req.Transport, req.Console)
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
		if _, ok := ValidatedBy(rel, devices.Devices(), actor, ev); !ok {
			return fmt.Errorf("validate %s on one test device before deploying to my_fleet: no unit of your "+
				"fleet is back online on %s yet", rel.Label(), rel.Version)
		}
		if err := req.Threshold.Validate(); err != nil {
			return err
		}
		// The units the dealer confirmed travel with the request, and each must still be one the
		// rule would send the release to: the backend then deploys to exactly these.
		if len(req.Devices) == 0 {
			return fmt.Errorf("a my_fleet rollout names the units the dealer confirmed; this one names none")
		}
		if !slices.IsSorted(req.Devices) {
			return fmt.Errorf("the confirmed units must be listed in ID order")
		}
		if _, err := Confirmed(Eligible(rel, devices.Devices(), actor, now), req.Devices); err != nil {
			return err
		}
	default:
		return fmt.Errorf("dealers deploy to my_fleet or to one test device, not to %q", req.Target)
	}
	return nil
}

// Duration renders a duration as people write it: "6 h", "1 h 30 min", "29 min", "2 min 5 s", "2 d".
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
	if days == 0 && h == 0 && m < 10 {
		add(s, "s") // seconds matter only in the last minutes
	}
	if len(parts) == 0 {
		return "0 s"
	}
	return strings.Join(parts, " ")
}
