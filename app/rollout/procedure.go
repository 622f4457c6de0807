package rollout

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

// Step is where the safe OTA procedure stands.
type Step string

// The procedure's steps, in the order the guide walks them.
const (
	StepConsole          Step = "choose_console"
	StepVariant          Step = "choose_variant" // engine and transport
	StepRelease          Step = "choose_release"
	StepTestDevice       Step = "choose_test_device"
	StepValidating       Step = "validating"        // the release is on its way to the test device
	StepValidationFailed Step = "validation_failed" // stops here: no my_fleet deploy of this release
	StepReady            Step = "ready"             // validated; my_fleet may be deployed
	StepMonitoring       Step = "monitoring"        // the my_fleet rollout runs
	StepDone             Step = "done"              // finished or cancelled; the report is ready
)

// Event is an input to the procedure: a dealer's choice, a backend answer, or a new look at the
// fleet and the clock. The procedure does no I/O; the caller carries out its Effects and feeds the
// answers back as events.
type Event interface{ event() }

// ChooseConsole opens a firmware console; it starts the procedure over.
type ChooseConsole struct{ Console fleet.Console }

// ChooseVariant picks the engine and transport variant within the chosen console.
type ChooseVariant struct {
	Model     fleet.Model
	Transport fleet.Transport
}

// ChooseRelease picks the release. A different release than the one validated needs validating
// again.
type ChooseRelease struct{ Release Release }

// ConfirmVariant is the Ultra console's explicit "these are GSM (or WiFi) units" before any
// deployment.
type ConfirmVariant struct{ Transport fleet.Transport }

// StartValidation deploys the chosen release to one eligible test device alone. A unit already
// updated to the release and back online on it (Validates, given Evidence) is the validation at
// once, and nothing is sent.
type StartValidation struct {
	DeviceID string
	Fleet    *fleet.Index
	Now      time.Time
	Evidence Evidence
}

// Deploy sends the validated release to my_fleet.
type Deploy struct {
	Fleet     *fleet.Index
	Now       time.Time
	Threshold Threshold
	// Units are the units the dealer was shown and confirmed (Preview's Eligible at the time);
	// the rollout goes to exactly these. Nil means all that Preview finds eligible now.
	Units []string
}

// Created is the backend's answer to a CreateRollout effect.
type Created struct {
	Rollout Rollout
	Err     error
}

// Observe is a fresh look: the backend's latest view of the running rollout (nil when only the
// fleet or the clock moved), the synced fleet (nil keeps the last one) and the time.
type Observe struct {
	Rollout *Rollout
	Fleet   *fleet.Index
	Now     time.Time
}

// Pause asks the backend to stop sending the release to further units.
type Pause struct{}

// Resume continues a paused rollout.
type Resume struct{}

// Cancel stops the rollout (or the test deployment) for good.
type Cancel struct{}

// Controlled is the backend's answer to a pause, resume or cancel effect.
type Controlled struct {
	Rollout Rollout
	Err     error
}

// Reset goes back to choosing the console, forgetting every choice; not while a deployment runs.
type Reset struct{}

func (ChooseConsole) event()   {}
func (ChooseVariant) event()   {}
func (ChooseRelease) event()   {}
func (ConfirmVariant) event()  {}
func (StartValidation) event() {}
func (Deploy) event()          {}
func (Created) event()         {}
func (Observe) event()         {}
func (Pause) event()           {}
func (Resume) event()          {}
func (Cancel) event()          {}
func (Controlled) event()      {}
func (Reset) event()           {}

// Effect is something the caller must do for the procedure: a backend call whose answer comes
// back as Created or Controlled, or a notification for the dealer.
type Effect interface{ effect() }

// CreateRollout asks the backend to create a rollout; answer with Created.
type CreateRollout struct{ Request CreateRequest }

// PauseRollout, ResumeRollout and CancelRollout ask the backend to act on a rollout; answer with
// Controlled.
type PauseRollout struct{ ID string }

// ResumeRollout continues a rollout; answer with Controlled.
type ResumeRollout struct{ ID string }

// CancelRollout cancels a rollout; answer with Controlled.
type CancelRollout struct{ ID string }

// Notify is a desktop notification: the rollout finished or paused itself.
type Notify struct{ Title, Body string }

