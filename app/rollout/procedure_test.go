package rollout

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

var (
	r241    = rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1")
	r242    = rel(fleet.ModelD180, fleet.TransportGSM, "2.4.2")
	ultraG  = rel(fleet.ModelUltra, fleet.TransportGSM, "5.1.0")
	testDev = "d180g-00"
)

// must applies events in order and fails the test on the first refusal.
func must(t *testing.T, p Procedure, evs ...Event) (Procedure, []Effect) {
	t.Helper()
	var effs []Effect
	for _, e := range evs {
		var err error
		p, effs, err = p.Apply(e)
		if err != nil {
			t.Fatalf("%T%+v refused at %s: %v", e, e, p.Step(), err)
		}
	}
	return p, effs
}

// testRollout is the backend's answer to the test-device create, at a stage.
func testRollout(r Release, id string, st Stage, status Status) Rollout {
	return Rollout{ID: "ro-test", Console: r.Console, ReleaseID: r.ID, Version: r.Version, Model: r.Model,
		Transport: r.Transport, Target: DeviceTarget(id), Status: status, CreatedAt: t0, UpdatedAt: t0,
		Units: []UnitProgress{{DeviceID: id, Stage: st, Firmware: "2.3.0", UpdatedAt: t0}}}
}

// fleetRollout is the backend's my_fleet rollout over the given units at the given stages.
func fleetRollout(r Release, status Status, stages map[string]Stage) Rollout {
	ro := Rollout{ID: "ro-fleet", Console: r.Console, ReleaseID: r.ID, Version: r.Version, Model: r.Model,
		Transport: r.Transport, Target: TargetMyFleet, Status: status, Threshold: DefaultThreshold,
		CreatedAt: t0, UpdatedAt: t0}
	for id, st := range stages {
		ro.Units = append(ro.Units, UnitProgress{DeviceID: id, Stage: st, UpdatedAt: t0})
	}
	return ro
}

func ptr[T any](v T) *T { return &v }

// updated is the fleet with the test device back online on version v.
func updated(ix *fleet.Index, id, v string) *fleet.Index {
	d, _ := ix.Get(id)
	d.Firmware, d.Online, d.LastSeen = v, true, t0.Add(5*time.Minute)
	return withDevice(ix, d)
}

// atStep drives a D180 GSM procedure to the named step.
func atStep(t *testing.T, s Step) (Procedure, *fleet.Index) {
	t.Helper()
	ix := fleet.NewIndex(mixedFleet())
	p := New(dealer)
	if s == StepConsole {
		return p, ix
	}
	p, _ = must(t, p, ChooseConsole{fleet.ConsoleUnified})
	if s == StepVariant {
		return p, ix
	}
	p, _ = must(t, p, ChooseVariant{fleet.ModelD180, fleet.TransportGSM})
	if s == StepRelease {
		return p, ix
	}
	p, _ = must(t, p, ChooseRelease{r241})
	if s == StepTestDevice {
		return p, ix
	}
	p, _ = must(t, p, StartValidation{DeviceID: testDev, Fleet: ix, Now: t0})
	p, _ = must(t, p, Created{Rollout: testRollout(r241, testDev, StageInstalling, StatusRunning)})
	if s == StepValidating {
		return p, ix
	}
	if s == StepValidationFailed {
		ro := testRollout(r241, testDev, StageFailed, StatusFinished)
		p, _ = must(t, p, Observe{Rollout: &ro, Now: t0.Add(time.Minute)})
		return p, ix
	}
	ix = updated(ix, testDev, "2.4.1")
	confirmed := testRollout(r241, testDev, StageConfirmed, StatusFinished)
	p, _ = must(t, p, Observe{Rollout: &confirmed, Fleet: ix, Now: t0.Add(5 * time.Minute)})
	if s == StepReady {
		return p, ix
	}
	p, _ = must(t, p, Deploy{Fleet: ix, Now: t0.Add(6 * time.Minute), Threshold: DefaultThreshold})
	stages := map[string]Stage{}
	for i := 1; i < 6; i++ {
		stages[fmt.Sprintf("d180g-%02d", i)] = StageQueued
	}
	p, _ = must(t, p, Created{Rollout: fleetRollout(r241, StatusRunning, stages)})
	if s == StepMonitoring {
		return p, ix
	}
	done := fleetRollout(r241, StatusFinished, map[string]Stage{"d180g-01": StageConfirmed})
	p, _ = must(t, p, Observe{Rollout: &done, Now: t0.Add(time.Hour)})
	if s != StepDone {
		t.Fatalf("atStep: unknown step %s", s)
	}
	return p, ix
}

