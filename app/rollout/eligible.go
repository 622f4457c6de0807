package rollout

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

// Validate checks that a release is internally consistent: a release whose console does not serve
// its engine (or that names an unknown engine or transport) could only ever be sent to the wrong
// units, so nothing may be built on it.
func (r Release) Validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("release has no ID")
	case strings.TrimSpace(r.Version) == "":
		return fmt.Errorf("release %s has no version", r.ID)
	case !r.Model.Valid():
		return fmt.Errorf("release %s names unknown engine %q", r.ID, r.Model)
	case !r.Transport.Valid():
		return fmt.Errorf("release %s names unknown transport %q", r.ID, r.Transport)
	case !r.Console.Valid():
		return fmt.Errorf("release %s names unknown console %q", r.ID, r.Console)
	case fleet.ConsoleFor(r.Model) != r.Console:
		return fmt.Errorf("release %s is filed under the %s but %s units are served by the %s",
			r.ID, r.Console.DisplayName(), r.Model.DisplayName(), fleet.ConsoleFor(r.Model).DisplayName())
	}
	return nil
}

// Label is how the screens name a release: "2.4.1 (D180, GSM)".
func (r Release) Label() string {
	return r.Version + " (" + r.Variant().String() + ")"
}

// Reason is why a unit is left out of a rollout. The order of the constants is the order the
// checks run in, so a unit is reported under the first reason that applies.
type Reason string

// Exclusion reasons.
const (
	ReasonNotPermitted  Reason = "not_permitted" // the actor may not run rollouts at all
	ReasonBadRelease    Reason = "bad_release"   // the release itself is inconsistent
	ReasonOutOfScope    Reason = "out_of_scope"  // another dealer's unit
	ReasonOtherConsole  Reason = "other_console" // served by another firmware console
	ReasonOtherModel    Reason = "other_model"   // same console, another engine
	ReasonOtherVariant  Reason = "other_variant" // same engine, the other transport
	ReasonAlreadyOnVers Reason = "already_on"    // already reports the release's version
	ReasonOffline       Reason = "offline"       // would not receive the release now
)

// AllReasons lists the reasons in check order.
var AllReasons = []Reason{ReasonNotPermitted, ReasonBadRelease, ReasonOutOfScope, ReasonOtherConsole,
	ReasonOtherModel, ReasonOtherVariant, ReasonAlreadyOnVers, ReasonOffline}

// Text is the reason in the dealer's words.
func (r Reason) Text() string {
	switch r {
	case ReasonNotPermitted:
		return "your account may not run rollouts"
	case ReasonBadRelease:
		return "the release is inconsistent"
	case ReasonOutOfScope:
		return "outside your dealer scope"
	case ReasonOtherConsole:
		return "served by another firmware console"
	case ReasonOtherModel:
		return "other engine"
	case ReasonOtherVariant:
		return "other transport variant"
	case ReasonAlreadyOnVers:
		return "already on this version"
	case ReasonOffline:
		return "offline"
	}
	return string(r)
}

// Exclusion is one unit left out, and why.
type Exclusion struct {
	Device fleet.Device
	Reason Reason
	Detail string // the specifics: "D100, not D180"
}

// Eligibility is the answer to "who would a my_fleet rollout of this release reach right now".
type Eligibility struct {
	Release  Release
	Eligible []fleet.Device // in device ID order
	Excluded []Exclusion    // in device ID order
}

// BuiltFor reports whether a release is built for the variant (console, engine and transport):
// the one compatibility rule. A sound release names its console's engine (Release.Validate), so a
// variant made with fleet.VariantFor is the only one it can fit.
func BuiltFor(r Release, v fleet.Variant) bool { return r.Validate() == nil && r.Variant() == v }