func (CreateRollout) effect() {}
func (PauseRollout) effect()  {}
func (ResumeRollout) effect() {}
func (CancelRollout) effect() {}
func (Notify) effect()        {}

// ErrBusy is the answer to a request while the backend has not answered the previous one.
var ErrBusy = errors.New("waiting for the backend to answer the previous request")

type pendingKind int

const (
	pendNone pendingKind = iota
	pendCreateTest
	pendCreateFleet
	pendControl
)

// Procedure is the safe OTA procedure of the dealer guide for one console. It is a value: Apply
// returns the next procedure and leaves the receiver untouched, so a refused event changes
// nothing and a screen can ask "would this be allowed" by applying and discarding.
type Procedure struct {
	actor     scope.Actor
	step      Step
	console   fleet.Console
	model     fleet.Model
	transport fleet.Transport
	release   Release
	confirmed fleet.Transport // Ultra: the variant the dealer confirmed for release

	testDevice  string
	testStarted time.Time
	test        Rollout
	hasTest     bool
	validated   Release // the exact release that passed validation; zero when none
	failed      Release // the release whose validation failed
	failure     string

	plan      Eligibility
	main      Rollout
	hasMain   bool
	progress  Progress
	threshold Threshold

	fleet            *fleet.Index
	now              time.Time
	pending          pendingKind
	failuresAtResume int
	pauseNotified    bool // the dealer was told about the current pause (or it predates us)
	dealerPaused     bool
	autoPausing      bool // the pause in flight is the procedure's own
	autoPaused       string
	lastErr          string
	lastFailure      error // the error behind lastErr when the backend refused or could not be reached
	report           Report
}

// New starts the procedure for an actor at the first step.
func New(actor scope.Actor) Procedure {
	return Procedure{actor: actor, step: StepConsole}
}

// Attach resumes watching a my_fleet rollout that is already running (after a restart of the
// app): only pause, resume and cancel are possible from here, nothing new can be sent.
func Attach(actor scope.Actor, ro Rollout) Procedure {
	rel := Release{ID: ro.ReleaseID, Console: ro.Console, Model: ro.Model, Transport: ro.Transport, Version: ro.Version}
	p := Procedure{actor: actor, step: StepMonitoring, console: ro.Console, model: ro.Model,
		transport: ro.Transport, release: rel, validated: rel, main: ro, hasMain: true,
		threshold: ro.Threshold, now: ro.UpdatedAt}
	p.progress = Track(ro, nil, ro.UpdatedAt)
	p.failuresAtResume = p.progress.Failures
	// A pause that was there before we looked is not news worth a notification.
	p.pauseNotified = ro.Status == StatusPaused
	if ro.Status == StatusFinished || ro.Status == StatusCancelled {
		p.step = StepDone
		p.report = p.progress.Report(ro)
	}
	return p
}

// Step is the current step.
func (p Procedure) Step() Step { return p.step }

// Console is the chosen console, "" before.
func (p Procedure) Console() fleet.Console { return p.console }

// Variant is the chosen engine and transport (zero parts before they are chosen).
func (p Procedure) Variant() fleet.Variant {
	return fleet.Variant{Console: p.console, Model: p.model, Transport: p.transport}
}

// Release is the chosen release; ok is false before one is chosen.
func (p Procedure) Release() (Release, bool) { return p.release, p.release.ID != "" }

// NeedsVariantConfirmation reports whether the dealer must still confirm the transport variant
// (Ultra console only) before anything is deployed.
func (p Procedure) NeedsVariantConfirmation() bool {
	return p.console == fleet.ConsoleUltra && (p.release.ID == "" || p.confirmed != p.release.Transport)
}

// TestDevice is the unit chosen for validation, "" before.
func (p Procedure) TestDevice() string { return p.testDevice }

// TestRollout is the backend's view of the test deployment.
func (p Procedure) TestRollout() (Rollout, bool) { return p.test, p.hasTest }

// TestStarted is when the test deployment was requested.
func (p Procedure) TestStarted() time.Time { return p.testStarted }

// Validated reports whether the chosen release passed validation on a test device.
func (p Procedure) Validated() bool { return p.release.ID != "" && sameRelease(p.validated, p.release) }

// Failure is why validation failed, "" unless it did.
func (p Procedure) Failure() string { return p.failure }

