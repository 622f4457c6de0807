package recovery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery/image"
	"github.com/fleetdesk/fleetdesk/app/recovery/smp"
)

// Defaults when Options leaves a field zero.
const (
	// DefaultPacket is the receive buffer assumed when the unit does not say (MCUboot's usual
	// 1 KiB); chunks adapt down from it when the unit drops them.
	DefaultPacket = 1024
	minPacket     = 128
	maxPacket     = 8192

	// DefaultResetWait is the silence after a reset. A bootloader built with
	// CONFIG_BOOT_SERIAL_WAIT_FOR_DFU listens after each restart (500 ms by default, counted from
	// its start and at least as long as its image check, which follows MCUboot's 250 ms delay
	// before it reboots) and stays in serial recovery if any request reaches it meanwhile. 2 s
	// clears that window with room for a slow image check; a longer window is met by the next
	// reset's longer silence (see Link.restart).
	DefaultResetWait = 2 * time.Second
	// maxResets bounds the resets of one flash whose reset goes unanswered; maxResetWait bounds
	// the silence after one.
	maxResets    = 3
	maxResetWait = 10 * time.Second
)

// Options tune a link. Zero values pick safe defaults for a real unit at the given baud.
type Options struct {
	Port string
	Baud int // default 115200
	// Open opens the port; default OpenPort (go.bug.st/serial).
	Open func(path string, baud int) (io.ReadWriteCloser, error)
	Log  ServiceLog // may be nil

	ProbeTimeout      time.Duration // per probe request, default 1s
	ChunkTimeout      time.Duration // per chunk; default 500ms plus three times the chunk's line time
	FirstChunkTimeout time.Duration // offset 0 erases the slot on many units, default 10s
	Retries           int           // attempts per chunk before reconnecting, default 4
	ReconnectTimeout  time.Duration // to find the unit again after a stall or a cable pull, default 20s
	// RestartTimeout is how long the unit may take to answer after the reset before FleetDesk
	// says its application could not be asked (many never answer SMP on this port), default 20s.
	RestartTimeout time.Duration
	// ResetWait is the silence after a reset before FleetDesk asks the unit anything, default
	// DefaultResetWait; each further reset of the same flash stays silent four times longer.
	ResetWait time.Duration
	Now       func() time.Time
}

