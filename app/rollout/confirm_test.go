package rollout

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// The dealer confirmed units d180g-01..04 (d180g-05 was offline then). Since, d180g-05 came back
// and d180g-02 went offline. The deployment goes to the confirmed units or not at all: never to
// d180g-05, which nobody agreed to, and never without d180g-02 silently.
func TestDeployGoesToExactlyTheConfirmedUnits(t *testing.T) {
	p, ix := atStep(t, StepReady)
	confirmed := []string{"d180g-01", "d180g-02", "d180g-03", "d180g-04"}

	// More units eligible now than confirmed: only the confirmed ones are named.
	p2, effs := must(t, p, Deploy{Fleet: ix, Now: t0.Add(6 * time.Minute), Threshold: DefaultThreshold, Units: confirmed})
	if len(effs) != 1 {
		t.Fatalf("effects %+v", effs)
	}
	req := effs[0].(CreateRollout).Request
	if !reflect.DeepEqual(req.Devices, confirmed) || req.Target != TargetMyFleet {
		t.Fatalf("request names %v to %s, want exactly %v", req.Devices, req.Target, confirmed)
	}
	if got := p2.Plan().IDs(); !reflect.DeepEqual(got, confirmed) {
		t.Fatalf("the plan monitored is %v, want %v", got, confirmed)
	}

	// A backend that answers with another set of units is stopped at once.
	ro := Rollout{ID: "ro-9", Console: req.Console, ReleaseID: req.ReleaseID, Version: "2.4.1", Model: req.Model,
		Transport: req.Transport, Target: TargetMyFleet, Status: StatusRunning}
	for _, id := range append(confirmed, "d180g-05") {
		ro.Units = append(ro.Units, UnitProgress{DeviceID: id, Stage: StageQueued})
	}
	p3, effs := must(t, p2, Created{Rollout: ro})
	if len(effs) == 0 || !reflect.DeepEqual(effs[0], CancelRollout{ID: "ro-9"}) ||
		!strings.Contains(p3.LastError(), "targets 5 units, not the 4 you confirmed") {
		t.Fatalf("a rollout of 5 units for 4 confirmed: effects %+v, error %q", effs, p3.LastError())
	}

	// A confirmed unit went offline: nothing is sent, and the dealer is told both counts.
	d, _ := ix.Get("d180g-02")
	d.Online, d.LastSeen = false, t0.Add(-3*time.Hour)
	moved := withDevice(ix, d)
	_, effs, err := p.Apply(Deploy{Fleet: moved, Now: t0.Add(6 * time.Minute), Threshold: DefaultThreshold, Units: confirmed})
	var uc *UnitsChangedError
	if err == nil || len(effs) != 0 || !errors.As(err, &uc) || uc.Confirmed != 4 || uc.Eligible != 3 ||
		!strings.Contains(err.Error(), "you confirmed 4 units, but only 3 of them can receive 2.4.1 (D180, GSM) now (d180g-02: offline, last seen 3 h ago)") {
		t.Fatalf("deploy with a confirmed unit gone offline: effects %+v, err %v", effs, err)
	}
	if _, _, err := p.Apply(Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold, Units: []string{}}); err == nil {
		t.Fatal("a deployment confirming no unit was accepted")
	}
}

// Confirmed on its own: nil keeps every eligible unit, and the units are returned in ID order.
func TestConfirmedNarrowsTheEligibility(t *testing.T) {
	r := rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1")
	e := Eligible(r, fleet.NewIndex(mixedFleet()).Devices(), dealer, t0)
	all, err := Confirmed(e, nil)
	if err != nil || len(all.Eligible) != 6 {
		t.Fatalf("nil confirmation: %d units, %v", len(all.Eligible), err)
	}
	some, err := Confirmed(e, []string{"d180g-04", "d180g-00"})
	if err != nil || !reflect.DeepEqual(some.IDs(), []string{"d180g-00", "d180g-04"}) {
		t.Fatalf("two confirmed: %v, %v", some.IDs(), err)
	}
	if _, err := Confirmed(Eligible(r, nil, dealer, t0), nil); err == nil {
		t.Fatal("an empty fleet confirmed")
	}
}