// LastError is the last backend refusal or failure to reach it, "" when the last call went well.
func (p Procedure) LastError() string { return p.lastErr }

// LastFailure is the error behind LastError when it came from a backend call, for its words and
// details (words.Describe); nil otherwise.
func (p Procedure) LastFailure() error {
	if p.lastFailure == nil || p.lastFailure.Error() != p.lastErr {
		return nil // a later message (or none) replaced it
	}
	return p.lastFailure
}

// Busy reports whether a backend request is in flight.
func (p Procedure) Busy() bool { return p.pending != pendNone }

// Plan is the eligibility computed when my_fleet was deployed.
func (p Procedure) Plan() Eligibility { return p.plan }

// Rollout is the backend's view of the my_fleet rollout; ok is false before it exists.
func (p Procedure) Rollout() (Rollout, bool) { return p.main, p.hasMain }

// Progress is the monitoring view of the my_fleet rollout.
func (p Procedure) Progress() Progress { return p.progress }

// AutoPaused is why the procedure paused the rollout by itself, "" when it did not.
func (p Procedure) AutoPaused() string { return p.autoPaused }

// Report is the final report; ok is false before the rollout is done.
func (p Procedure) Report() (Report, bool) { return p.report, p.step == StepDone }

// Threshold is the failure threshold the deployment was started with.
func (p Procedure) Threshold() Threshold { return p.threshold }

// Preview is who a my_fleet deployment of the chosen release would reach now.
func (p Procedure) Preview(ix *fleet.Index, now time.Time) Eligibility {
	return Eligible(p.release, ix.Devices(), p.actor, now)
}

// Confirming is the units of the actor's fleet that run the chosen release and are back online
// (Confirms); those among them that were updated to it (Evidence.Updated) may be chosen as the
// test device and validate the release at once.
func (p Procedure) Confirming(ix *fleet.Index) []fleet.Device {
	if p.release.ID == "" {
		return nil
	}
	var out []fleet.Device
	for _, d := range ix.Devices() {
		if p.actor.InScope(*d) && Confirms(p.release, *d) {
			out = append(out, *d)
		}
	}
	return out
}

func sameRelease(a, b Release) bool {
	return a.ID != "" && a.ID == b.ID && a.Version == b.Version && a.Console == b.Console &&
		a.Model == b.Model && a.Transport == b.Transport && a.SHA256 == b.SHA256
}

// preDeploy reports whether the step is one where choices may still change.
func (s Step) preDeploy() bool {
	switch s {
	case StepConsole, StepVariant, StepRelease, StepTestDevice, StepValidationFailed, StepReady:
		return true
	}
	return false
}

// Apply feeds one event to the procedure. It returns the next procedure and the effects the
// caller must carry out, or an error saying why the event is not possible now (the receiver is
// unchanged either way).
func (p Procedure) Apply(e Event) (Procedure, []Effect, error) {
	n := p
	effects, err := n.apply(e)
	if err != nil {
		return p, nil, err
	}
	return n, effects, nil
}

func (p *Procedure) apply(e Event) ([]Effect, error) {
	switch e := e.(type) {
	case ChooseConsole:
		return nil, p.chooseConsole(e)
	case ChooseVariant:
		return nil, p.chooseVariant(e)
	case ChooseRelease:
		return nil, p.chooseRelease(e)
	case ConfirmVariant:
		return nil, p.confirmVariant(e)
	case StartValidation:
		return p.startValidation(e)
	case Deploy:
		return p.deploy(e)
	case Created:
		return p.created(e)
	case Observe:
		return p.observe(e.Rollout, e.Fleet, e.Now), nil
	case Pause:
		return p.control(StatusRunning, "pause")
	case Resume:
		return p.control(StatusPaused, "resume")
	case Cancel:
		return p.cancel()
	case Controlled:
		return p.controlled(e)
	case Reset:
		if !p.step.preDeploy() && p.step != StepDone {
			return nil, fmt.Errorf("a deployment is running: cancel it before starting over")
		}
		*p = New(p.actor)
		return nil, nil
	case nil:
		return nil, fmt.Errorf("no event")
	}
	return nil, fmt.Errorf("unknown event %T", e)
}