func (o *Options) defaults() {
	if o.Baud <= 0 {
		o.Baud = DefaultBaud
	}
	if o.Open == nil {
		o.Open = OpenPort
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = time.Second
	}
	if o.FirstChunkTimeout <= 0 {
		o.FirstChunkTimeout = 10 * time.Second
	}
	if o.Retries <= 0 {
		o.Retries = 4
	}
	if o.ReconnectTimeout <= 0 {
		o.ReconnectTimeout = 20 * time.Second
	}
	if o.RestartTimeout <= 0 {
		o.RestartTimeout = 20 * time.Second
	}
	if o.ResetWait <= 0 {
		o.ResetWait = DefaultResetWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// UnitInfo is what a unit told us about itself.
type UnitInfo struct {
	HasIdentity bool
	Variant     fleet.Variant // valid only with HasIdentity
	Serial      string
	Slots       []smp.ImageSlot
	BufSize     int // from MCUmgr parameters, or the assumed default
	BufCount    int
	ParamsKnown bool
}

// Active is the running image slot: the one flagged active, else slot 0, the slot MCUboot boots
// from (its serial recovery never sends "active"); nil when no such slot is listed.
func (u UnitInfo) Active() *smp.ImageSlot {
	if a := u.running(); a != nil {
		return a
	}
	for i := range u.Slots {
		if u.Slots[i].Slot == 0 {
			return &u.Slots[i]
		}
	}
	return nil
}

// running is the slot an application reports active. MCUboot's serial recovery never sends
// "active" (not even with CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE), so nil after a restart means
// the bootloader answered, not the application.
func (u UnitInfo) running() *smp.ImageSlot {
	for i := range u.Slots {
		if smp.True(u.Slots[i].Active) {
			return &u.Slots[i]
		}
	}
	return nil
}

// FlagNames names the state flags a slot reports true, in the order a technician reads them.
func FlagNames(s smp.ImageSlot) []string {
	var out []string
	for _, f := range []struct {
		on   *bool
		name string
	}{{s.Active, "active"}, {s.Confirmed, "confirmed"}, {s.Pending, "pending"}, {s.Bootable, "bootable"}} {
		if smp.True(f.on) {
			out = append(out, f.name)
		}
	}
	return out
}

// ReportsState reports whether the unit sends image state flags at all. A stock MCUboot does not
// (CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE is off by default): then each listed slot passed the
// bootloader's validation, and nothing is known of pending or confirmed.
func (u UnitInfo) ReportsState() bool {
	for _, s := range u.Slots {
		if s.HasState() {
			return true
		}
	}
	return false
}

// ActiveVersion is the running firmware version, or "" when unknown.
func (u UnitInfo) ActiveVersion() string {
	if a := u.Active(); a != nil {
		return a.Version
	}
	return ""
}

// Link is one connection to a unit on a serial port. Its methods must not be called
// concurrently; run them off the UI goroutine.
type Link struct {
	opt  Options
	cl   *smp.Client
	unit UnitInfo
}

// Connect opens the port and probes the unit: it must answer (an echo, an error for one, or the
// image list), then identity, MCUmgr parameters and image state are read (the first two are
// optional).
func Connect(ctx context.Context, opt Options) (*Link, error) {
	opt.defaults()
	if opt.Port == "" {
		return nil, ErrNoPort
	}
	rw, err := opt.Open(opt.Port, opt.Baud)
	if err != nil {
		return nil, err
	}
	s := &Link{opt: opt, cl: smp.NewClient(rw)}
	if err := s.Probe(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the port.
func (s *Link) Close() error { return s.cl.Close() }

// Unit is what the last probe learned.
func (s *Link) Unit() UnitInfo { return s.unit }

// Port is the port path this link uses.
func (s *Link) Port() string { return s.opt.Port }

func (s *Link) probeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opt.ProbeTimeout)
}

// Probe (re)reads the unit's identity, parameters and image slots.
func (s *Link) Probe(ctx context.Context) error {
	var err error
	for range 3 {
		if err = s.answers(ctx); err == nil || ctx.Err() != nil || errors.Is(err, smp.ErrClosed) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("no answer from a unit in serial recovery on %s: %w", s.opt.Port, err)
	}
	var u UnitInfo
	var id smp.Identity
	err = s.retry(ctx, func(c context.Context) (err error) { id, err = s.cl.Identity(c); return })
	if err == nil {
		v, err := identityVariant(id)
		if err != nil {
			return err
		}
		u.HasIdentity, u.Variant, u.Serial = true, v, id.Serial
	} else if errors.Is(err, smp.ErrClosed) {
		return err
	}
	var p smp.Params
	err = s.retry(ctx, func(c context.Context) (err error) { p, err = s.cl.Params(c); return })
	u.BufSize, u.BufCount = DefaultPacket, 1
	if err == nil && p.BufSize > 0 {
		u.BufSize, u.BufCount, u.ParamsKnown = min(p.BufSize, maxPacket), max(p.BufCount, 1), true
	}
	err = s.retry(ctx, func(c context.Context) (err error) { u.Slots, err = s.cl.ImageState(c); return })
	if err != nil {
		return fmt.Errorf("read image state: %w", err)
	}
	s.unit = u
	return nil
}

// retry runs a probe request up to three times while the unit stays silent: a line may drop a
// packet, and a unit that does not know a command answers rather than stays silent.
func (s *Link) retry(ctx context.Context, f func(context.Context) error) error {
	var err error
	for range 3 {
		c, cancel := s.probeCtx(ctx)
		err = f(c)
		cancel()
		if !errors.Is(err, smp.ErrTimeout) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// identityVariant turns the identity group's answer into a variant; any inconsistency is refused,
// since the variant decides which images may be sent.
func identityVariant(id smp.Identity) (fleet.Variant, error) {
	var v fleet.Variant
	name := id.Model
	if name == "" {
		name = id.Engine
	}
	m, err := fleet.ParseModel(name)
	if err != nil {
		return v, fmt.Errorf("unit identity: %w", err)
	}
	if id.Engine != "" {
		e, err := fleet.ParseModel(id.Engine)
		if err != nil || e != m {
			return v, fmt.Errorf("unit identity is inconsistent: model %q, engine %q", id.Model, id.Engine)
		}
	}
	t, err := fleet.ParseTransport(id.Transport)
	if err != nil {
		return v, fmt.Errorf("unit identity: %w", err)
	}
	v = fleet.VariantFor(m, t)
	if id.Console != "" && !strings.EqualFold(id.Console, string(v.Console)) {
		return v, fmt.Errorf("unit identity is inconsistent: console %q for engine %s", id.Console, m)
	}
	return v, nil
}

// Plan is an image checked against this unit and ready to flash. Only Preflight makes one.
type Plan struct {
	Name          string
	Image         *image.Image
	Target        fleet.Variant
	VariantSource string
	FileSHA       []byte
	ChunkSize     int           // first chunk size the upload will try
	Estimate      time.Duration // at the line's stop-and-wait limit
	data          []byte
	link          *Link
	// older: the image is older than the running firmware. Recovery may need that, so it is
	// allowed, but only after the technician's explicit choice (AllowDowngrade).
	older, downgradeOK bool
	// newer: the image is newer than the known running firmware, so the upload carries the
	// "upgrade" key: an SMP server that honours it (Zephyr's img_mgmt) refuses the image if it
	// is not newer than what it runs after all. MCUboot's serial recovery ignores the key, so
	// the downgrade check above is FleetDesk's own and is never left to the unit. Same-version
	// reinstalls and chosen downgrades go without the key, or such a unit would refuse them.
	newer bool
	// running is the slot the unit ran when the image was checked; Flash refuses to send
	// anything if it runs another image by then.
	running *smp.ImageSlot
}

// Downgrade reports whether the image is older than the firmware the unit runs.
func (p *Plan) Downgrade() bool { return p.older }

// AllowDowngrade records the technician's explicit choice to flash an older image; Flash refuses
// a downgrade without it.
func (p *Plan) AllowDowngrade(ok bool) { p.downgradeOK = ok }

// UpgradeOnly reports whether the upload asks the unit to refuse anything not newer than it runs
// (the "upgrade" key; a stock MCUboot ignores it).
func (p *Plan) UpgradeOnly() bool { return p.newer }

// Summary is the preflight summary a technician confirms.
func (p *Plan) Summary() []string {
	u := p.link.unit
	before := u.ActiveVersion()
	if before == "" {
		before = "unknown"
	}
	who := "unit reports " + p.Target.String()
	if p.VariantSource != "unit" {
		who = "chosen by technician: " + p.Target.String() + " (unit does not identify itself)"
	}
	change := "Running now: " + before + " → after: " + p.Image.Version.String()
	if p.older {
		change += " (DOWNGRADE: the image is older than the running firmware)"
	}
	return []string{
		"Unit: " + who + serialSuffix(u.Serial),
		"Image: " + p.Name + ", version " + p.Image.Version.String() + " for " + p.Image.Variant.String(),
		fmt.Sprintf("Size: %d bytes, SHA-256 %s…", len(p.data), hex.EncodeToString(p.Image.Hash[:8])),
		change,
		fmt.Sprintf("Estimated time: %s at %d baud", p.Estimate.Round(time.Second), p.link.opt.Baud),
	}
}

func serialSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ", serial " + s
}

// Preflight parses and checks an image against the unit (or against choice when the unit does not
// identify itself) without sending anything. choice may be nil for units with identity; when
// both exist they must agree.
func (s *Link) Preflight(name string, data []byte, choice *fleet.Variant) (*Plan, error) {
	img, err := image.Parse(data)
	if err != nil {
		return nil, err
	}
	target, source := s.unit.Variant, "unit"
	switch {
	case s.unit.HasIdentity && choice != nil && *choice != s.unit.Variant:
		return nil, fmt.Errorf("%w: the unit reports %s but %s was chosen", image.ErrMismatch, s.unit.Variant, *choice)
	case !s.unit.HasIdentity && choice == nil:
		return nil, errors.New("the unit does not identify itself: choose its model and transport explicitly")
	case !s.unit.HasIdentity:
		if !choice.Model.Valid() || !choice.Transport.Valid() {
			return nil, errors.New("choose a known model and transport")
		}
		target, source = fleet.VariantFor(choice.Model, choice.Transport), "technician"
	}
	if err := img.Check(target); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p := &Plan{Name: name, Image: img, Target: target, VariantSource: source, FileSHA: sum[:],
		data: append([]byte(nil), data...), link: s}
	if a := s.unit.Active(); a != nil {
		run := *a
		p.running = &run
		c := fleet.CompareVersions(img.Version.String(), a.Version)
		p.older, p.newer = c < 0, c > 0
	}
	p.ChunkSize = s.chunkData(s.unit.BufSize, 0, len(data), true)
	p.Estimate = lineTime(estimateWire(len(data), p.ChunkSize), s.opt.Baud)
	return p, nil
}

// RecordRefusal writes a service log entry for an image refused at preflight, so refusals leave a trace.
func (s *Link) RecordRefusal(name string, data []byte, refusal error) {
	if s.opt.Log == nil {
		return
	}
	e := ServiceLogEntry{When: s.opt.Now(), Port: s.opt.Port, UnitSerial: s.unit.Serial, Variant: s.unit.Variant,
		Image: name, VersionBefore: s.unit.ActiveVersion(), Result: ResultRefused, Error: refusal.Error()}
	if s.unit.HasIdentity {
		e.VariantSource = "unit"
	}
	if img, err := image.Parse(data); err == nil {
		e.ImageVersion, e.ImageHash = img.Version.String(), hex.EncodeToString(img.Hash)
	}
	_ = s.opt.Log.Record(e)
}

func lineTime(wire int64, baud int) time.Duration {
	return time.Duration(wire * 10 * int64(time.Second) / int64(baud))
}

// estimateWire is the wire bytes of a stop-and-wait upload of n bytes in chunks of c bytes,
// counting an answer of about 24 bytes per chunk.
func estimateWire(n, c int) int64 {
	if c <= 0 {
		return 0
	}
	chunks := (n + c - 1) / c
	return int64(chunks) * int64(smp.EncodedLen(c+32)+smp.EncodedLen(8+16))
}

// chunkData is the largest data length (a multiple of 8, as flash writes like) whose upload
// packet fits a receive buffer of pkt bytes.
func (s *Link) chunkData(pkt, off, total int, first bool) int {
	req := smp.UploadRequest{Off: max(off, total)}
	if first {
		req.Off = 0
		req.Len = &total
		req.Sha = make([]byte, sha256.Size)
		req.Upgrade = new(bool) // counted whether sent or not: a byte or two of margin
	}
	n := pkt - smp.UploadPacketSize(req)
	scratch := make([]byte, max(n, 0))
	for n > 0 {
		req.Data = scratch[:n]
		if smp.UploadPacketSize(req) <= pkt {
			break
		}
		n--
	}
	return max(n&^7, 0)
}

// ErrDowngrade is returned by Flash for an image older than the running firmware when the
// technician did not choose to downgrade; nothing was sent. This check is FleetDesk's own and
// the only downgrade guard a stock MCUboot has: its serial recovery ignores the "upgrade" key.
var ErrDowngrade = errors.New("the image is older than the firmware the unit runs: flashing it is a downgrade and needs your explicit choice; nothing was sent")

// ErrUnitRefusedOlder is returned when the unit itself refused the image as not newer than the
// firmware it runs (an SMP server that honours the "upload" key's upgrade-only semantics, such as
// Zephyr's img_mgmt); nothing was written and it was not reset.
var ErrUnitRefusedOlder = errors.New("the unit refused the image: it is not newer than the firmware the unit runs; nothing was written and the unit was not reset")

// ErrUnitChanged is returned when the firmware the unit runs is not the one the image was checked
// against (another unit on the cable, or a flash since); nothing was sent.
var ErrUnitChanged = errors.New("the unit's firmware changed since the image was checked")

// ErrCancelled is returned when the technician cancelled; the unit was not reset. The error's
// text goes on to say whether the unit still holds its previous firmware, when that is known.
var ErrCancelled = errors.New("flash cancelled; the unit was not reset")

// ErrFirmwareErased is wrapped by Flash's error when an upload stopped after the unit's
// bootloader erased the firmware it ran: MCUboot's serial recovery writes straight into the slot
// it boots from, and the first chunk erases it.
var ErrFirmwareErased = errors.New("the unit's bootloader erased its previous firmware when the upload began, so it has no bootable firmware now and stays in serial recovery: flash it again before you disconnect it")

// ErrNotStarted is wrapped by Flash's error when the image was written and verified but the unit
// did not start it (OutcomeVerified): the reset was refused or not taken, or the unit came back
// in its bootloader.
var ErrNotStarted = errors.New("written and verified, but the unit has not started the new image")

// ErrOtherImage is wrapped by Flash's error when the unit restarted and its application reports
// another image active (OutcomeOtherImage).
var ErrOtherImage = errors.New("written and verified, but after the restart the unit runs another image")

// ImageTooLargeError is the unit refusing an upload's first chunk with rc 3 (invalid argument):
// what MCUboot's serial recovery answers for an image larger than its slot, checked before it
// erases anything.
type ImageTooLargeError struct {
	Size     int   // the image's bytes
	SlotSize int   // the unit's largest image, when it reports one (MCUboot's slot info); else 0
	Err      error // the unit's answer
}

func (e *ImageTooLargeError) Error() string {
	slot := "the unit does not report its slot size"
	if e.SlotSize > 0 {
		slot = fmt.Sprintf("the slot takes at most %d bytes", e.SlotSize)
	}
	return fmt.Sprintf("the unit refused the image at its start (%v): most likely the image (%d bytes) is larger than the unit's firmware slot (%s)",
		e.Err, e.Size, slot)
}

func (e *ImageTooLargeError) Unwrap() error { return e.Err }

// Flash checks the unit still runs what the plan was checked against, uploads the image,
// verifies the unit holds it, resets the unit and asks it what it runs after the restart. ctx
// cancels at the next chunk boundary. progress may be nil. res.Outcome says how far it got, also
// with an error; OutcomeRestarted (the application does not answer SMP, so it could not be
// asked) is no error. A service log entry is recorded whatever the outcome.
func (s *Link) Flash(ctx context.Context, p *Plan, progress func(Progress)) (res Result, err error) {
	if p == nil || p.link != s {
		return res, errors.New("flash needs a preflight plan from this link")
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	// The unit could have been swapped for another since preflight: check again.
	if s.unit.HasIdentity && (p.VariantSource != "unit" || p.Target != s.unit.Variant) {
		return res, fmt.Errorf("%w: the unit changed since the preflight check", image.ErrMismatch)
	}
	if err := p.Image.Check(p.Target); err != nil {
		return res, err
	}
	if p.older && !p.downgradeOK {
		s.RecordRefusal(p.Name, p.data, ErrDowngrade)
		return res, ErrDowngrade
	}
	if err := s.recheck(ctx, p); err != nil {
		if errors.Is(err, ErrUnitChanged) {
			s.RecordRefusal(p.Name, p.data, err)
		}
		return res, err
	}
	start := s.opt.Now()
	before := s.unit.Active()
	res.VersionBefore, res.Image = s.unit.ActiveVersion(), p.Image.Version.String()
	defer func() {
		if s.opt.Log == nil {
			return
		}
		e := ServiceLogEntry{When: start, Port: s.opt.Port, UnitSerial: s.unit.Serial, Variant: p.Target,
			VariantSource: p.VariantSource, Image: p.Name, ImageVersion: p.Image.Version.String(),
			ImageHash: hex.EncodeToString(p.Image.Hash), VersionBefore: res.VersionBefore,
			VersionAfter: res.VersionAfter, Result: ResultOK, Bytes: res.Bytes, Duration: s.opt.Now().Sub(start),
			Throughput: res.Throughput, Outcome: res.Outcome, Proof: res.Proof}
		switch {
		case errors.Is(err, ErrCancelled):
			e.Result = ResultCancelled
		case err != nil:
			e.Result = ResultFailed
		}
		if err != nil {
			e.Error = err.Error()
		}
		if lerr := s.opt.Log.Record(e); lerr != nil && err == nil {
			err = fmt.Errorf("flashed, but the service log entry could not be saved: %w", lerr)
		}
	}()

	if err := s.upload(ctx, p, &res, progress); err != nil {
		return res, s.interrupted(err, before)
	}

	progress(Progress{Stage: StageVerify, Sent: res.Bytes, Total: res.Bytes})
	var slots []smp.ImageSlot
	err = s.retry(context.Background(), func(c context.Context) (err error) { slots, err = s.cl.ImageState(c); return })
	if err != nil {
		return res, fmt.Errorf("verify: read image state: %w (the unit was not reset)", err)
	}
	s.unit.Slots = slots
	proof, err := s.proof(p.Image.Hash)
	if err != nil {
		return res, fmt.Errorf("verify: %w; it was not reset", err)
	}
	res.Outcome, res.Proof = OutcomeVerified, proof
	progress(Progress{Stage: StageVerify, Sent: res.Bytes, Total: res.Bytes, Note: "verified: " + proof})
	if ctx.Err() != nil {
		return res, fmt.Errorf("%w: it holds the verified new image and may start it at its next restart", ErrCancelled)
	}
	return res, s.restart(p, &res, progress)
}

// restart resets the unit and asks it, once it answers again, which image runs. An application
// that never answers on this port is told as such (OutcomeRestarted), not as a failure.
func (s *Link) restart(p *Plan, res *Result, progress func(Progress)) error {
	done := func(note string) { progress(Progress{Stage: StageDone, Sent: res.Bytes, Total: res.Bytes, Note: note}) }
	quiet, longer := s.opt.ResetWait, false // longer: the silence was lengthened once already
	for attempt := 1; ; attempt++ {
		progress(Progress{Stage: StageReset, Sent: res.Bytes, Total: res.Bytes})
		c, cancel := s.probeCtx(context.Background())
		rerr := s.cl.Reset(c)
		cancel()
		if rerr != nil && !errors.Is(rerr, smp.ErrTimeout) && !errors.Is(rerr, smp.ErrClosed) {
			// A unit may reboot before its answer leaves; a refusal is another matter.
			return fmt.Errorf("%w: the unit refused the reset (%v)", ErrNotStarted, rerr)
		}
		res.ResetAnswered = res.ResetAnswered || rerr == nil
		// Silence first: a question in the window of a bootloader that waits for DFU after a
		// restart would keep the unit in serial recovery.
		time.Sleep(quiet)
		progress(Progress{Stage: StageReconnect, Sent: res.Bytes, Total: res.Bytes,
			Note: fmt.Sprintf("waiting up to %s for the unit to answer after its restart (many applications never answer on this port; that is no failure)",
				s.opt.RestartTimeout.Round(time.Second))})
		if err := s.reconnect(context.Background(), res, s.opt.RestartTimeout); err != nil {
			// Silence (or a port that went away) after the reset: the bootloader restarted the
			// unit, and whatever runs now does not speak SMP here. Not a failure.
			res.Outcome, res.Silence = OutcomeRestarted, err.Error()
			done("restarted; nothing answers on this port")
			return nil
		}
		progress(Progress{Stage: StageConfirm, Sent: res.Bytes, Total: res.Bytes})
		if err := s.Probe(context.Background()); err != nil {
			// Something answers, but does not say which image runs: still not asked.
			res.Outcome, res.Silence, res.AnsweredAfter = OutcomeRestarted, err.Error(), true
			done("restarted; what answers does not report its images")
			return nil
		}
		a := s.unit.running()
		switch {
		case a != nil && bytes.Equal(a.Hash, p.Image.Hash):
			res.Outcome, res.VersionAfter = OutcomeConfirmed, a.Version
			done("running " + a.Version)
			return nil
		case rerr != nil && attempt < maxResets && (a == nil || s.holdsPending(p.Image.Hash)):
			// An unanswered reset may never have arrived: the bootloader still answers, or
			// the verified image still waits in its slot. Ask again (at most three times).
			continue
		case a == nil && !longer:
			// The bootloader answered after it restarted the unit. One built with
			// CONFIG_BOOT_SERIAL_WAIT_FOR_DFU stays in serial recovery when a request reaches
			// it in its window after a restart, and its window may be longer than our silence:
			// our own question kept it. Reset again and stay silent longer.
			progress(Progress{Stage: StageReset, Sent: res.Bytes, Total: res.Bytes,
				Note: fmt.Sprintf("the bootloader answered after the restart (its wait for commands, CONFIG_BOOT_SERIAL_WAIT_FOR_DFU, may be longer than %s); resetting again and staying silent for %s",
					quiet, s.longerQuiet(quiet))})
			quiet, longer = s.longerQuiet(quiet), true
			continue
		case a == nil && rerr != nil:
			return fmt.Errorf("%w: the unit did not restart after %d reset requests; its bootloader still answers", ErrNotStarted, attempt)
		case a == nil:
			return fmt.Errorf("%w: the bootloader restarted the unit, but the bootloader answered again instead of the application, also after a reset followed by %s of silence: the unit stays in serial recovery (is its recovery button still held, or does its bootloader wait for commands after a restart even longer?)",
				ErrNotStarted, quiet)
		}
		res.Outcome, res.VersionAfter = OutcomeOtherImage, a.Version
		return fmt.Errorf("%w: its application reports %s active, not the uploaded %s; the bootloader did not boot the new image, or reverted it",
			ErrOtherImage, a.Version, p.Image.Version)
	}
}

// longerQuiet is the silence after the next reset of a flash, when the bootloader answered after
// one with silence q: four times longer, up to maxResetWait (or ResetWait if that is longer).
func (s *Link) longerQuiet(q time.Duration) time.Duration {
	return min(q*4, max(maxResetWait, s.opt.ResetWait))
}

// recheck reads the unit's image list again just before the upload: the downgrade check and the
// summary the technician confirmed were made against the firmware the unit ran then, and another
// unit may be on the cable now. A stock MCUboot ignores the "upgrade" key, so this is the guard.
func (s *Link) recheck(ctx context.Context, p *Plan) error {
	var slots []smp.ImageSlot
	err := s.retry(ctx, func(c context.Context) (err error) { slots, err = s.cl.ImageState(c); return })
	if err != nil {
		return fmt.Errorf("read image state before the upload: %w; nothing was sent", err)
	}
	s.unit.Slots = slots
	now := s.unit.Active()
	if sameImage(now, p.running) {
		return nil
	}
	return fmt.Errorf("%w (it ran %s then, %s now): check the image again; nothing was sent",
		ErrUnitChanged, slotVersion(p.running), slotVersion(now))
}

func sameImage(a, b *smp.ImageSlot) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Hash != nil || b.Hash != nil {
		return bytes.Equal(a.Hash, b.Hash)
	}
	return a.Version == b.Version
}

func slotVersion(s *smp.ImageSlot) string {
	if s == nil {
		return "nothing"
	}
	return s.Version
}

// interrupted completes an upload's error with what the unit holds now, when it can still be
// asked: MCUboot's serial recovery writes into the slot it boots from, and the first chunk erased
// the firmware it ran.
func (s *Link) interrupted(err error, before *smp.ImageSlot) error {
	if before == nil || errors.Is(err, ErrUnitRefusedOlder) {
		return err
	}
	c, cancel := s.probeCtx(context.Background())
	slots, lerr := s.cl.ImageState(c)
	cancel()
	if lerr != nil {
		return err
	}
	s.unit.Slots = slots
	for _, sl := range slots {
		if bytes.Equal(sl.Hash, before.Hash) && (before.Hash != nil || sl.Version == before.Version) {
			if errors.Is(err, ErrCancelled) {
				return fmt.Errorf("%w: it still holds its previous firmware (%s)", err, before.Version)
			}
			return err
		}
	}
	return fmt.Errorf("%w; %w (it ran %s)", err, ErrFirmwareErased, before.Version)
}

// proof says how the unit showed it holds an image with hash, or why it did not. A unit that
// reports image state must call the slot bootable. A unit that reports none (a stock MCUboot:
// CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE is off by default) lists a slot only after its own
// validation of the image passed, so a listed slot with the hash is the proof.
func (s *Link) proof(hash []byte) (string, error) {
	states, hashes := false, false
	for _, sl := range s.unit.Slots {
		states = states || sl.HasState()
		hashes = hashes || sl.Hash != nil
	}
	for _, sl := range s.unit.Slots {
		if !bytes.Equal(sl.Hash, hash) {
			continue
		}
		if !states {
			return fmt.Sprintf("the bootloader lists slot %d with the image's SHA-256; it reports no state flags, and MCUboot lists a slot only after the image passed its validation", sl.Slot), nil
		}
		if smp.True(sl.Bootable) {
			return fmt.Sprintf("slot %d holds the image's SHA-256 and the unit reports it bootable", sl.Slot), nil
		}
		return "", fmt.Errorf("the unit holds the uploaded hash in slot %d but does not report it bootable", sl.Slot)
	}
	if !hashes && len(s.unit.Slots) > 0 {
		return "", errors.New("the unit reports no image hashes (a bootloader built without CONFIG_BOOT_SERIAL_IMG_GRP_HASH), so the upload cannot be verified")
	}
	return "", errors.New("the unit does not list the uploaded image: its validation of the image failed (MCUboot lists only images that pass it)")
}

// holdsPending reports whether the uploaded image still waits in a slot other than the running
// one, per the last probe: a reset that never arrived leaves it there.
func (s *Link) holdsPending(hash []byte) bool {
	for _, sl := range s.unit.Slots {
		if bytes.Equal(sl.Hash, hash) && !smp.True(sl.Active) && (!sl.HasState() || smp.True(sl.Bootable)) {
			return true
		}
	}
	return false
}

// answers asks whether a unit is on the line: an echo, and when that goes unanswered the image
// list (a unit may drop an echo it was built without). Any answer counts, an error included.
func (s *Link) answers(ctx context.Context) error {
	c, cancel := s.probeCtx(ctx)
	r, err := s.cl.Echo(c, "fleetdesk")
	cancel()
	var de *smp.DeviceError
	switch {
	case errors.As(err, &de):
		return nil // a bootloader built without echo (CONFIG_BOOT_MGMT_ECHO=n) still answers: it is there
	case err == nil && r != "fleetdesk":
		return fmt.Errorf("unit echoed %q", r)
	case !errors.Is(err, smp.ErrTimeout) || ctx.Err() != nil:
		return err
	}
	c, cancel = s.probeCtx(ctx)
	_, lerr := s.cl.ImageState(c)
	cancel()
	if lerr == nil || errors.As(lerr, &de) {
		return nil
	}
	return err
}

// reconnect waits up to wait for the unit to answer, reopening the port when the line is gone
// (USB adapters can vanish and return across a reboot or a cable pull).
func (s *Link) reconnect(ctx context.Context, res *Result, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	var last error
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ErrCancelled
		}
		err := s.answers(ctx)
		if err == nil {
			return nil
		}
		last = err
		if errors.Is(err, smp.ErrClosed) {
			s.cl.Close()
			time.Sleep(200 * time.Millisecond)
			rw, oerr := s.opt.Open(s.opt.Port, s.opt.Baud)
			if oerr != nil {
				last = oerr
				continue
			}
			res.Reconnects++
			s.cl = smp.NewClient(rw)
		}
	}
	return fmt.Errorf("the unit did not answer within %s: %v", wait, last)
}

// maxWindow bounds how many chunks are in flight on a unit that announces several buffers.
const maxWindow = 4

// flight is a chunk sent and not yet answered.
type flight struct {
	p         *smp.Pending
	off, n    int
	full      int // the chunk size for this packet budget (n is less on the last chunk)
	firstSent bool
}

// upload sends the image, always continuing from the offset the unit returns. With one unit
// buffer it is stop-and-wait; when MCUmgr parameters announce more, up to maxWindow chunks are in
// flight (never beyond the first chunk, which may erase the slot and carries len and sha).
func (s *Link) upload(ctx context.Context, p *Plan, res *Result, progress func(Progress)) error {
	data := p.data
	total := len(data)
	res.Bytes = int64(total)
	pkt := s.unit.BufSize
	window := 1
	if s.unit.ParamsKnown && s.unit.BufCount > 1 {
		window = min(s.unit.BufCount, maxWindow)
	}
	if !s.unit.ParamsKnown {
		pkt = s.probeBuffer(ctx, pkt, progress, total)
	}
	tx0, rx0, _ := s.cl.Stats()
	var txPrev, rxPrev int64 // wire counts of clients replaced by reconnects
	t0 := time.Now()
	off, next, timeouts := 0, 0, 0
	proven := false // a chunk of the current packet size got through
	var inflight []flight
	abandon := func() {
		for _, f := range inflight {
			s.cl.Forget(f.p)
		}
		inflight = nil
		next = off
	}
	reopen := func() error {
		abandon()
		tx, rx, _ := s.cl.Stats()
		txPrev, rxPrev = txPrev+tx-tx0, rxPrev+rx-rx0
		if err := s.reopen(ctx, res); err != nil {
			return fmt.Errorf("upload stopped at offset %d of %d: %w", off, total, err)
		}
		tx0, rx0, _ = s.cl.Stats()
		timeouts = 0
		return nil
	}
	for off < total {
		if ctx.Err() != nil {
			abandon()
			return ErrCancelled
		}
		var sendErr error
		for len(inflight) < window && next < total && (len(inflight) == 0 || inflight[0].off != 0) {
			first := next == 0
			full := s.chunkData(pkt, next, total, first)
			n := min(full, total-next)
			if n <= 0 {
				return fmt.Errorf("the unit's buffer (%d bytes) is too small for any upload chunk", pkt)
			}
			req := smp.UploadRequest{Off: next, Data: data[next : next+n]}
			if first {
				req.Len, req.Sha = &total, p.FileSHA
				if p.newer {
					up := true
					req.Upgrade = &up
				}
			}
			pd, err := s.cl.SendUpload(req)
			if err != nil {
				sendErr = err
				break
			}
			inflight = append(inflight, flight{p: pd, off: next, n: n, full: full, firstSent: first})
			next += n
		}
		if sendErr != nil && len(inflight) == 0 {
			if !errors.Is(sendErr, smp.ErrClosed) {
				return fmt.Errorf("upload at offset %d: %w", off, sendErr)
			}
			if err := reopen(); err != nil {
				return err
			}
			continue
		}
		f := inflight[0]
		inflight = inflight[1:]
		timeout := s.opt.ChunkTimeout
		if timeout <= 0 {
			// Request and answer on the line, the flash write, and room for a busy host.
			timeout = 500*time.Millisecond + 3*lineTime(int64(smp.EncodedLen(f.full+64)), s.opt.Baud)
		}
		if f.firstSent {
			timeout = s.opt.FirstChunkTimeout
		}
		c, cancel := context.WithTimeout(context.Background(), timeout)
		r, err := s.cl.AwaitUpload(c, f.p)
		cancel()
		switch {
		case errors.Is(err, smp.ErrTimeout):
			abandon()
			res.Retries++
			timeouts++
			note := fmt.Sprintf("no answer at offset %d, retrying", f.off)
			// Two silences in a row with nothing yet through at this size: the unit most
			// likely drops packets this big.
			if timeouts%2 == 0 && pkt > minPacket && !proven {
				pkt = max(pkt/2, minPacket)
				note = fmt.Sprintf("no answer at offset %d, packet size reduced to %d", f.off, pkt)
			}
			if timeouts > s.opt.Retries+2 {
				if err := reopen(); err != nil {
					return err
				}
				note = fmt.Sprintf("reconnected, resuming near offset %d", off)
			}
			progress(Progress{Stage: StageUpload, Sent: int64(off), Total: int64(total), ChunkSize: f.full, Note: note})
			continue
		case errors.Is(err, smp.ErrClosed):
			if err := reopen(); err != nil {
				return err
			}
			continue
		case err != nil:
			abandon()
			if f.firstSent && p.newer && refusedAsOlder(err) {
				return ErrUnitRefusedOlder
			}
			if f.firstSent && refusedInvalid(err) {
				return &ImageTooLargeError{Size: total, SlotSize: s.slotSize(ctx), Err: err}
			}
			return fmt.Errorf("upload at offset %d: %w", f.off, err)
		}
		if r.Off > total {
			abandon()
			return fmt.Errorf("upload: the unit reports offset %d beyond the image's %d bytes", r.Off, total)
		}
		if r.Match != nil && !*r.Match {
			abandon()
			return errors.New("upload: the unit's SHA-256 of the received file does not match; it was not reset")
		}
		timeouts, proven = 0, true
		off = r.Off
		if off != f.off+f.n {
			// The unit expects another offset (a chunk was lost, or it restarted): chunks
			// already in flight were answered with the same news; resend from its offset.
			abandon()
		}
		res.ChunkSize = f.full
		el := time.Since(t0)
		rate := float64(off) / el.Seconds()
		var eta time.Duration
		if rate > 0 {
			eta = time.Duration(float64(total-off) / rate * float64(time.Second))
		}
		progress(Progress{Stage: StageUpload, Sent: int64(off), Total: int64(total), Rate: rate, ETA: eta, ChunkSize: f.full})
	}
	res.UploadTime = time.Since(t0)
	res.Throughput = float64(total) / res.UploadTime.Seconds()
	tx, rx, _ := s.cl.Stats()
	res.WireTx, res.WireRx = txPrev+tx-tx0, rxPrev+rx-rx0
	res.LineEfficiency = lineTime(res.WireTx+res.WireRx, s.opt.Baud).Seconds() / res.UploadTime.Seconds()
	return nil
}

// refusedAsOlder reports whether an answer to an upload's first chunk sent with the "upgrade" key
// is the unit's refusal of an image that is not newer: Zephyr's img_mgmt answers SMP v2 with
// group 1 rc 27 (IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER) and SMP v1 with MGMT_ERR_EBADSTATE.
func refusedAsOlder(err error) bool {
	var de *smp.DeviceError
	if !errors.As(err, &de) {
		return false
	}
	return (de.Group == int(smp.GroupImage) && de.RC == imgErrVersionIsNewer) || (de.Group < 0 && de.RC == smp.RCBadState)
}

// refusedInvalid reports whether err is rc 3 (invalid argument), MCUboot's answer to a first chunk
// whose len does not fit its slot (boot_serial.c checks it before erasing anything).
func refusedInvalid(err error) bool {
	var de *smp.DeviceError
	return errors.As(err, &de) && de.RC == smp.RCInval && (de.Group < 0 || de.Group == int(smp.GroupImage))
}

// slotSize asks the unit for its largest image (MCUboot's slot info, off by default); 0 when it
// does not say.
func (s *Link) slotSize(ctx context.Context) int {
	c, cancel := s.probeCtx(ctx)
	defer cancel()
	n, err := s.cl.SlotSize(c)
	if err != nil {
		return 0
	}
	return n
}

// imgErrVersionIsNewer is IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER in the image group's SMP v2 codes.
const imgErrVersionIsNewer = 27

// probeOffset is an upload offset no upload ever reaches: a chunk sent there is answered with
// the unit's current offset (or an error) and never written, on MCUboot and on Zephyr alike.
const probeOffset = 1 << 30

// probeBuffer finds a packet size the unit accepts when it does not announce its buffer: a
// chunk of zeros at probeOffset, halved while the unit stays silent. Any answer, even an error,
// proves the packet arrived whole. Doing this with a short timeout spares the upload's first
// chunk, whose timeout must allow a slot erase, from learning it the slow way.
func (s *Link) probeBuffer(ctx context.Context, pkt int, progress func(Progress), total int) int {
	for pkt > minPacket && ctx.Err() == nil {
		n := s.chunkData(pkt, probeOffset, probeOffset, false)
		var err error
		for range 2 {
			c, cancel := s.probeCtx(ctx)
			_, err = s.cl.Upload(c, smp.UploadRequest{Off: probeOffset, Data: make([]byte, n)})
			cancel()
			if !errors.Is(err, smp.ErrTimeout) {
				break
			}
		}
		if !errors.Is(err, smp.ErrTimeout) {
			return pkt
		}
		pkt = max(pkt/2, minPacket)
		progress(Progress{Stage: StageUpload, Total: int64(total),
			Note: fmt.Sprintf("the unit drops big packets: trying %d bytes", pkt)})
	}
	return pkt
}

// reopen closes the line and waits for the unit to answer again on a freshly opened port.
func (s *Link) reopen(ctx context.Context, res *Result) error {
	s.cl.Close()
	deadline := time.Now().Add(s.opt.ReconnectTimeout)
	var last error
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ErrCancelled
		}
		rw, err := s.opt.Open(s.opt.Port, s.opt.Baud)
		if err != nil {
			last = err
			time.Sleep(300 * time.Millisecond)
			continue
		}
		s.cl = smp.NewClient(rw)
		res.Reconnects++
		if err := s.reconnect(ctx, res, s.opt.ReconnectTimeout); err == nil {
			return nil
		} else {
			last = err
		}
	}
	return fmt.Errorf("lost the unit: %v", last)
}