func TestTransitions(t *testing.T) {
	ix := fleet.NewIndex(mixedFleet())
	backendDown := errors.New("connection refused")
	cases := []struct {
		from    Step
		ev      Event
		want    Step   // step after the event
		wantErr string // substring of the refusal; "" means accepted
		effect  string // type name of the first effect expected, "" for none
	}{
		{StepConsole, ChooseConsole{fleet.ConsoleUnified}, StepVariant, "", ""},
		{StepConsole, ChooseConsole{"global"}, StepConsole, "unknown console", ""},
		{StepConsole, ChooseVariant{fleet.ModelD180, fleet.TransportGSM}, StepConsole, "console first", ""},
		{StepConsole, ChooseRelease{r241}, StepConsole, "engine and transport", ""},
		{StepVariant, ChooseVariant{fleet.ModelD180, fleet.TransportGSM}, StepRelease, "", ""},
		{StepVariant, ChooseVariant{fleet.ModelUltra, fleet.TransportGSM}, StepVariant, "not served by the Unified", ""},
		{StepVariant, ChooseVariant{fleet.ModelXPro, fleet.TransportWiFi}, StepVariant, "not served", ""},
		{StepVariant, ChooseVariant{fleet.ModelD180, ""}, StepVariant, "transport variant", ""},
		{StepVariant, ChooseRelease{r241}, StepVariant, "engine and transport", ""},
		{StepRelease, ChooseRelease{r241}, StepTestDevice, "", ""},
		{StepRelease, ChooseRelease{rel(fleet.ModelD180, fleet.TransportWiFi, "2.4.1")}, StepRelease, "you chose D180, GSM", ""},
		{StepRelease, ChooseRelease{rel(fleet.ModelD100, fleet.TransportGSM, "2.4.1")}, StepRelease, "built for D100", ""},
		{StepRelease, ChooseRelease{Release{ID: "x", Version: "1", Console: fleet.ConsoleUltra, Model: fleet.ModelD180, Transport: fleet.TransportGSM}}, StepRelease, "served by the Unified", ""},
		{StepRelease, StartValidation{DeviceID: testDev, Fleet: ix, Now: t0}, StepRelease, "cannot deploy to a test device", ""},
		{StepRelease, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, StepRelease, "cannot deploy", ""},
		// Skipping the test device is impossible.
		{StepTestDevice, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, StepTestDevice, "validate 2.4.1 (D180, GSM) on one test device", ""},
		{StepTestDevice, StartValidation{DeviceID: testDev, Fleet: ix, Now: t0}, StepValidating, "", "CreateRollout"},
		{StepTestDevice, StartValidation{DeviceID: "d180w-00", Fleet: ix, Now: t0}, StepTestDevice, "other transport variant", ""},
		{StepTestDevice, StartValidation{DeviceID: "d100g-00", Fleet: ix, Now: t0}, StepTestDevice, "other engine", ""},
		{StepTestDevice, StartValidation{DeviceID: "d180g-off", Fleet: ix, Now: t0}, StepTestDevice, "offline", ""},
		// A unit that merely runs the release proves nothing; one updated to it and back online
		// on it is the validation (issue 11.11).
		{StepTestDevice, StartValidation{DeviceID: "d180g-new", Fleet: ix, Now: t0}, StepTestDevice, "already on this version", ""},
		{StepTestDevice, StartValidation{DeviceID: "d180g-new", Fleet: ix, Now: t0, Evidence: Evidence{Commands: []fleet.Command{
			{DeviceID: "d180g-new", Action: fleet.ActionFWUpdate, ReleaseID: r241.ID, Status: fleet.CommandDone}}}}, StepReady, "", ""},
		{StepTestDevice, StartValidation{DeviceID: "d180g-xdl", Fleet: ix, Now: t0}, StepTestDevice, "outside your dealer scope", ""},
		{StepTestDevice, StartValidation{DeviceID: "nope", Fleet: ix, Now: t0}, StepTestDevice, "not in your fleet", ""},
		{StepTestDevice, ConfirmVariant{fleet.TransportGSM}, StepTestDevice, "only the Ultra", ""},
		{StepTestDevice, ChooseRelease{r242}, StepTestDevice, "", ""},
		{StepTestDevice, Cancel{}, StepTestDevice, "cannot cancel", ""},
		{StepTestDevice, Created{Rollout: testRollout(r241, testDev, StageQueued, StatusRunning)}, StepTestDevice, "no rollout was being created", ""},
		{StepValidating, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, StepValidating, "validate", ""},
		{StepValidating, ChooseRelease{r242}, StepValidating, "cannot change the release", ""},
		{StepValidating, ChooseConsole{fleet.ConsoleXPro}, StepValidating, "deployment is running", ""},
		{StepValidating, Reset{}, StepValidating, "deployment is running", ""},
		{StepValidating, Cancel{}, StepValidating, "", "CancelRollout"},
		// Back online on the release passes once the backend confirms it: until then my_fleet
		// would be refused (validation_required), however the synced fleet looks.
		{StepValidating, Observe{Fleet: updated(ix, testDev, "2.4.1"), Now: t0.Add(3 * time.Minute)}, StepValidating, "", ""},
		{StepValidating, Observe{Rollout: ptr(testRollout(r241, testDev, StageOnline, StatusRunning)), Fleet: updated(ix, testDev, "2.4.1"), Now: t0.Add(3 * time.Minute)}, StepValidating, "", ""},
		{StepValidating, Observe{Rollout: ptr(testRollout(r241, testDev, StageConfirmed, StatusFinished)), Fleet: updated(ix, testDev, "2.4.1"), Now: t0.Add(3 * time.Minute)}, StepReady, "", ""},
		// Back online on the old version is not a pass.
		{StepValidating, Observe{Fleet: updated(ix, testDev, "2.3.0"), Now: t0.Add(3 * time.Minute)}, StepValidating, "", ""},
		// The test device never returns: after the GSM return timeout, validation fails.
		{StepValidating, Observe{Now: t0.Add(6*time.Hour + time.Second)}, StepValidationFailed, "", ""},
		{StepValidating, Observe{Now: t0.Add(6 * time.Hour)}, StepValidating, "", ""},
		{StepValidationFailed, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, StepValidationFailed, "validate", ""},
		{StepValidationFailed, StartValidation{DeviceID: "d180g-01", Fleet: ix, Now: t0}, StepValidationFailed, "cannot deploy to a test device", ""},
		{StepValidationFailed, ChooseRelease{r241}, StepValidationFailed, "failed validation", ""},
		{StepValidationFailed, ChooseRelease{r242}, StepTestDevice, "", ""},
		{StepValidationFailed, Reset{}, StepConsole, "", ""},
		{StepReady, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, StepMonitoring, "", "CreateRollout"},
		{StepReady, Deploy{Fleet: ix, Now: t0, Threshold: Threshold{}}, StepReady, "failure threshold", ""},
		{StepReady, ChooseRelease{r241}, StepReady, "", ""},
		// Changing the release after validation re-requires validation.
		{StepReady, ChooseRelease{r242}, StepTestDevice, "", ""},
		{StepReady, ChooseVariant{fleet.ModelD180, fleet.TransportWiFi}, StepRelease, "", ""},
		{StepReady, ChooseVariant{fleet.ModelD180, fleet.TransportGSM}, StepReady, "", ""},
		{StepReady, Pause{}, StepReady, "cannot pause", ""},
		{StepMonitoring, Pause{}, StepMonitoring, "", "PauseRollout"},
		{StepMonitoring, Resume{}, StepMonitoring, "cannot resume a running rollout", ""},
		{StepMonitoring, Cancel{}, StepMonitoring, "", "CancelRollout"},
		{StepMonitoring, Reset{}, StepMonitoring, "deployment is running", ""},
		{StepMonitoring, ChooseRelease{r242}, StepMonitoring, "cannot change the release", ""},
		{StepMonitoring, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, StepMonitoring, "cannot deploy", ""},
		{StepMonitoring, Controlled{Rollout: fleetRollout(r241, StatusPaused, nil)}, StepMonitoring, "no pause, resume or cancel", ""},
		{StepDone, Reset{}, StepConsole, "", ""},
		{StepDone, ChooseConsole{fleet.ConsoleXPro}, StepVariant, "", ""},
		{StepDone, Pause{}, StepDone, "cannot pause", ""},
		{StepDone, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, StepDone, "cannot deploy", ""},
		{StepTestDevice, nil, StepTestDevice, "no event", ""},
		{StepReady, Created{Err: backendDown}, StepReady, "no rollout was being created", ""},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s/%T", c.from, c.ev)
		t.Run(name, func(t *testing.T) {
			p, _ := atStep(t, c.from)
			next, effs, err := p.Apply(c.ev)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, c.wantErr)
				}
				if !reflect.DeepEqual(next, p) {
					t.Fatal("a refused event changed the procedure")
				}
			} else if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if next.Step() != c.want {
				t.Fatalf("step = %s, want %s", next.Step(), c.want)
			}
			got := ""
			if len(effs) > 0 {
				got = strings.TrimPrefix(fmt.Sprintf("%T", effs[0]), "rollout.")
			}
			if got != c.effect {
				t.Fatalf("first effect = %q, want %q (%+v)", got, c.effect, effs)
			}
		})
	}
}