func (p *Procedure) chooseConsole(e ChooseConsole) error {
	if dec := scope.CanDeployMyFleet(p.actor); !dec.Allowed {
		return dec.Err()
	}
	if !p.step.preDeploy() && p.step != StepDone {
		return fmt.Errorf("a deployment is running: finish or cancel it first")
	}
	if !e.Console.Valid() {
		return fmt.Errorf("unknown console %q", e.Console)
	}
	*p = Procedure{actor: p.actor, step: StepVariant, console: e.Console}
	return nil
}

func (p *Procedure) chooseVariant(e ChooseVariant) error {
	if p.console == "" {
		return fmt.Errorf("choose the firmware console first")
	}
	if !p.step.preDeploy() || p.step == StepConsole {
		return p.notNow("change the engine or variant")
	}
	if fleet.ConsoleFor(e.Model) != p.console {
		return fmt.Errorf("%s units are not served by the %s", e.Model.DisplayName(), p.console.DisplayName())
	}
	if !e.Transport.Valid() {
		return fmt.Errorf("choose the transport variant (GSM or WiFi)")
	}
	if e.Model != p.model || e.Transport != p.transport {
		p.clearRelease()
	}
	p.model, p.transport = e.Model, e.Transport
	p.step = StepRelease
	if p.release.ID != "" {
		p.step = p.afterRelease()
	}
	return nil
}

func (p *Procedure) chooseRelease(e ChooseRelease) error {
	if p.model == "" || p.transport == "" {
		return fmt.Errorf("choose the engine and transport variant first")
	}
	if !p.step.preDeploy() || p.step == StepConsole {
		return p.notNow("change the release")
	}
	r := e.Release
	if err := r.Validate(); err != nil {
		return err
	}
	if want := p.Variant(); r.Variant() != want {
		return fmt.Errorf("release %s is built for %s on the %s; you chose %s", r.Version, r.Variant(),
			r.Console.DisplayName(), want)
	}
	if sameRelease(r, p.failed) {
		return fmt.Errorf("release %s failed validation (%s); choose another release", r.Label(), p.failure)
	}
	if !sameRelease(r, p.release) {
		p.clearRelease()
		p.release = r
	}
	p.step = p.afterRelease()
	return nil
}

// afterRelease is the step once a release is chosen: ready when this exact release has already
// passed validation, otherwise the test device comes next.
func (p *Procedure) afterRelease() Step {
	if p.Validated() {
		return StepReady
	}
	return StepTestDevice
}

// clearRelease forgets the release and everything that hung on it: validation belongs to one
// exact release.
func (p *Procedure) clearRelease() {
	p.release, p.confirmed, p.validated = Release{}, "", Release{}
	p.testDevice, p.testStarted, p.test, p.hasTest = "", time.Time{}, Rollout{}, false
	p.lastErr = ""
	if p.step == StepValidationFailed {
		p.failure = ""
	}
}

func (p *Procedure) confirmVariant(e ConfirmVariant) error {
	if p.console != fleet.ConsoleUltra {
		return fmt.Errorf("only the Ultra firmware console asks to confirm the variant")
	}
	if p.release.ID == "" || (p.step != StepTestDevice && p.step != StepReady) {
		return p.notNow("confirm the variant")
	}
	if e.Transport != p.release.Transport {
		p.confirmed = ""
		return fmt.Errorf("you confirmed %s but release %s is built for %s units", e.Transport.DisplayName(),
			p.release.Version, p.release.Transport.DisplayName())
	}
	p.confirmed = e.Transport
	return nil
}

func (p *Procedure) startValidation(e StartValidation) ([]Effect, error) {
	if p.pending != pendNone {
		return nil, ErrBusy
	}
	if p.step != StepTestDevice {
		return nil, p.notNow("deploy to a test device")
	}
	if p.NeedsVariantConfirmation() {
		return nil, fmt.Errorf("confirm that these are AutoGen Ultra %s units first", p.release.Transport.DisplayName())
	}
	d, ok := e.Fleet.Get(e.DeviceID)
	if !ok {
		return nil, fmt.Errorf("unit %q is not in your fleet", e.DeviceID)
	}
	if !p.actor.InScope(d) {
		return nil, fmt.Errorf("%s cannot be the test device: %s", d.ID, ReasonOutOfScope.Text())
	}
	if Validates(p.release, d, e.Evidence) {
		// Already updated (from its Manage page, say) and back online on the release: that is
		// the validation the guide asks for, and nothing needs sending.
		p.testDevice, p.testStarted, p.test, p.hasTest = d.ID, time.Time{}, Rollout{}, false
		p.fleet, p.now = e.Fleet, e.Now
		p.validated, p.step, p.lastErr = p.release, StepReady, ""
		return nil, nil
	}
	if ex, bad := Exclude(p.release, d, p.actor, e.Now); bad {
		return nil, fmt.Errorf("%s cannot be the test device: %s (%s)", d.ID, ex.Reason.Text(), ex.Detail)
	}
	p.testDevice, p.testStarted, p.test, p.hasTest = d.ID, e.Now, Rollout{}, false
	p.fleet, p.now = e.Fleet, e.Now
	p.step, p.pending, p.lastErr = StepValidating, pendCreateTest, ""
	return []Effect{CreateRollout{Request: p.request(DeviceTarget(d.ID), DefaultThreshold)}}, nil
}

