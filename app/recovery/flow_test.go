package recovery_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

func TestFlowConnectNeedsPort(t *testing.T) {
	var f recovery.Flow
	if err := f.Connect(); !errors.Is(err, recovery.ErrNoPort) {
		t.Fatalf("connect without a port: %v", err)
	}
	f.SetPort("/dev/pts/7")
	if err := f.Connect(); err != nil || f.Phase() != recovery.PhaseConnecting || !f.Busy() {
		t.Fatalf("connect: %v, %s", err, f.Phase())
	}
	if err := f.ConnectBlocked(); !errors.Is(err, recovery.ErrBusy) {
		t.Fatalf("second connect while connecting: %v", err)
	}
	f.ConnectDone(errors.New("no answer"))
	if f.Phase() != recovery.PhaseFailed || f.Connected() || f.ConnectBlocked() != nil {
		t.Fatalf("after a failed connect: %s connected %v", f.Phase(), f.Connected())
	}
	if !errors.Is(f.FlashBlocked(), recovery.ErrNotConnected) {
		t.Fatalf("flash offered without a unit: %v", f.FlashBlocked())
	}
}

// The whole flow on a real unit: a downgrade is blocked until chosen, the choice does not
// survive a failed attempt, and the step rows follow the flasher.
func TestFlowDowngradeAndSteps(t *testing.T) {
	_, port := startUnit(t, unit.Config{Baud: 921600, Version: "2.3.0"})
	var f recovery.Flow
	f.SetPort(port)
	if err := f.Connect(); err != nil {
		t.Fatal(err)
	}
	s := connect(t, fastOptions(port, 921600, nil))
	f.ConnectDone(nil)
	if !errors.Is(f.FlashBlocked(), recovery.ErrNotReady) {
		t.Fatalf("flash before an image: %v", f.FlashBlocked())
	}
	f.Checked(nil, errors.New("wrong variant"))
	if m := f.Steps(); m[0] != recovery.StepFailed || m[1] != recovery.StepTodo {
		t.Fatalf("refusal steps %v", m)
	}
	plan, err := s.Preflight("old", buildImage(t, d180gsm, "2.2.0", 4000), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Checked(plan, nil)
	if f.Phase() != recovery.PhaseReady || !errors.Is(f.FlashBlocked(), recovery.ErrDowngradeChoice) {
		t.Fatalf("%s, %v", f.Phase(), f.FlashBlocked())
	}
	// Ready is not running: the check is ticked and nothing reads as under way until Flash.
	if m := f.Steps(); !slices.Equal(m, []recovery.StepMark{recovery.StepDone, recovery.StepTodo, recovery.StepTodo,
		recovery.StepTodo, recovery.StepTodo, recovery.StepTodo}) {
		t.Fatalf("ready steps %v", m)
	}
	if _, err := f.Flash(); !errors.Is(err, recovery.ErrDowngradeChoice) {
		t.Fatalf("flash of an unchosen downgrade: %v", err)
	}
	f.ChooseDowngrade(true)
	p, err := f.Flash()
	if err != nil || p != plan || !f.Busy() {
		t.Fatalf("flash: %v", err)
	}
	f.Progressed(recovery.StageVerify)
	if m := f.Steps(); !slices.Equal(m, []recovery.StepMark{recovery.StepDone, recovery.StepDone, recovery.StepActive,
		recovery.StepTodo, recovery.StepTodo, recovery.StepTodo}) {
		t.Fatalf("steps %v", m)
	}
	if !f.Cancel() || !f.CancelAsked() {
		t.Fatal("cancel not recorded")
	}
	retry, _ := s.Preflight("old", buildImage(t, d180gsm, "2.2.0", 4000), nil)
	f.Flashed(recovery.OutcomeNone, recovery.ErrCancelled, retry)
	if f.Phase() != recovery.PhaseFailed || f.Steps()[2] != recovery.StepFailed || f.DowngradeChosen() {
		t.Fatalf("after cancel: %s %v downgrade %v", f.Phase(), f.Steps(), f.DowngradeChosen())
	}
	if !errors.Is(f.FlashBlocked(), recovery.ErrDowngradeChoice) {
		t.Fatalf("retry of a downgrade without choosing again: %v", f.FlashBlocked())
	}
	f.ChooseDowngrade(true)
	p, _ = f.Flash()
	if _, err := s.Flash(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	f.Flashed(recovery.OutcomeConfirmed, nil, nil)
	if f.Phase() != recovery.PhaseDone || f.Plan() != nil || f.Steps()[5] != recovery.StepDone {
		t.Fatalf("done: %s %v", f.Phase(), f.Steps())
	}
}

// A flash whose application could not be asked after the restart is done, not failed: the rows
// after Reset read "could not be checked", the ones before are ticked.
func TestFlowRestartedNotAsked(t *testing.T) {
	_, port := startUnit(t, unit.Stock(unit.Config{Baud: 921600}))
	var f recovery.Flow
	f.SetPort(port)
	f.Connect()
	s := connect(t, stockOptions(port, nil))
	f.ConnectDone(nil)
	plan, err := s.Preflight("f", buildImage(t, d180gsm, "2.4.0", 4000), &d180gsm)
	if err != nil {
		t.Fatal(err)
	}
	f.Checked(plan, nil)
	p, err := f.Flash()
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Flash(context.Background(), p, func(pr recovery.Progress) { f.Progressed(pr.Stage) })
	f.Flashed(res.Outcome, err, nil)
	want := []recovery.StepMark{recovery.StepDone, recovery.StepDone, recovery.StepDone, recovery.StepDone,
		recovery.StepUnknown, recovery.StepUnknown}
	if err != nil || f.Phase() != recovery.PhaseDone || f.Outcome() != recovery.OutcomeRestarted || !slices.Equal(f.Steps(), want) {
		t.Fatalf("%v: %s %s %v", err, f.Phase(), f.Outcome(), f.Steps())
	}
}
