package recovery

import "errors"

// Phase is where an on-site recovery stands. The Recovery page shows it; the rules of what may
// happen next live here, next to the flasher, so a screen cannot skip one.
type Phase int

// The phases of a Flow, in the order a recovery usually goes through them.
const (
	PhaseIdle       Phase = iota // not connected
	PhaseConnecting              // opening the port and probing the unit
	PhaseConnected               // connected; no image has passed the preflight check
	PhaseReady                   // an image passed the preflight check
	PhaseFlashing
	PhaseDone
	PhaseFailed // the last connect or flash failed
)

func (p Phase) String() string {
	return [...]string{"idle", "connecting", "connected", "ready", "flashing", "done", "failed"}[p]
}

// StepNames are the rows a flash goes through, in order; the first is the preflight check and
// the others follow the flasher's stages (StageUpload is row 1).
var StepNames = []string{"Check image", "Upload", "Verify hash", "Reset", "Reconnect", "Confirm version"}

// StepMark is how one step row looks.
type StepMark int

// Step marks.
const (
	StepTodo StepMark = iota
	StepActive
	StepDone
	StepFailed
	// StepUnknown: the step could not be checked, and that is no failure: after the restart an
	// application that does not speak SMP on this port cannot be asked what it runs.
	StepUnknown
)

// Errors a Flow returns when asked for something its phase does not allow.
var (
	ErrBusy            = errors.New("wait for the current step to finish, or cancel it")
	ErrNoPort          = errors.New("type or choose the serial port the unit is on")
	ErrNotConnected    = errors.New("connect to a unit first")
	ErrNotReady        = errors.New("choose firmware that passes the check first")
	ErrDowngradeChoice = errors.New("this image is older than the one the unit runs: tick \"Downgrade\" to flash it anyway")
)

// Flow is the Recovery page's state machine, without widgets: the page feeds it what the
// technician does and what the flasher reports, and shows what it says. The zero Flow is idle.
// It is not safe for concurrent use; the page keeps it on the UI goroutine.
type Flow struct {
	phase     Phase
	port      string
	connected bool
	plan      *Plan
	downgrade bool // the technician ticked "Downgrade" for this plan
	step      int  // the active or failed step row; -1 for none
	failed    bool // the step row stopped with an error
	cancelled bool // a cancel was asked for the running step
	outcome   Outcome
}

// Phase is the current phase.
func (f *Flow) Phase() Phase { return f.phase }

// Busy reports whether a connect or a flash runs: the choices are locked and Cancel is offered.
func (f *Flow) Busy() bool { return f.phase == PhaseConnecting || f.phase == PhaseFlashing }

// Connected reports whether a unit answered and its link is open.
func (f *Flow) Connected() bool { return f.connected }

// Plan is the image ready to flash, or nil.
func (f *Flow) Plan() *Plan { return f.plan }

// CancelAsked reports whether Cancel was pressed for the running step.
func (f *Flow) CancelAsked() bool { return f.cancelled }

// SetPort records the port the technician typed or chose.
func (f *Flow) SetPort(p string) { f.port = p }

// Port is the port to connect to.
func (f *Flow) Port() string { return f.port }

// ConnectBlocked says why Connect is not possible now; nil when it is.
func (f *Flow) ConnectBlocked() error {
	switch {
	case f.Busy():
		return ErrBusy
	case f.port == "":
		return ErrNoPort
	}
	return nil
}

// Connect starts connecting, closing any earlier connection.
func (f *Flow) Connect() error {
	if err := f.ConnectBlocked(); err != nil {
		return err
	}
	*f = Flow{phase: PhaseConnecting, port: f.port, step: -1}
	return nil
}

// ConnectDone records the outcome of Connect.
func (f *Flow) ConnectDone(err error) {
	f.cancelled = false
	if err != nil {
		f.phase, f.connected = PhaseFailed, false
		return
	}
	f.phase, f.connected = PhaseConnected, true
}

// Checked records a preflight outcome: a plan that passed, or the refusal (plan nil).
func (f *Flow) Checked(p *Plan, refusal error) {
	if f.Busy() || !f.connected {
		return
	}
	f.plan, f.downgrade, f.failed = p, false, false
	switch {
	case p != nil:
		f.phase, f.step = PhaseReady, 1
	case refusal != nil:
		f.phase, f.step, f.failed = PhaseConnected, 0, true
	default:
		f.phase, f.step = PhaseConnected, -1
	}
}

// ChooseDowngrade records the technician's explicit choice to flash an older image.
func (f *Flow) ChooseDowngrade(on bool) { f.downgrade = on }

// DowngradeChosen reports whether "Downgrade" is ticked for the current plan.
func (f *Flow) DowngradeChosen() bool { return f.downgrade }

// FlashBlocked says why Flash is not possible now; nil when it is.
func (f *Flow) FlashBlocked() error {
	switch {
	case f.Busy():
		return ErrBusy
	case !f.connected:
		return ErrNotConnected
	case f.plan == nil:
		return ErrNotReady
	case f.plan.Downgrade() && !f.downgrade:
		return ErrDowngradeChoice
	}
	return nil
}

// Flash starts flashing the plan; the technician's downgrade choice goes with it.
func (f *Flow) Flash() (*Plan, error) {
	if err := f.FlashBlocked(); err != nil {
		return nil, err
	}
	f.plan.AllowDowngrade(f.downgrade)
	f.phase, f.step, f.failed, f.cancelled = PhaseFlashing, 1, false, false
	return f.plan, nil
}

// Progressed moves the step rows with the flasher's stage.
func (f *Flow) Progressed(s Stage) {
	if f.phase == PhaseFlashing {
		f.step = int(s) + 1
	}
}

// Cancel asks the running step to stop; it reports whether there was one.
func (f *Flow) Cancel() bool {
	if !f.Busy() {
		return false
	}
	f.cancelled = true
	return true
}

// Outcome is how far the last flash got.
func (f *Flow) Outcome() Outcome { return f.outcome }

// Flashed records the outcome of a flash (Flash's Result.Outcome and error). After a failure the
// same image may be flashed again when retry (a fresh preflight of it) is not nil; the downgrade
// choice must then be made again.
func (f *Flow) Flashed(o Outcome, err error, retry *Plan) {
	f.cancelled, f.outcome = false, o
	if err == nil {
		f.phase, f.step, f.plan, f.downgrade = PhaseDone, len(StepNames), nil, false
		return
	}
	f.phase, f.failed = PhaseFailed, true
	f.step = max(min(f.step, len(StepNames)-1), 1)
	f.plan, f.downgrade = retry, false
}

// Steps is how each row of StepNames looks now.
func (f *Flow) Steps() []StepMark {
	out := make([]StepMark, len(StepNames))
	if f.step < 0 || f.phase == PhaseIdle {
		return out
	}
	for i := range out {
		switch {
		case i < f.step:
			out[i] = StepDone
		case i > f.step:
			out[i] = StepTodo
		case f.failed:
			out[i] = StepFailed
		case f.phase != PhaseFlashing:
			// Ready: the check passed and the upload is next, but nothing runs until Flash is
			// pressed, so no row reads as running.
			out[i] = StepTodo
		default:
			out[i] = StepActive
		}
	}
	if f.phase == PhaseDone && f.outcome == OutcomeRestarted {
		out[StageReconnect+1], out[StageConfirm+1] = StepUnknown, StepUnknown
	}
	return out
}