func (p *Procedure) request(t Target, th Threshold) CreateRequest {
	req := CreateRequest{Console: p.release.Console, ReleaseID: p.release.ID, Model: p.release.Model,
		Transport: p.release.Transport, Target: t, Threshold: th}
	if t == TargetMyFleet {
		req.Devices = p.plan.IDs()
	}
	return req
}

// answers reports whether a rollout the backend returned is the one that was asked for.
func answers(ro Rollout, req CreateRequest) error {
	if ro.ID == "" {
		return fmt.Errorf("the backend answered without a rollout ID")
	}
	if ro.ReleaseID != req.ReleaseID || ro.Target != req.Target || ro.Model != req.Model ||
		ro.Transport != req.Transport || (ro.Console != "" && ro.Console != req.Console) {
		return fmt.Errorf("the backend answered with rollout %s of release %s (%s, %s) to %s, not what was asked",
			ro.ID, ro.ReleaseID, ro.Model, ro.Transport, ro.Target)
	}
	if req.Devices != nil {
		got := make([]string, 0, len(ro.Units))
		for _, u := range ro.Units {
			got = append(got, u.DeviceID)
		}
		slices.Sort(got)
		if !slices.Equal(got, req.Devices) {
			return fmt.Errorf("the backend's rollout %s targets %d units, not the %d you confirmed", ro.ID, len(got), len(req.Devices))
		}
	}
	return nil
}

func (p *Procedure) deploy(e Deploy) ([]Effect, error) {
	if p.pending != pendNone {
		return nil, ErrBusy
	}
	if p.step != StepReady || !p.Validated() {
		if p.release.ID != "" && !p.Validated() {
			return nil, fmt.Errorf("validate %s on one test device before deploying to my_fleet", p.release.Label())
		}
		return nil, p.notNow("deploy to my_fleet")
	}
	if dec := scope.CanDeployMyFleet(p.actor); !dec.Allowed {
		return nil, dec.Err()
	}
	if p.NeedsVariantConfirmation() {
		return nil, fmt.Errorf("confirm that these are AutoGen Ultra %s units first", p.release.Transport.DisplayName())
	}
	if err := e.Threshold.Validate(); err != nil {
		return nil, err
	}
	plan, err := Confirmed(Eligible(p.release, e.Fleet.Devices(), p.actor, e.Now), e.Units)
	if err != nil {
		return nil, err
	}
	p.plan, p.threshold, p.fleet, p.now = plan, e.Threshold, e.Fleet, e.Now
	p.step, p.pending, p.lastErr = StepMonitoring, pendCreateFleet, ""
	p.main, p.hasMain, p.progress, p.failuresAtResume = Rollout{}, false, Progress{Counts: map[Stage]int{}}, 0
	p.pauseNotified, p.autoPaused, p.dealerPaused = false, "", false
	return []Effect{CreateRollout{Request: p.request(TargetMyFleet, e.Threshold)}}, nil
}

