package rollout

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// ReturnTimeout is how long a unit may stay away after being sent a release before it counts as
// not returned: the transport's "lost" threshold, because a unit silent longer than that is lost
// whatever the reason, and a GSM unit that misses a cell window is not yet a failure.
func ReturnTimeout(t fleet.Transport) time.Duration {
	return fleet.ThresholdsFor(t).LostAfter
}

// Validate checks the dealer's threshold: a threshold that can never trip would let a bad
// release run through the whole fleet.
func (t Threshold) Validate() error {
	switch {
	case t.Units < 0:
		return fmt.Errorf("failure threshold: units must not be negative")
	case t.Percent < 0 || t.Percent > 100 || t.Percent != t.Percent:
		return fmt.Errorf("failure threshold: percent must be between 0 and 100")
	case t.Units == 0 && t.Percent == 0:
		return fmt.Errorf("failure threshold: set a number of units or a percentage")
	}
	return nil
}

// Reached reports whether failures out of total units reach the threshold; zero parts of the
// threshold are off.
func (t Threshold) Reached(failures, total int) bool {
	if failures <= 0 {
		return false
	}
	if t.Units > 0 && failures >= t.Units {
		return true
	}
	return t.Percent > 0 && total > 0 && float64(failures)*100 >= t.Percent*float64(total)
}