// Matches reports whether a release may ever be installed on a device: BuiltFor the device's
// variant, and the device's record agrees with itself (its console is the one serving its engine;
// a record that disagrees is trusted neither way). Everything else builds on it; variantMismatch
// explains a mismatch in words.
func Matches(r Release, d fleet.Device) bool {
	return d.Console == fleet.ConsoleFor(d.Model) && BuiltFor(r, fleet.VariantOf(d))
}

// variantMismatch says why the device's firmware variant differs from the release's, if it does.
// The device's recorded console must agree with its model: a record that disagrees (or says
// nothing) is treated as another console rather than trusted either way.
func variantMismatch(r Release, d fleet.Device) (Exclusion, bool) {
	served := fleet.ConsoleFor(d.Model)
	switch {
	case served == "" || served != r.Console || d.Console != served:
		detail := fmt.Sprintf("%s units use the %s", d.Model.DisplayName(), served.DisplayName())
		if served == "" {
			detail = fmt.Sprintf("unknown engine %q", d.Model)
		} else if d.Console != served {
			detail = fmt.Sprintf("record says %s console for a %s unit", d.Console, d.Model.DisplayName())
		}
		return Exclusion{Device: d, Reason: ReasonOtherConsole, Detail: detail}, true
	case d.Model != r.Model:
		return Exclusion{Device: d, Reason: ReasonOtherModel,
			Detail: fmt.Sprintf("%s, not %s", d.Model.DisplayName(), r.Model.DisplayName())}, true
	case d.Transport != r.Transport:
		return Exclusion{Device: d, Reason: ReasonOtherVariant,
			Detail: fmt.Sprintf("%s, not %s", d.Transport.DisplayName(), r.Transport.DisplayName())}, true
	}
	return Exclusion{}, false
}

// Exclude says why one device cannot receive the release now; excluded is false when it can.
func Exclude(r Release, d fleet.Device, actor scope.Actor, now time.Time) (ex Exclusion, excluded bool) {
	if ex, bad := excludeAll(r, actor); bad {
		ex.Device = d
		return ex, true
	}
	return excludeOne(r, d, actor, now)
}

// excludeAll is the part of the answer that is the same for every unit: may the actor run
// rollouts at all, and is the release sound.
func excludeAll(r Release, actor scope.Actor) (Exclusion, bool) {
	if dec := scope.CanDeployMyFleet(actor); !dec.Allowed {
		return Exclusion{Reason: ReasonNotPermitted, Detail: dec.Message}, true
	}
	if err := r.Validate(); err != nil {
		return Exclusion{Reason: ReasonBadRelease, Detail: err.Error()}, true
	}
	return Exclusion{}, false
}

func excludeOne(r Release, d fleet.Device, actor scope.Actor, now time.Time) (Exclusion, bool) {
	if !actor.InScope(d) {
		return Exclusion{Device: d, Reason: ReasonOutOfScope, Detail: "dealer " + d.Dealer}, true
	}
	if ex, bad := variantMismatch(r, d); bad {
		return ex, true
	}
	if d.Firmware == r.Version {
		return Exclusion{Device: d, Reason: ReasonAlreadyOnVers, Detail: "reports " + d.Firmware}, true
	}
	if !d.Reachable(now) {
		return Exclusion{Device: d, Reason: ReasonOffline, Detail: "last seen " + fleet.Ago(now, d.LastSeen)}, true
	}
	return Exclusion{}, false
}