func TestValidationRequestsOnlyTheTestDevice(t *testing.T) {
	p, ix := atStep(t, StepTestDevice)
	_, effs := must(t, p, StartValidation{DeviceID: testDev, Fleet: ix, Now: t0})
	want := CreateRequest{Console: fleet.ConsoleUnified, ReleaseID: r241.ID, Model: fleet.ModelD180,
		Transport: fleet.TransportGSM, Target: DeviceTarget(testDev), Threshold: DefaultThreshold}
	if len(effs) != 1 || !reflect.DeepEqual(effs[0], CreateRollout{Request: want}) {
		t.Fatalf("effects = %+v, want one create of %+v", effs, want)
	}
}

func TestTestDeviceNeverReturnsBlocksDeployment(t *testing.T) {
	p, ix := atStep(t, StepValidating)
	// The unit went offline to install and stays away: WiFi would give up after 30 min, GSM after 6 h.
	d, _ := ix.Get(testDev)
	d.Online = false
	ix = withDevice(ix, d)
	for _, h := range []time.Duration{time.Hour, 3 * time.Hour, 5 * time.Hour} {
		p, _ = must(t, p, Observe{Fleet: ix, Now: t0.Add(h)})
		if p.Step() != StepValidating {
			t.Fatalf("after %s: step %s, want still validating", h, p.Step())
		}
		if _, _, err := p.Apply(Deploy{Fleet: ix, Now: t0.Add(h), Threshold: DefaultThreshold}); err == nil {
			t.Fatalf("deploy allowed while the test device is away (%s)", h)
		}
	}
	p, _ = must(t, p, Observe{Now: t0.Add(7 * time.Hour)})
	if p.Step() != StepValidationFailed || !strings.Contains(p.Failure(), "did not come back online") {
		t.Fatalf("step %s failure %q", p.Step(), p.Failure())
	}
	// Coming back later does not rescue it: failure stops here.
	p, _ = must(t, p, Observe{Fleet: updated(ix, testDev, "2.4.1"), Now: t0.Add(8 * time.Hour)})
	if p.Step() != StepValidationFailed {
		t.Fatalf("late return moved the procedure to %s", p.Step())
	}
	if _, _, err := p.Apply(Deploy{Fleet: ix, Now: t0.Add(8 * time.Hour), Threshold: DefaultThreshold}); err == nil {
		t.Fatal("deploy allowed after a failed validation")
	}
}