// String renders the threshold as the guide does: "2 units or 5%".
func (t Threshold) String() string {
	var parts []string
	if t.Units > 0 {
		u := "units"
		if t.Units == 1 {
			u = "unit"
		}
		parts = append(parts, fmt.Sprintf("%d %s", t.Units, u))
	}
	if t.Percent > 0 {
		parts = append(parts, strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", t.Percent), "0"), ".")+"%")
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, " or ")
}

// Progress is a rollout as the monitoring view shows it: the backend's per-unit stages, corrected
// by what the synced fleet says and by the clock.
type Progress struct {
	Units    []UnitProgress // in device ID order
	Counts   map[Stage]int
	Total    int
	Final    int // units that will not move again
	Failures int // failed plus not returned
}

// Fraction is the share of units that reached a final stage, for the progress bar.
func (p Progress) Fraction() float64 {
	if p.Total == 0 {
		return 0
	}
	return float64(p.Final) / float64(p.Total)
}

// Track merges the backend's view of a rollout with the synced fleet at time now. A unit the
// backend still shows installing or online is confirmed once its own record is online on the
// target version; one still installing after its transport's ReturnTimeout has not returned. ix
// may be nil (offline reports use the rollout alone).
func Track(ro Rollout, ix *fleet.Index, now time.Time) Progress {
	p := Progress{Counts: map[Stage]int{}, Units: make([]UnitProgress, 0, len(ro.Units))}
	timeout := ReturnTimeout(ro.Transport)
	for _, u := range ro.Units {
		if d, ok := ix.Get(u.DeviceID); ok {
			if d.Firmware != "" {
				u.Firmware = d.Firmware
			}
			if (u.Stage == StageInstalling || u.Stage == StageOnline) && d.Online && d.Firmware == ro.Version {
				u.Stage = StageConfirmed
			}
		}
		if u.Stage == StageInstalling && !u.UpdatedAt.IsZero() && now.Sub(u.UpdatedAt) > timeout {
			u.Stage = StageNotReturned
			u.Error = fmt.Sprintf("not back online within %s (%s)", Duration(timeout), ro.Transport.DisplayName())
		}
		p.Units = append(p.Units, u)
		p.Counts[u.Stage]++
		if u.Stage.Final() {
			p.Final++
		}
		if u.Stage == StageFailed || u.Stage == StageNotReturned {
			p.Failures++
		}
	}
	sort.Slice(p.Units, func(i, j int) bool { return p.Units[i].DeviceID < p.Units[j].DeviceID })
	p.Total = len(p.Units)
	return p
}

// Report is what a rollout came to: which units confirmed which version, which failed and why,
// which never came back.
type Report struct {
	RolloutID   string
	Label       string // "2.4.1 (D180, GSM)"
	Target      Target
	Status      Status
	Reason      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Total       int
	Confirmed   []UnitProgress
	Failed      []UnitProgress
	NotReturned []UnitProgress
	Unfinished  []UnitProgress // queued, installing or online when the report was made, or skipped
	Versions    map[string]int // firmware version → units reporting it

	Variant    fleet.Variant // the release's engine and transport
	Version    string        // the release's version
	TestDevice string        // the unit the release was validated on, "" when unknown
	// StillOld is the units of the variant in the synced fleet that do not report Version yet
	// (ID and version), filled by WithFleet.
	StillOld []fleet.Device
}

// Duration is how long the rollout ran, from its creation to its last change.
func (r Report) Duration() time.Duration { return r.UpdatedAt.Sub(r.CreatedAt) }

// WithFleet completes the report with the test device and with the units of the release's
// variant in the synced fleet that are still on another version (ix may be nil).
func (r Report) WithFleet(testDevice string, ix *fleet.Index) Report {
	r.TestDevice = testDevice
	r.StillOld = nil
	for _, d := range ix.Devices() {
		if fleet.VariantOf(*d) == r.Variant && d.Firmware != r.Version {
			r.StillOld = append(r.StillOld, *d)
		}
	}
	return r
}

// TestDeviceOf finds the test device a my_fleet rollout was validated on among the dealer's
// rollouts: the newest single-device rollout of the same release created before it.
func TestDeviceOf(ro Rollout, all []Rollout) string {
	var best Rollout
	for _, x := range all {
		if x.ReleaseID == ro.ReleaseID && x.Target.DeviceID() != "" && !x.CreatedAt.After(ro.CreatedAt) &&
			x.CreatedAt.After(best.CreatedAt) {
			best = x
		}
	}
	return best.Target.DeviceID()
}

// ReportOf builds the report of a rollout from the rollout record alone, as the cache holds it.
func ReportOf(ro Rollout) Report {
	now := ro.UpdatedAt
	return Track(ro, nil, now).Report(ro)
}

// Report turns the progress of ro into its report.
func (p Progress) Report(ro Rollout) Report {
	r := Report{
		RolloutID: ro.ID, Target: ro.Target, Status: ro.Status, Reason: ro.Reason,
		CreatedAt: ro.CreatedAt, UpdatedAt: ro.UpdatedAt, Total: p.Total, Versions: map[string]int{},
		Label:   Release{Version: ro.Version, Model: ro.Model, Transport: ro.Transport}.Label(),
		Variant: fleet.VariantFor(ro.Model, ro.Transport),
		Version: ro.Version,
	}
	for _, u := range p.Units {
		switch u.Stage {
		case StageConfirmed:
			r.Confirmed = append(r.Confirmed, u)
		case StageFailed:
			r.Failed = append(r.Failed, u)
		case StageNotReturned:
			r.NotReturned = append(r.NotReturned, u)
		default:
			r.Unfinished = append(r.Unfinished, u)
		}
		if u.Firmware != "" {
			r.Versions[u.Firmware]++
		}
	}
	return r
}

// Text is the report in plain lines, for the past-rollouts view and for copying into a ticket.
func (r Report) Text() string {
	var b strings.Builder
	target := "my_fleet"
	if id := r.Target.DeviceID(); id != "" {
		target = "test device " + id
	}
	fmt.Fprintf(&b, "%s to %s: %s", r.Label, target, r.Status)
	if r.Reason != "" {
		fmt.Fprintf(&b, " (%s)", r.Reason)
	}
	fmt.Fprintf(&b, "\n%d units: %d confirmed, %d failed, %d never returned, %d unfinished\n",
		r.Total, len(r.Confirmed), len(r.Failed), len(r.NotReturned), len(r.Unfinished))
	if r.TestDevice != "" {
		fmt.Fprintf(&b, "validated first on test device %s\n", r.TestDevice)
	}
	if !r.CreatedAt.IsZero() && !r.UpdatedAt.IsZero() {
		fmt.Fprintf(&b, "ran %s (started %s)\n", Duration(r.Duration()), r.CreatedAt.Local().Format("2006-01-02 15:04"))
	}
	versions := make([]string, 0, len(r.Versions))
	for v := range r.Versions {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for _, v := range versions {
		fmt.Fprintf(&b, "reporting %s: %d\n", v, r.Versions[v])
	}
	for _, u := range r.Failed {
		fmt.Fprintf(&b, "failed: %s on %s: %s\n", u.DeviceID, orDash(u.Firmware), orDash(u.Error))
	}
	for _, u := range r.NotReturned {
		fmt.Fprintf(&b, "never returned: %s\n", u.DeviceID)
	}
	if r.StillOld != nil || r.TestDevice != "" {
		if len(r.StillOld) == 0 {
			fmt.Fprintf(&b, "every %s unit of your fleet reports %s\n", r.Variant, r.Version)
		} else {
			word := "units"
			if len(r.StillOld) == 1 {
				word = "unit"
			}
			fmt.Fprintf(&b, "still on old firmware: %d %s %s:", len(r.StillOld), r.Variant, word)
			for i, d := range r.StillOld {
				if i == 20 {
					fmt.Fprintf(&b, " … and %d more", len(r.StillOld)-20)
					break
				}
				fmt.Fprintf(&b, " %s (%s)", d.ID, orDash(d.Firmware))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
