package recovery_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/recovery/image"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

var d180gsm = fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportGSM}

// memLog is a ServiceLog kept in memory.
type memLog struct {
	mu sync.Mutex
	e  []recovery.ServiceLogEntry
}

func (l *memLog) Record(e recovery.ServiceLogEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.e = append(l.e, e)
	return nil
}

func (l *memLog) entries() []recovery.ServiceLogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.e)
}

// startUnit serves a simulated unit on a real pty and returns it with the terminal path.
func startUnit(t testing.TB, cfg unit.Config) (*unit.Unit, string) {
	t.Helper()
	u, err := unit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := u.ServePTY(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return u, p.Path
}

// fastOptions keeps tests quick: short timeouts suit an unpaced or 921600 baud pty.
func fastOptions(port string, baud int, log recovery.ServiceLog) recovery.Options {
	return recovery.Options{Port: port, Baud: baud, Log: log,
		ProbeTimeout: 400 * time.Millisecond, ChunkTimeout: 400 * time.Millisecond,
		FirstChunkTimeout: 400 * time.Millisecond, ReconnectTimeout: 5 * time.Second,
		ResetWait: 50 * time.Millisecond}
}

func buildImage(t testing.TB, v fleet.Variant, version string, n int) []byte {
	t.Helper()
	b, err := fwimage.Build(v, version, fwimage.Payload(v, version, n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flashD180 builds a D180 GSM image of the given version with n payload bytes, checks it against
// the unit and flashes it; any error ends the test.
func flashD180(t testing.TB, s *recovery.Link, version string, n int) ([]byte, recovery.Result) {
	t.Helper()
	data := buildImage(t, d180gsm, version, n)
	plan, err := s.Preflight("f", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Flash(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	return data, res
}

func connect(t testing.TB, opt recovery.Options) *recovery.Link {
	t.Helper()
	s, err := recovery.Connect(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFlashVerifyResetConfirm(t *testing.T) {
	u, port := startUnit(t, unit.Config{Baud: 921600, Version: "2.3.0"})
	log := &memLog{}
	s := connect(t, fastOptions(port, 921600, log))
	info := s.Unit()
	if !info.HasIdentity || info.Variant != d180gsm || info.Serial != "SIM-D180-0001" {
		t.Fatalf("identity %+v", info)
	}
	if info.ActiveVersion() != "2.3.0" || !info.ParamsKnown || info.BufSize != 1024 {
		t.Fatalf("unit %+v", info)
	}
	data := buildImage(t, d180gsm, "2.4.0", 20000)
	plan, err := s.Preflight("d180-gsm-2.4.0.bin", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum := strings.Join(plan.Summary(), "\n"); !strings.Contains(sum, "2.3.0 → after: 2.4.0") {
		t.Fatalf("summary:\n%s", sum)
	}
	var stages []recovery.Stage
	var lastSent int64
	res, err := s.Flash(context.Background(), plan, func(p recovery.Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
		if p.Stage == recovery.StageUpload {
			if p.Sent < lastSent {
				t.Errorf("progress went back from %d to %d", lastSent, p.Sent)
			}
			lastSent = p.Sent
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.VersionBefore != "2.3.0" || res.VersionAfter != "2.4.0" || res.Outcome != recovery.OutcomeConfirmed ||
		!strings.Contains(res.Proof, "reports it bootable") {
		t.Fatalf("versions %q → %q, %+v", res.VersionBefore, res.VersionAfter, res)
	}
	want := []recovery.Stage{recovery.StageUpload, recovery.StageVerify, recovery.StageReset,
		recovery.StageReconnect, recovery.StageConfirm, recovery.StageDone}
	if !slices.Equal(stages, want) {
		t.Fatalf("stages %v", stages)
	}
	st := u.Stats()
	// A loaded machine may make a chunk miss its short test timeout and go again; the upload
	// must still never restart from zero.
	if st.Restarts != 1 || st.UploadBytes < int64(len(data)) || st.UploadBytes > int64(len(data)+3*res.ChunkSize) || st.Resets != 1 || st.Bricked {
		t.Fatalf("unit stats %+v", st)
	}
	if sl := u.Slots(); sl[0].Version != "2.4.0" || sl[1].Version != "2.3.0" {
		t.Fatalf("slots after swap: %+v %+v", sl[0], sl[1])
	}
	// The chunk fills the unit's 1 KiB buffer (less the SMP and CBOR overhead) and the
	// upload keeps the line busy.
	if res.ChunkSize < 900 || res.ChunkSize > 1000 {
		t.Fatalf("chunk size %d for a 1024-byte buffer", res.ChunkSize)
	}
	e := log.entries()
	if len(e) != 1 || e[0].Result != recovery.ResultOK || e[0].VersionBefore != "2.3.0" ||
		e[0].VersionAfter != "2.4.0" || e[0].UnitSerial != "SIM-D180-0001" || e[0].VariantSource != "unit" {
		t.Fatalf("service log %+v", e)
	}
}

func TestFlashThroughDroppedPackets(t *testing.T) {
	u, port := startUnit(t, unit.Config{DropEvery: 4})
	s := connectRetry(t, fastOptions(port, 921600, nil))
	_, res := flashD180(t, s, "2.5.0", 12000)
	st := u.Stats()
	if st.Dropped == 0 || res.Retries == 0 || res.VersionAfter != "2.5.0" {
		t.Fatalf("dropped %d retries %d after %q", st.Dropped, res.Retries, res.VersionAfter)
	}
	// Drops are not a buffer problem: the chunk size must not have been cut.
	if res.ChunkSize < 900 {
		t.Fatalf("chunk size shrank to %d on random drops", res.ChunkSize)
	}
}

// connectRetry tolerates the probe packets a DropEvery unit may swallow.
func connectRetry(t testing.TB, opt recovery.Options) *recovery.Link {
	t.Helper()
	var err error
	for range 4 {
		var s *recovery.Link
		s, err = recovery.Connect(context.Background(), opt)
		if err == nil {
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	t.Fatal(err)
	return nil
}

func TestStallResumesFromUnitOffset(t *testing.T) {
	const stallAt = 6000
	u, port := startUnit(t, unit.Config{StallAt: stallAt, StallFor: 1500 * time.Millisecond})
	s := connect(t, fastOptions(port, 921600, nil))
	data, res := flashD180(t, s, "2.6.0", 16000)
	st := u.Stats()
	if st.Restarts != 1 {
		t.Fatalf("upload restarted from zero %d times: offsets %v", st.Restarts-1, st.UploadOffsets)
	}
	if st.StallDropped == 0 || res.Retries == 0 {
		t.Fatalf("the stall never happened: %+v", st)
	}
	// Offsets never go back: the chunk whose answer was lost is resent at most once, then the
	// unit's offset takes over.
	for i := 1; i < len(st.UploadOffsets); i++ {
		if st.UploadOffsets[i] < st.UploadOffsets[i-1] {
			t.Fatalf("offset went back at request %d: %v", i, st.UploadOffsets)
		}
	}
	if extra := st.UploadBytes - int64(len(data)); extra < 0 || extra > int64(3*res.ChunkSize) {
		t.Fatalf("%d bytes sent for a %d byte image", st.UploadBytes, len(data))
	}
	if res.VersionAfter != "2.6.0" {
		t.Fatalf("after %q", res.VersionAfter)
	}
}

func TestSmallBufferAdaptsDown(t *testing.T) {
	u, port := startUnit(t, unit.Config{Buf: 300, NoParams: true})
	s := connect(t, fastOptions(port, 921600, nil))
	if s.Unit().ParamsKnown {
		t.Fatal("params reported known")
	}
	_, res := flashD180(t, s, "2.4.0", 6000)
	st := u.Stats()
	if st.Oversize == 0 || res.ChunkSize >= 300 || res.ChunkSize < 150 {
		t.Fatalf("oversize drops %d, final chunk %d", st.Oversize, res.ChunkSize)
	}
	if res.VersionAfter != "2.4.0" {
		t.Fatalf("after %q", res.VersionAfter)
	}
}

func TestWrongVariantRefusedNothingSent(t *testing.T) {
	u, port := startUnit(t, unit.Config{})
	log := &memLog{}
	s := connect(t, fastOptions(port, 921600, log))
	for _, v := range []fleet.Variant{
		{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportWiFi},
		{Console: fleet.ConsoleUnified, Model: fleet.ModelV5, Transport: fleet.TransportGSM},
		{Console: fleet.ConsoleUltra, Model: fleet.ModelUltra, Transport: fleet.TransportGSM},
	} {
		data := buildImage(t, v, "9.9.9", 3000)
		_, err := s.Preflight("wrong", data, nil)
		if !errors.Is(err, image.ErrMismatch) {
			t.Fatalf("%v: %v", v, err)
		}
		s.RecordRefusal("wrong", data, err)
		// The technician's choice cannot override what the unit says it is.
		if _, err := s.Preflight("wrong", data, &v); !errors.Is(err, image.ErrMismatch) {
			t.Fatalf("explicit %v accepted on a unit that reports %v: %v", v, d180gsm, err)
		}
	}
	if st := u.Stats(); st.UploadRequests != 0 || st.UploadBytes != 0 {
		t.Fatalf("unit received %d upload requests, %d bytes", st.UploadRequests, st.UploadBytes)
	}
	if e := log.entries(); len(e) != 3 || e[0].Result != recovery.ResultRefused || !strings.Contains(e[0].Error, "WiFi") {
		t.Fatalf("log %+v", e)
	}
}

func TestCorruptImageRefused(t *testing.T) {
	u, port := startUnit(t, unit.Config{})
	s := connect(t, fastOptions(port, 921600, nil))
	good := buildImage(t, d180gsm, "2.4.0", 3000)
	flipped := slices.Clone(good)
	flipped[1000] ^= 0x40
	for name, data := range map[string][]byte{
		"flipped": flipped, "truncated": good[:2000], "not an image": []byte("#!/bin/sh\necho hi\n"),
	} {
		if _, err := s.Preflight(name, data, nil); !errors.Is(err, image.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if st := u.Stats(); st.UploadRequests != 0 {
		t.Fatalf("unit received %d upload requests", st.UploadRequests)
	}
}

// A unit whose flash stores the upload wrong (a bad cell) does not hold the uploaded hash: the
// flasher must stop before the reset, so the unit keeps running the firmware it had.
func TestBadWriteNotReset(t *testing.T) {
	u, port := startUnit(t, unit.Config{Version: "2.3.0", FlipBitAt: 1000})
	log := &memLog{}
	s := connect(t, fastOptions(port, 921600, log))
	data := buildImage(t, d180gsm, "2.4.0", 3000)
	plan, err := s.Preflight("d180-gsm-2.4.0.bin", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Flash(context.Background(), plan, nil)
	if err == nil || !strings.Contains(err.Error(), "verify") || !strings.Contains(err.Error(), "not reset") {
		t.Fatalf("flash of an image stored wrong: %v, want a verify failure before the reset", err)
	}
	st := u.Stats()
	if st.UploadBytes < int64(len(data)) {
		t.Fatalf("setup: the upload stopped at %d of %d bytes", st.UploadBytes, len(data))
	}
	if st.Resets != 0 {
		t.Fatalf("the unit was reset %d time(s) after a bad write", st.Resets)
	}
	if sl := u.Slots(); sl[0].Version != "2.3.0" {
		t.Fatalf("slot 0 runs %s", sl[0].Version)
	}
	if e := log.entries(); len(e) != 1 || e[0].Result != recovery.ResultFailed {
		t.Fatalf("service log %+v", e)
	}
}

func TestNoIdentityNeedsExplicitChoice(t *testing.T) {
	u, port := startUnit(t, unit.Config{NoIdentity: true, NoParams: true, Model: fleet.ModelV5, Transport: fleet.TransportWiFi})
	s := connect(t, fastOptions(port, 921600, nil))
	if s.Unit().HasIdentity {
		t.Fatal("identity claimed")
	}
	v5wifi := fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelV5, Transport: fleet.TransportWiFi}
	data := buildImage(t, v5wifi, "3.0.0", 5000)
	if _, err := s.Preflight("f", data, nil); err == nil || !strings.Contains(err.Error(), "choose its model") {
		t.Fatalf("no choice: %v", err)
	}
	wrong := fleet.Variant{Model: fleet.ModelV5, Transport: fleet.TransportGSM}
	if _, err := s.Preflight("f", data, &wrong); !errors.Is(err, image.ErrMismatch) {
		t.Fatalf("wrong choice: %v", err)
	}
	if st := u.Stats(); st.UploadRequests != 0 {
		t.Fatal("bytes sent before a valid choice")
	}
	plan, err := s.Preflight("f", data, &fleet.Variant{Model: fleet.ModelV5, Transport: fleet.TransportWiFi})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Flash(context.Background(), plan, nil)
	if err != nil || res.VersionAfter != "3.0.0" {
		t.Fatalf("%v %q", err, res.VersionAfter)
	}
}

func TestCancelStopsAtChunkBoundaryWithoutReset(t *testing.T) {
	u, port := startUnit(t, unit.Config{Baud: 115200})
	log := &memLog{}
	s := connect(t, fastOptions(port, 115200, log))
	data := buildImage(t, d180gsm, "2.4.0", 30000)
	plan, err := s.Preflight("f", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.Flash(ctx, plan, func(p recovery.Progress) {
		if p.Sent >= 3000 {
			cancel()
		}
	})
	if !errors.Is(err, recovery.ErrCancelled) {
		t.Fatalf("got %v", err)
	}
	st := u.Stats()
	if st.Resets != 0 || st.UploadBytes >= int64(len(data)) || u.Slots()[0].Version != "2.3.0" {
		t.Fatalf("after cancel: %+v slot0 %+v", st, u.Slots()[0])
	}
	// Every chunk sent was answered: the last offset the unit acknowledged equals its bytes.
	if e := log.entries(); len(e) != 1 || e[0].Result != recovery.ResultCancelled {
		t.Fatalf("log %+v", e)
	}
}

// pulledCable is a port that dies after a number of written bytes, like a cable pulled mid-upload.
type pulledCable struct {
	io.ReadWriteCloser
	mu     sync.Mutex
	budget int
}

func (c *pulledCable) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.budget -= len(p)
	dead := c.budget < 0
	c.mu.Unlock()
	if dead {
		c.ReadWriteCloser.Close()
		return 0, errors.New("write: input/output error")
	}
	return c.ReadWriteCloser.Write(p)
}

func TestCablePullResumes(t *testing.T) {
	u, port := startUnit(t, unit.Config{})
	opt := fastOptions(port, 921600, nil)
	opens := 0
	opt.Open = func(path string, baud int) (io.ReadWriteCloser, error) {
		rw, err := recovery.OpenPort(path, baud)
		if err != nil {
			return nil, err
		}
		opens++
		if opens == 1 {
			return &pulledCable{ReadWriteCloser: rw, budget: 9000}, nil
		}
		return rw, nil
	}
	s := connect(t, opt)
	data, res := flashD180(t, s, "2.7.0", 16000)
	st := u.Stats()
	if res.Reconnects == 0 || opens < 2 {
		t.Fatalf("no reconnect happened (opens %d)", opens)
	}
	if st.Restarts != 1 || st.UploadBytes > int64(len(data)+3*res.ChunkSize) {
		t.Fatalf("upload restarted: %d restarts, %d bytes for %d", st.Restarts, st.UploadBytes, len(data))
	}
	if res.VersionAfter != "2.7.0" {
		t.Fatalf("after %q", res.VersionAfter)
	}
}

// A unit announcing several buffers gets chunks pipelined; a lost chunk makes the unit answer
// the following ones with its own offset, and the upload resynchronises from there.
func TestPipelinedUploadResyncs(t *testing.T) {
	u, port := startUnit(t, unit.Config{BufCount: 3, DropEvery: 7, Baud: 921600})
	s := connectRetry(t, fastOptions(port, 921600, nil))
	if s.Unit().BufCount != 3 {
		t.Fatalf("buf count %d", s.Unit().BufCount)
	}
	_, res := flashD180(t, s, "2.8.0", 30000)
	st := u.Stats()
	if st.Dropped == 0 || st.Restarts != 1 || res.VersionAfter != "2.8.0" {
		t.Fatalf("dropped %d restarts %d after %q", st.Dropped, st.Restarts, res.VersionAfter)
	}
	// Pipelining shows in the unit's log as chunks that arrived behind a lost one: answered
	// with the unit's offset and not written. Stop-and-wait never sends those.
	if st.Mismatched == 0 {
		t.Fatalf("no chunk was in flight behind a dropped one: offsets %v", st.UploadOffsets)
	}
}