func TestWiFiTimeoutIsShorter(t *testing.T) {
	ds := []fleet.Device{dev("w1", fleet.ModelXPro, fleet.TransportWiFi, "3.0.0", true)}
	ix := fleet.NewIndex(ds)
	r := rel(fleet.ModelXPro, fleet.TransportWiFi, "3.1.0")
	p, _ := must(t, New(dealer), ChooseConsole{fleet.ConsoleXPro}, ChooseVariant{fleet.ModelXPro, fleet.TransportWiFi},
		ChooseRelease{r}, StartValidation{DeviceID: "w1", Fleet: ix, Now: t0},
		Created{Rollout: testRollout(r, "w1", StageInstalling, StatusRunning)})
	p, _ = must(t, p, Observe{Now: t0.Add(31 * time.Minute)})
	if p.Step() != StepValidationFailed || !strings.Contains(p.Failure(), "30 min (WiFi)") {
		t.Fatalf("WiFi unit away 31 min: step %s failure %q", p.Step(), p.Failure())
	}
}

func TestValidationFailsOnBackendVerdicts(t *testing.T) {
	cases := map[string]Rollout{
		"failed":       testRollout(r241, testDev, StageFailed, StatusFinished),
		"not returned": testRollout(r241, testDev, StageNotReturned, StatusFinished),
		"cancelled":    testRollout(r241, testDev, StageInstalling, StatusCancelled),
	}
	extra := testRollout(r241, testDev, StageInstalling, StatusRunning)
	extra.Units = append(extra.Units, UnitProgress{DeviceID: "d180g-04", Stage: StageInstalling})
	cases["reached another unit"] = extra
	for name, ro := range cases {
		t.Run(name, func(t *testing.T) {
			p, ix := atStep(t, StepValidating)
			// Even with the device reporting the version, a backend failure verdict wins.
			p, _ = must(t, p, Observe{Rollout: &ro, Fleet: updated(ix, testDev, "2.4.1"), Now: t0.Add(time.Minute)})
			if p.Step() != StepValidationFailed || p.Failure() == "" {
				t.Fatalf("step %s failure %q", p.Step(), p.Failure())
			}
		})
	}
}

func TestCreateAnswers(t *testing.T) {
	t.Run("refused test create returns to the test step", func(t *testing.T) {
		p, ix := atStep(t, StepTestDevice)
		p, _ = must(t, p, StartValidation{DeviceID: testDev, Fleet: ix, Now: t0}, Created{Err: errors.New("HTTP 503")})
		if p.Step() != StepTestDevice || p.LastError() != "HTTP 503" || p.Busy() {
			t.Fatalf("step %s err %q busy %v", p.Step(), p.LastError(), p.Busy())
		}
	})
	t.Run("answer for another release fails validation and cancels it", func(t *testing.T) {
		p, ix := atStep(t, StepTestDevice)
		p, _ = must(t, p, StartValidation{DeviceID: testDev, Fleet: ix, Now: t0})
		p, effs := must(t, p, Created{Rollout: testRollout(r242, testDev, StageQueued, StatusRunning)})
		if p.Step() != StepValidationFailed || len(effs) != 1 || effs[0] != (CancelRollout{ID: "ro-test"}) {
			t.Fatalf("step %s effects %+v", p.Step(), effs)
		}
	})
	t.Run("busy while the create is in flight", func(t *testing.T) {
		p, ix := atStep(t, StepReady)
		p, _ = must(t, p, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold})
		if _, _, err := p.Apply(Cancel{}); !errors.Is(err, ErrBusy) {
			t.Fatalf("cancel during create: %v", err)
		}
		if !p.Busy() {
			t.Fatal("not busy while creating")
		}
	})
	t.Run("refused fleet create returns to ready", func(t *testing.T) {
		p, ix := atStep(t, StepReady)
		p, _ = must(t, p, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold}, Created{Err: errors.New("validation_required")})
		if p.Step() != StepReady || p.LastError() == "" {
			t.Fatalf("step %s err %q", p.Step(), p.LastError())
		}
	})
	t.Run("fleet answer with another variant is cancelled at once", func(t *testing.T) {
		p, ix := atStep(t, StepReady)
		p, _ = must(t, p, Deploy{Fleet: ix, Now: t0, Threshold: DefaultThreshold})
		bad := fleetRollout(rel(fleet.ModelD180, fleet.TransportWiFi, "2.4.1"), StatusRunning, nil)
		p, effs := must(t, p, Created{Rollout: bad})
		if p.Step() != StepDone || len(effs) < 1 || effs[0] != (CancelRollout{ID: "ro-fleet"}) {
			t.Fatalf("step %s effects %+v", p.Step(), effs)
		}
	})
}