func (p *Procedure) created(e Created) ([]Effect, error) {
	switch p.pending {
	case pendCreateTest:
		p.pending = pendNone
		if e.Err != nil {
			// Nothing was sent: the dealer may try again or pick another unit; the chosen unit
			// stays chosen.
			p.step, p.lastErr, p.lastFailure = StepTestDevice, e.Err.Error(), e.Err
			return nil, nil
		}
		if err := answers(e.Rollout, p.request(DeviceTarget(p.testDevice), DefaultThreshold)); err != nil {
			p.failValidation(err.Error())
			if e.Rollout.ID != "" {
				return []Effect{CancelRollout{ID: e.Rollout.ID}}, nil
			}
			return nil, nil
		}
		p.test, p.hasTest = e.Rollout, true
		return p.observe(nil, nil, p.now), nil
	case pendCreateFleet:
		p.pending = pendNone
		if e.Err != nil {
			p.step, p.lastErr, p.lastFailure = StepReady, e.Err.Error(), e.Err
			return nil, nil
		}
		if err := answers(e.Rollout, p.request(TargetMyFleet, p.threshold)); err != nil {
			return p.emergencyStop(e.Rollout, err.Error()), nil
		}
		p.main, p.hasMain = e.Rollout, true
		return p.observe(nil, nil, p.now), nil
	}
	return nil, fmt.Errorf("no rollout was being created")
}

// emergencyStop cancels a rollout the app did not ask for in that form: the backend may be
// confused, and nothing must go on reaching units.
func (p *Procedure) emergencyStop(ro Rollout, why string) []Effect {
	p.main, p.hasMain = ro, ro.ID != ""
	p.lastErr = why
	p.step = StepDone
	p.report = Track(ro, p.fleet, p.now).Report(ro)
	p.report.Reason = "cancelled by FleetDesk: " + why
	effects := []Effect{Notify{Title: "Rollout stopped", Body: why}}
	if ro.ID != "" {
		effects = append([]Effect{CancelRollout{ID: ro.ID}}, effects...)
		p.pending = pendControl
	}
	return effects
}

func (p *Procedure) failValidation(why string) {
	p.step, p.failure, p.failed = StepValidationFailed, why, p.release
	p.validated = Release{}
}

func (p *Procedure) observe(ro *Rollout, ix *fleet.Index, now time.Time) []Effect {
	if ix != nil {
		p.fleet = ix
	}
	if !now.IsZero() && now.After(p.now) {
		p.now = now
	}
	switch p.step {
	case StepValidating:
		if ro != nil && p.hasTest && ro.ID == p.test.ID {
			p.test = *ro
		}
		p.judgeTest()
		return nil
	case StepMonitoring:
		if ro != nil && p.hasMain && ro.ID == p.main.ID {
			p.main = *ro
		}
		if !p.hasMain {
			return nil
		}
		return p.monitor()
	}
	return nil
}

// judgeTest decides the validation: passed once the backend confirms the test unit on the target
// version, failed when the backend says so or the unit stays away longer than its transport
// explains.
func (p *Procedure) judgeTest() {
	ver := p.release.Version
	if !p.hasTest {
		// The backend has not answered the create yet: nothing is known to have been sent.
		return
	}
	for _, u := range p.test.Units {
		if u.DeviceID != p.testDevice {
			p.failValidation(fmt.Sprintf("the test deployment also reached %s; only %s was asked for", u.DeviceID, p.testDevice))
			return
		}
		switch u.Stage {
		case StageFailed, StageNotReturned, StageSkipped:
			why := u.Error
			if why == "" {
				why = string(u.Stage)
			}
			p.failValidation(fmt.Sprintf("%s: %s", p.testDevice, why))
			return
		}
	}
	if p.test.Status == StatusCancelled {
		p.failValidation("the test deployment was cancelled")
		return
	}
	// Passed once the backend confirms the unit on the release: my_fleet is refused
	// (validation_required) until then, even when the synced fleet already shows the unit back
	// online on the new version (the backend confirms a little later).
	for _, u := range p.test.Units {
		if u.DeviceID == p.testDevice && u.Stage == StageConfirmed {
			p.validated = p.release
			p.step = StepReady
			return
		}
	}
	if limit := ReturnTimeout(p.release.Transport); p.now.Sub(p.testStarted) > limit {
		p.failValidation(fmt.Sprintf("%s did not come back online on %s within %s (%s)", p.testDevice, ver,
			Duration(limit), p.release.Transport.DisplayName()))
	}
}