// Eligible splits devices into the units a my_fleet rollout of the release would reach now and
// those it would not, each with its reason.
func Eligible(r Release, devices []*fleet.Device, actor scope.Actor, now time.Time) Eligibility {
	out := Eligibility{Release: r}
	all, none := excludeAll(r, actor)
	// Sized once: a release fits one variant, so most of a fleet is usually excluded, and
	// growing both lists of 200-byte records by doubling was most of the work (10,000 units).
	out.Excluded = make([]Exclusion, 0, len(devices))
	for _, p := range devices {
		d := *p
		if none {
			ex := all
			ex.Device = d
			out.Excluded = append(out.Excluded, ex)
			continue
		}
		if ex, bad := excludeOne(r, d, actor, now); bad {
			out.Excluded = append(out.Excluded, ex)
			continue
		}
		out.Eligible = append(out.Eligible, d)
	}
	// A fleet.Index hands devices over in ID order already; only other callers pay for sorting.
	byID := func(a, b fleet.Device) int { return strings.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(out.Eligible, byID) {
		slices.SortFunc(out.Eligible, byID)
	}
	exByID := func(a, b Exclusion) int { return strings.Compare(a.Device.ID, b.Device.ID) }
	if !slices.IsSortedFunc(out.Excluded, exByID) {
		slices.SortFunc(out.Excluded, exByID)
	}
	return out
}

// Contains reports whether the device is in the eligible set.
func (e Eligibility) Contains(id string) bool {
	for _, d := range e.Eligible {
		if d.ID == id {
			return true
		}
	}
	return false
}

// IDs is the eligible units' IDs, in ID order: the units a my_fleet request names.
func (e Eligibility) IDs() []string {
	out := make([]string, len(e.Eligible))
	for i, d := range e.Eligible {
		out[i] = d.ID
	}
	return out
}

// Confirmed narrows e to the units the dealer confirmed (nil: all of e's eligible units). Units
// that became eligible since are left out: nobody agreed to send them the release. A confirmed
// unit that can no longer receive it stops the deployment, with both counts, so the dealer is
// asked again instead of being sent a different set of units than the one agreed to.
func Confirmed(e Eligibility, units []string) (Eligibility, error) {
	if units == nil {
		if len(e.Eligible) == 0 {
			return e, fmt.Errorf("no unit of my_fleet is eligible for %s", e.Release.Label())
		}
		return e, nil
	}
	if len(units) == 0 {
		return e, fmt.Errorf("no unit was confirmed for %s", e.Release.Label())
	}
	byID := make(map[string]fleet.Device, len(e.Eligible))
	for _, d := range e.Eligible {
		byID[d.ID] = d
	}
	excluded := make(map[string]Exclusion, len(e.Excluded))
	for _, x := range e.Excluded {
		excluded[x.Device.ID] = x
	}
	out := Eligibility{Release: e.Release, Excluded: e.Excluded}
	seen := make(map[string]bool, len(units))
	var lost []string
	for _, id := range units {
		if seen[id] {
			return e, fmt.Errorf("unit %s is named twice", id)
		}
		seen[id] = true
		d, ok := byID[id]
		if !ok {
			why := "not in your fleet"
			if x, ok := excluded[id]; ok {
				why = x.Reason.Text()
				if x.Detail != "" {
					why += ", " + x.Detail
				}
			}
			lost = append(lost, id+": "+why)
			continue
		}
		out.Eligible = append(out.Eligible, d)
	}
	if len(lost) > 0 {
		return e, &UnitsChangedError{Confirmed: len(units), Eligible: len(units) - len(lost), Release: e.Release, Lost: lost}
	}
	slices.SortFunc(out.Eligible, func(a, b fleet.Device) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// UnitsChangedError says that units the dealer confirmed can no longer receive the release, so
// nothing was sent: the dealer reviews the units and confirms again.
type UnitsChangedError struct {
	Confirmed, Eligible int
	Release             Release
	Lost                []string // "D180-00017: offline, last seen 2 h ago"
}

// UnitsChangedWords is the refusal in the dealer's words, with what to do: the counts and unit IDs
// stay in Error, for the Details.
const UnitsChangedWords = "The units changed since you confirmed them (a unit went offline, or began another install), " +
	"so nothing was sent. Check the units the wizard lists now and deploy again"

// DealerMessage is the refusal in the dealer's words (words.DealerError).
func (e *UnitsChangedError) DealerMessage() string { return UnitsChangedWords }

func (e *UnitsChangedError) Error() string {
	lost := e.Lost
	more := ""
	if len(lost) > 5 {
		lost, more = lost[:5], fmt.Sprintf(" and %d more", len(e.Lost)-5)
	}
	return fmt.Sprintf("you confirmed %d units, but only %d of them can receive %s now (%s%s): nothing was sent; review the units and confirm again",
		e.Confirmed, e.Eligible, e.Release.Label(), strings.Join(lost, "; "), more)
}

// ExcludedBy counts the excluded units per reason.
func (e Eligibility) ExcludedBy() map[Reason]int {
	m := map[Reason]int{}
	for _, x := range e.Excluded {
		m[x.Reason]++
	}
	return m
}

// RelevantExcluded is the units of the release's own variant (console, engine and transport)
// that a my_fleet rollout would leave out, each with its reason: the units a dealer deploying it
// expected to reach. Units of other variants, engines and consoles are never candidates for the
// release and are not counted here (NotCandidates counts them): counting them would bury the few
// units of the variant that are offline or already updated.
func (e Eligibility) RelevantExcluded() []Exclusion {
	var out []Exclusion
	for _, x := range e.Excluded {
		if e.ofVariant(x.Device) {
			out = append(out, x)
		}
	}
	return out
}

// ofVariant reports whether the device is a unit of the release's variant, its record consistent.
func (e Eligibility) ofVariant(d fleet.Device) bool {
	return d.Console == fleet.ConsoleFor(d.Model) && fleet.VariantOf(d) == e.Release.Variant()
}

// NotCandidates counts, per reason, the devices the release could never be sent to (another
// transport variant, engine or firmware console): they are not "excluded" from the rollout, the
// release is simply not built for them.
func (e Eligibility) NotCandidates() map[Reason]int {
	m := map[Reason]int{}
	for _, x := range e.Excluded {
		if e.ofVariant(x.Device) {
			continue
		}
		// By what tells it apart, whatever else left it out (another dealer's, say).
		if mismatch, ok := variantMismatch(e.Release, x.Device); ok {
			m[mismatch.Reason]++
		}
	}
	return m
}

// Summary is the one-line plan the deploy step shows: "Deploy 2.4.1 (D180, GSM) to 37 units of
// my_fleet; 5 D180, GSM units excluded", counting only the units of the release's variant.
func (e Eligibility) Summary() string {
	n := len(e.Eligible)
	unit := "units"
	if n == 1 {
		unit = "unit"
	}
	return fmt.Sprintf("Deploy %s to %d %s of my_fleet; %s", e.Release.Label(), n, unit, e.ExcludedText())
}

// ExcludedText counts the units of the release's variant left out: "5 D180, GSM units excluded",
// "no D180, GSM unit excluded".
func (e Eligibility) ExcludedText() string {
	v := e.Release.Variant().String()
	switch n := len(e.RelevantExcluded()); n {
	case 0:
		return "no " + v + " unit excluded"
	case 1:
		return "1 " + v + " unit excluded"
	default:
		return fmt.Sprintf("%d %s units excluded", n, v)
	}
}

// ExclusionGroup is the units left out for one reason.
type ExclusionGroup struct {
	Reason Reason
	Units  []Exclusion // in device ID order
}

// groupOrder is the order the reasons a unit of the release's variant is left out are told in.
var groupOrder = []Reason{ReasonAlreadyOnVers, ReasonOffline, ReasonOutOfScope, ReasonNotPermitted, ReasonBadRelease}

// Groups is the relevant exclusions (see RelevantExcluded) grouped by reason; empty groups are
// left out.
func (e Eligibility) Groups() []ExclusionGroup {
	by := map[Reason][]Exclusion{}
	for _, x := range e.RelevantExcluded() {
		by[x.Reason] = append(by[x.Reason], x)
	}
	var out []ExclusionGroup
	for _, r := range groupOrder {
		if len(by[r]) > 0 {
			out = append(out, ExclusionGroup{Reason: r, Units: by[r]})
		}
	}
	return out
}