func TestDeployRequestsMyFleetOnly(t *testing.T) {
	p, ix := atStep(t, StepReady)
	th := Threshold{Units: 3, Percent: 10}
	p, effs := must(t, p, Deploy{Fleet: ix, Now: t0.Add(6 * time.Minute), Threshold: th})
	want := CreateRequest{Console: fleet.ConsoleUnified, ReleaseID: r241.ID, Model: fleet.ModelD180,
		Transport: fleet.TransportGSM, Target: TargetMyFleet, Threshold: th, Devices: p.Plan().IDs()}
	if len(effs) != 1 || !reflect.DeepEqual(effs[0], CreateRollout{Request: want}) || len(want.Devices) != 5 {
		t.Fatalf("effects %+v", effs)
	}
	// The test device already reports 2.4.1, so 5 of the 6 D180 GSM units remain.
	if n := len(p.Plan().Eligible); n != 5 {
		t.Fatalf("plan has %d units, want 5", n)
	}
}

func TestNoDeployForNonDealers(t *testing.T) {
	for _, role := range []scope.Role{scope.RoleCustomer, ""} {
		p := New(scope.Actor{UserID: "x", Role: role, Dealer: "dl-1"})
		if _, _, err := p.Apply(ChooseConsole{fleet.ConsoleUnified}); err == nil {
			t.Fatalf("role %q may open a console", role)
		}
	}
}

func TestUltraNeedsExplicitVariant(t *testing.T) {
	ds := []fleet.Device{dev("u1", fleet.ModelUltra, fleet.TransportGSM, "5.0.0", true),
		dev("u2", fleet.ModelUltra, fleet.TransportGSM, "5.0.0", true)}
	ix := fleet.NewIndex(ds)
	p, _ := must(t, New(dealer), ChooseConsole{fleet.ConsoleUltra}, ChooseVariant{fleet.ModelUltra, fleet.TransportGSM}, ChooseRelease{ultraG})
	if !p.NeedsVariantConfirmation() {
		t.Fatal("Ultra does not ask for the variant")
	}
	if _, _, err := p.Apply(StartValidation{DeviceID: "u1", Fleet: ix, Now: t0}); err == nil || !strings.Contains(err.Error(), "confirm") {
		t.Fatalf("test deploy before confirmation: %v", err)
	}
	if _, _, err := p.Apply(ConfirmVariant{fleet.TransportWiFi}); err == nil {
		t.Fatal("a WiFi confirmation was accepted for a GSM release")
	}
	p, _ = must(t, p, ConfirmVariant{fleet.TransportGSM})
	if p.NeedsVariantConfirmation() {
		t.Fatal("still asks after confirmation")
	}
	p, _ = must(t, p, StartValidation{DeviceID: "u1", Fleet: ix, Now: t0},
		Created{Rollout: testRollout(ultraG, "u1", StageInstalling, StatusRunning)},
		Observe{Rollout: ptr(testRollout(ultraG, "u1", StageConfirmed, StatusFinished)), Fleet: updated(ix, "u1", "5.1.0"), Now: t0.Add(10 * time.Minute)})
	if p.Step() != StepReady {
		t.Fatalf("step %s", p.Step())
	}
	// A confirmation belongs to one release: another release asks again.
	other := rel(fleet.ModelUltra, fleet.TransportGSM, "5.2.0")
	q, _ := must(t, p, ChooseRelease{other})
	if !q.NeedsVariantConfirmation() || q.Validated() {
		t.Fatal("a new Ultra release kept the confirmation or the validation")
	}
	_, effs := must(t, p, Deploy{Fleet: updated(ix, "u1", "5.1.0"), Now: t0.Add(11 * time.Minute), Threshold: DefaultThreshold})
	if len(effs) != 1 {
		t.Fatalf("effects %+v", effs)
	}
}