// monitor updates the progress of the my_fleet rollout and decides on pausing and finishing.
func (p *Procedure) monitor() []Effect {
	ro := p.main
	p.progress = Track(ro, p.fleet, p.now)
	// A unit of another variant in the rollout means the backend is sending the release where it
	// must never go: stop everything.
	for _, u := range ro.Units {
		if d, ok := p.fleet.Get(u.DeviceID); ok && !Matches(p.release, d) {
			return p.emergencyStop(ro, fmt.Sprintf("the rollout included %s, a %s unit", d.ID, fleet.VariantOf(d)))
		}
	}
	var effects []Effect
	switch ro.Status {
	case StatusFinished, StatusCancelled:
		p.step = StepDone
		p.report = p.progress.Report(ro).WithFleet(p.testDevice, p.fleet)
		if ro.Status == StatusFinished {
			effects = append(effects, Notify{Title: "Rollout finished",
				Body: fmt.Sprintf("%s: %d confirmed, %d failed, %d never returned", p.release.Label(),
					len(p.report.Confirmed), len(p.report.Failed), len(p.report.NotReturned))})
		}
		return effects
	case StatusPaused:
		if !p.dealerPaused && !p.pauseNotified && p.pending == pendNone {
			// The backend paused it on its own (its copy of the threshold, or an operator).
			why := ro.Reason
			if why == "" {
				why = "paused by the backend"
			}
			p.pauseNotified, p.autoPaused = true, why
			effects = append(effects, Notify{Title: "Rollout paused itself", Body: p.release.Label() + ": " + why})
		}
		return effects
	case StatusRunning:
		f := p.progress.Failures
		if p.pending == pendNone && f > p.failuresAtResume && p.threshold.Reached(f, p.progress.Total) {
			why := fmt.Sprintf("%d of %d units failed, reaching the threshold of %s", f, p.progress.Total, p.threshold)
			effects = append(effects, PauseRollout{ID: ro.ID})
			if !p.pauseNotified {
				effects = append(effects, Notify{Title: "Rollout paused itself", Body: p.release.Label() + ": " + why})
			}
			p.pending, p.autoPaused, p.pauseNotified, p.autoPausing = pendControl, why, true, true
			return effects
		}
	}
	return nil
}

func (p *Procedure) control(from Status, verb string) ([]Effect, error) {
	if p.step != StepMonitoring || !p.hasMain {
		return nil, p.notNow(verb + " the rollout")
	}
	if p.pending != pendNone {
		return nil, ErrBusy
	}
	if p.main.Status != from {
		return nil, fmt.Errorf("cannot %s a %s rollout", verb, p.main.Status)
	}
	p.pending, p.lastErr = pendControl, ""
	if verb == "pause" {
		p.dealerPaused = true
		return []Effect{PauseRollout{ID: p.main.ID}}, nil
	}
	// The dealer resumes knowing the failures so far; only a further failure pauses again.
	p.failuresAtResume, p.pauseNotified, p.autoPaused, p.dealerPaused = p.progress.Failures, false, "", false
	return []Effect{ResumeRollout{ID: p.main.ID}}, nil
}

func (p *Procedure) cancel() ([]Effect, error) {
	if p.pending != pendNone {
		return nil, ErrBusy
	}
	switch {
	case p.step == StepValidating && p.hasTest:
		p.pending = pendControl
		return []Effect{CancelRollout{ID: p.test.ID}}, nil
	case p.step == StepMonitoring && p.hasMain:
		p.pending, p.lastErr = pendControl, ""
		return []Effect{CancelRollout{ID: p.main.ID}}, nil
	}
	return nil, p.notNow("cancel")
}

func (p *Procedure) controlled(e Controlled) ([]Effect, error) {
	if p.pending != pendControl {
		return nil, fmt.Errorf("no pause, resume or cancel was asked for")
	}
	p.pending = pendNone
	auto := p.autoPausing
	p.autoPausing = false
	if e.Err != nil {
		// A refused pause of our own is usually the backend having paused first (it keeps its own
		// copy of the threshold); the next look settles it, and a still-running rollout is paused
		// again then.
		if !auto {
			p.lastErr, p.lastFailure = e.Err.Error(), e.Err
		}
		return nil, nil
	}
	ro := e.Rollout
	if p.step == StepValidating {
		if p.hasTest && ro.ID == p.test.ID {
			p.test = ro
		}
		p.judgeTest()
		return nil, nil
	}
	return p.observe(&ro, nil, p.now), nil
}

func (p *Procedure) notNow(what string) error {
	return fmt.Errorf("cannot %s at step %q", what, p.step)
}