func TestMonitoringThresholdPauses(t *testing.T) {
	p, ix := atStep(t, StepMonitoring)
	ro, _ := p.Rollout()
	at := func(stages map[string]Stage) *Rollout {
		r := fleetRollout(r241, StatusRunning, stages)
		r.ID = ro.ID
		return &r
	}
	// One failure of five units is 20%: over the default 5%.
	p2, effs := must(t, p, Observe{Rollout: at(map[string]Stage{"d180g-01": StageFailed, "d180g-02": StageInstalling,
		"d180g-03": StageQueued, "d180g-04": StageQueued, "d180g-05": StageQueued}), Fleet: ix, Now: t0.Add(10 * time.Minute)})
	if len(effs) != 2 || effs[0] != (PauseRollout{ID: "ro-fleet"}) {
		t.Fatalf("effects %+v, want a pause and a notification", effs)
	}
	if n, ok := effs[1].(Notify); !ok || !strings.Contains(n.Title, "paused itself") {
		t.Fatalf("second effect %+v", effs[1])
	}
	if p2.AutoPaused() == "" || !p2.Busy() {
		t.Fatal("auto pause not recorded")
	}
	// The backend confirms the pause: no second notification.
	paused := at(map[string]Stage{"d180g-01": StageFailed})
	paused.Status = StatusPaused
	p3, effs := must(t, p2, Controlled{Rollout: *paused})
	if len(effs) != 0 || p3.Busy() {
		t.Fatalf("after pause answer: effects %+v busy %v", effs, p3.Busy())
	}
	// The dealer resumes knowing about one failure; the same failure does not pause again...
	p4, effs := must(t, p3, Resume{})
	if effs[0] != (ResumeRollout{ID: "ro-fleet"}) {
		t.Fatalf("resume effects %+v", effs)
	}
	running := at(map[string]Stage{"d180g-01": StageFailed, "d180g-02": StageInstalling})
	p4, effs = must(t, p4, Controlled{Rollout: *running})
	if len(effs) != 0 {
		t.Fatalf("resumed rollout paused again at once: %+v", effs)
	}
	// ...but a further one does.
	_, effs = must(t, p4, Observe{Rollout: at(map[string]Stage{"d180g-01": StageFailed, "d180g-02": StageNotReturned}), Now: t0.Add(time.Hour)})
	if len(effs) == 0 || effs[0] != (PauseRollout{ID: "ro-fleet"}) {
		t.Fatalf("second failure did not pause: %+v", effs)
	}
}

func TestBackendPauseNotifiesOnce(t *testing.T) {
	p, _ := atStep(t, StepMonitoring)
	ro := fleetRollout(r241, StatusPaused, map[string]Stage{"d180g-01": StageFailed, "d180g-02": StageFailed})
	ro.Reason = "failure threshold reached"
	p, effs := must(t, p, Observe{Rollout: &ro, Now: t0.Add(time.Hour)})
	if len(effs) != 1 || !strings.Contains(effs[0].(Notify).Body, "failure threshold reached") {
		t.Fatalf("effects %+v", effs)
	}
	_, effs = must(t, p, Observe{Rollout: &ro, Now: t0.Add(2 * time.Hour)})
	if len(effs) != 0 {
		t.Fatalf("notified twice: %+v", effs)
	}
}

func TestDealerPauseDoesNotNotify(t *testing.T) {
	p, _ := atStep(t, StepMonitoring)
	p, _ = must(t, p, Pause{})
	ro := fleetRollout(r241, StatusPaused, map[string]Stage{"d180g-01": StageQueued})
	p, effs := must(t, p, Controlled{Rollout: ro})
	if len(effs) != 0 || p.AutoPaused() != "" {
		t.Fatalf("dealer pause notified: %+v", effs)
	}
	_, effs = must(t, p, Observe{Rollout: &ro, Now: t0.Add(time.Hour)})
	if len(effs) != 0 {
		t.Fatalf("dealer pause notified later: %+v", effs)
	}
}

func TestMonitoringFinishReport(t *testing.T) {
	p, ix := atStep(t, StepMonitoring)
	// Two units come back on 2.4.1 in the synced fleet while the backend still says installing.
	ix = updated(updated(ix, "d180g-01", "2.4.1"), "d180g-02", "2.4.1")
	ro := fleetRollout(r241, StatusRunning, map[string]Stage{"d180g-01": StageInstalling, "d180g-02": StageOnline,
		"d180g-03": StageInstalling})
	p, _ = must(t, p, Observe{Rollout: &ro, Fleet: ix, Now: t0.Add(20 * time.Minute)})
	pr := p.Progress()
	if pr.Counts[StageConfirmed] != 2 || pr.Counts[StageInstalling] != 1 || pr.Final != 2 {
		t.Fatalf("progress %+v", pr.Counts)
	}
	// d180g-03 never returns: after 6 h it counts as not returned; the backend then finishes.
	fin := ro
	fin.Status = StatusFinished
	p, effs := must(t, p, Observe{Rollout: &fin, Now: t0.Add(7 * time.Hour)})
	rep, ok := p.Report()
	if !ok || p.Step() != StepDone {
		t.Fatalf("not done: %s", p.Step())
	}
	if len(rep.Confirmed) != 2 || len(rep.NotReturned) != 1 || rep.NotReturned[0].DeviceID != "d180g-03" {
		t.Fatalf("report %+v", rep)
	}
	if rep.Versions["2.4.1"] != 2 {
		t.Fatalf("versions %v", rep.Versions)
	}
	if len(effs) != 1 || effs[0].(Notify).Title != "Rollout finished" {
		t.Fatalf("effects %+v", effs)
	}
	if txt := rep.Text(); !strings.Contains(txt, "never returned: d180g-03") || !strings.Contains(txt, "2 confirmed") {
		t.Fatalf("report text:\n%s", txt)
	}
}

func TestMonitoringStopsOnMismatchedUnit(t *testing.T) {
	p, ix := atStep(t, StepMonitoring)
	ro := fleetRollout(r241, StatusRunning, map[string]Stage{"d180g-01": StageQueued, "d180w-00": StageQueued})
	p, effs := must(t, p, Observe{Rollout: &ro, Fleet: ix, Now: t0.Add(time.Minute)})
	if p.Step() != StepDone || len(effs) == 0 || effs[0] != (CancelRollout{ID: "ro-fleet"}) {
		t.Fatalf("step %s effects %+v", p.Step(), effs)
	}
}

func TestCancelMonitoring(t *testing.T) {
	p, _ := atStep(t, StepMonitoring)
	p, _ = must(t, p, Cancel{})
	ro := fleetRollout(r241, StatusCancelled, map[string]Stage{"d180g-01": StageConfirmed, "d180g-02": StageSkipped})
	p, effs := must(t, p, Controlled{Rollout: ro})
	rep, ok := p.Report()
	if !ok || rep.Status != StatusCancelled || len(rep.Unfinished) != 1 || len(effs) != 0 {
		t.Fatalf("cancel: done %v report %+v effects %+v", ok, rep, effs)
	}
}

func TestControlErrorKeepsMonitoring(t *testing.T) {
	p, _ := atStep(t, StepMonitoring)
	p, _ = must(t, p, Pause{}, Controlled{Err: errors.New("offline")})
	if p.Step() != StepMonitoring || p.LastError() != "offline" || p.Busy() {
		t.Fatalf("step %s err %q busy %v", p.Step(), p.LastError(), p.Busy())
	}
}

func TestAttach(t *testing.T) {
	ro := fleetRollout(r241, StatusRunning, map[string]Stage{"d180g-01": StageInstalling})
	p := Attach(dealer, ro)
	if p.Step() != StepMonitoring || !p.Validated() {
		t.Fatalf("attach: %s", p.Step())
	}
	if _, _, err := p.Apply(Deploy{Fleet: fleet.NewIndex(mixedFleet()), Now: t0, Threshold: DefaultThreshold}); err == nil {
		t.Fatal("an attached rollout could deploy again")
	}
	ro.Status = StatusFinished
	if q := Attach(dealer, ro); q.Step() != StepDone {
		t.Fatalf("attach finished: %s", q.Step())
	}
}

// TestRandomEventsNeverSkipValidation throws random event sequences, including hostile backend
// answers, at the procedure and checks the safety rules after every step: no my_fleet create
// without a passed validation of that exact release, no create to anything but my_fleet or one
// eligible device of the release's variant.
func TestRandomEventsNeverSkipValidation(t *testing.T) {
	ds := mixedFleet()
	ix := fleet.NewIndex(ds)
	rng := newRand(11)
	releases := []Release{r241, r242, rel(fleet.ModelD180, fleet.TransportWiFi, "2.4.1"), rel(fleet.ModelD100, fleet.TransportGSM, "2.4.1")}
	reached := map[Step]int{}
	for round := 0; round < 1500; round++ {
		p := New(dealer)
		now := t0
		for i := 0; i < 40; i++ {
			now = now.Add(time.Duration(rng.Intn(20)) * time.Minute)
			r := releases[rng.Intn(len(releases))]
			id := ds[rng.Intn(len(ds))].ID
			// Half the answers are the ones a correct backend would give for the current state,
			// the other half random (wrong release, wrong unit, wrong status).
			if cur, ok := p.Release(); ok && rng.Intn(2) == 0 {
				r = cur
				if p.TestDevice() != "" {
					id = p.TestDevice()
				} else {
					id = fmt.Sprintf("d180g-%02d", rng.Intn(6))
				}
			}
			var ev Event
			kind := rng.Intn(13)
			if rng.Intn(10) < 6 {
				// Mostly walk forward, so the later steps are reached often.
				kind = map[Step]int{StepConsole: 0, StepVariant: 1, StepRelease: 2, StepTestDevice: 3,
					StepValidating: 6, StepValidationFailed: 2, StepReady: 4, StepMonitoring: 7, StepDone: 10}[p.Step()]
				if p.Busy() {
					kind = map[Step]int{StepValidating: 5, StepMonitoring: 9}[p.Step()]
				}
			}
			switch kind {
			case 0:
				ev = ChooseConsole{[]fleet.Console{fleet.ConsoleUnified, fleet.ConsoleUnified, fleet.ConsoleXPro, fleet.ConsoleUltra}[rng.Intn(4)]}
			case 1:
				ev = ChooseVariant{[]fleet.Model{fleet.ModelD180, fleet.ModelD180, fleet.ModelD100}[rng.Intn(3)], fleet.AllTransports[rng.Intn(2)]}
			case 2:
				ev = ChooseRelease{r}
			case 3:
				ev = StartValidation{DeviceID: id, Fleet: ix, Now: now}
			case 4:
				ev = Deploy{Fleet: ix, Now: now, Threshold: DefaultThreshold}
			case 5:
				ro := testRollout(r, id, []Stage{StageInstalling, StageInstalling, StageFailed, StageConfirmed}[rng.Intn(4)], StatusRunning)
				ev = Created{Rollout: ro}
			case 6:
				ev = Observe{Fleet: updated(ix, id, r.Version), Now: now}
			case 7:
				ro := fleetRollout(r, []Status{StatusRunning, StatusPaused, StatusFinished}[rng.Intn(3)], map[string]Stage{id: StageFailed})
				ev = Observe{Rollout: &ro, Now: now}
			case 8:
				ev = Pause{}
			case 9:
				ev = Created{Rollout: fleetRollout(r, StatusRunning, map[string]Stage{id: StageQueued})}
			case 10:
				ev = Reset{}
			case 11:
				ev = Cancel{}
			default:
				ev = Observe{Now: now}
			}
			before := p
			next, effs, err := p.Apply(ev)
			if err != nil {
				continue
			}
			for _, e := range effs {
				c, ok := e.(CreateRollout)
				if !ok {
					continue
				}
				req := c.Request
				cur, _ := before.Release()
				if req.Target == TargetMyFleet {
					if !before.Validated() || before.Step() != StepReady || req.ReleaseID != cur.ID {
						t.Fatalf("round %d: my_fleet create of %s without validation (step %s)", round, req.ReleaseID, before.Step())
					}
				} else if dev := req.Target.DeviceID(); dev == "" {
					t.Fatalf("round %d: create with target %q", round, req.Target)
				} else if d, _ := ix.Get(dev); !Matches(cur, d) {
					t.Fatalf("round %d: test deploy of %s to mismatched %s", round, cur.Label(), dev)
				}
				if req.Model != cur.Model || req.Transport != cur.Transport || req.Console != cur.Console {
					t.Fatalf("round %d: request %+v does not carry the release's variant", round, req)
				}
			}
			p = next
			reached[p.Step()]++
		}
	}
	for _, s := range []Step{StepValidating, StepValidationFailed, StepReady, StepMonitoring, StepDone} {
		if reached[s] < 30 {
			t.Errorf("the random walk reached %s only %d times: %v", s, reached[s], reached)
		}
	}
	t.Logf("steps reached: %v", reached)
}

func TestAutoPauseRaceWithBackend(t *testing.T) {
	p, ix := atStep(t, StepMonitoring)
	running := fleetRollout(r241, StatusRunning, map[string]Stage{"d180g-01": StageFailed, "d180g-02": StageFailed})
	p, effs := must(t, p, Observe{Rollout: &running, Fleet: ix, Now: t0.Add(time.Minute)})
	if len(effs) != 2 {
		t.Fatalf("effects %+v", effs)
	}
	// The backend paused first and refuses ours: no error for the dealer, no second notification.
	p, effs = must(t, p, Controlled{Err: errors.New("conflict: cannot pause a paused rollout")})
	if p.LastError() != "" || len(effs) != 0 {
		t.Fatalf("lastErr %q effects %+v", p.LastError(), effs)
	}
	paused := running
	paused.Status, paused.Reason = StatusPaused, "paused itself: 2 of 2 units failed"
	_, effs = must(t, p, Observe{Rollout: &paused, Now: t0.Add(2 * time.Minute)})
	if len(effs) != 0 {
		t.Fatalf("second notification: %+v", effs)
	}
	// Had the backend still been running, the procedure pauses again, quietly.
	q, effs := must(t, p, Observe{Rollout: &running, Now: t0.Add(2 * time.Minute)})
	if len(effs) != 1 || effs[0] != (PauseRollout{ID: "ro-fleet"}) {
		t.Fatalf("re-pause effects %+v", effs)
	}
	if _, effs, _ := q.Apply(Observe{Now: t0.Add(3 * time.Minute)}); len(effs) != 0 {
		t.Fatalf("busy procedure emitted %+v", effs)
	}
}

func TestAttachPausedDoesNotNotify(t *testing.T) {
	ro := fleetRollout(r241, StatusPaused, map[string]Stage{"d180g-01": StageFailed})
	ro.Reason = "paused by d@example.com"
	p := Attach(dealer, ro)
	if _, effs := must(t, p, Observe{Rollout: &ro, Now: t0.Add(time.Minute)}); len(effs) != 0 {
		t.Fatalf("attach to a paused rollout notified: %+v", effs)
	}
}

// BenchmarkTrack5k is one monitoring refresh of a 5,000-unit rollout against the synced fleet.
func BenchmarkTrack5k(b *testing.B) {
	var ds []fleet.Device
	ro := fleetRollout(r241, StatusRunning, nil)
	for i := 0; i < 5000; i++ {
		id := fmt.Sprintf("u%05d", i)
		ds = append(ds, dev(id, fleet.ModelD180, fleet.TransportGSM, "2.3.0", true))
		ro.Units = append(ro.Units, UnitProgress{DeviceID: id, Stage: AllStages[i%len(AllStages)], UpdatedAt: t0})
	}
	ix := fleet.NewIndex(ds)
	b.ReportAllocs()
	for b.Loop() {
		Track(ro, ix, t0.Add(time.Hour))
	}
}
