package recovery

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

var (
	d180gsm  = fleet.Variant{Console: fleet.ConsoleUnified, Engine: fleet.ModelD180, Transport: fleet.TransportGSM}
	d180wifi = fleet.Variant{Console: fleet.ConsoleUnified, Engine: fleet.ModelD180, Transport: fleet.TransportWiFi}
)

// cache is a FirmwareSource holding real images, filtered by variant like the real cache.
type cache struct{ imgs []rec.CachedImage }

func (c *cache) Releases(v fleet.Variant) ([]rec.CachedImage, error) {
	var out []rec.CachedImage
	for _, i := range c.imgs {
		if i.Variant == v {
			out = append(out, i)
		}
	}
	return out, nil
}

func release(t *testing.T, c *cache, v fleet.Variant, version string, size int) []byte {
	t.Helper()
	b, err := fwimage.Build(v, version, fwimage.Payload(v, version, size))
	if err != nil {
		t.Fatal(err)
	}
	c.imgs = append(c.imgs, rec.CachedImage{Name: v.String() + " " + version, Version: version, Variant: v,
		Load: func() ([]byte, error) { return b, nil }})
	return b
}

type memLog struct {
	mu sync.Mutex
	e  []rec.ServiceLogEntry
}

func (l *memLog) Record(e rec.ServiceLogEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.e = append(l.e, e)
	return nil
}

func (l *memLog) results() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var r []string
	for _, e := range l.e {
		r = append(r, e.Result)
	}
	return r
}

// harness serialises the page's background updates with the test: Fyne's test driver runs
// fyne.Do callbacks on the calling goroutine instead of a UI goroutine. The test body holds the
// lock and lets updates in only while it waits (waitFor), like a UI goroutine between events.
type harness struct {
	t  *testing.T
	mu sync.Mutex
}

func (h *harness) do(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

// setup serves a simulated unit on a real pty and builds the page against it. It returns with
// the harness lock held by the test.
func setup(t *testing.T, cfg unit.Config, c *cache, log rec.ServiceLog) (*Page, *unit.Unit, *harness) {
	t.Helper()
	h := &harness{t: t}
	test.NewTempApp(t)
	u, err := unit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pty, err := u.ServePTY(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	h.mu.Lock()
	p := NewPage(Deps{
		Do:        h.do,
		Firmware:  c,
		Log:       log,
		ListPorts: func() ([]rec.PortInfo, error) { return []rec.PortInfo{{Path: pty.Path}}, nil },
		Tune: func(o *rec.Options) {
			o.ProbeTimeout, o.ChunkTimeout, o.FirstChunkTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
			o.ResetWait = 50 * time.Millisecond
		},
	})
	w := test.NewTempWindow(t, p.Content())
	w.Resize(w.Content().MinSize())
	t.Cleanup(func() { h.do(p.Close) })
	t.Cleanup(h.mu.Unlock) // runs first: the test body ends holding the lock
	waitFor(h, "port listed", func() bool { return p.portSel.SelectedIndex() == 0 })
	return p, u, h
}

// waitFor lets background updates run until cond holds; cond runs with the lock held.
func waitFor(h *harness, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		h.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		h.mu.Lock()
	}
}

func waitPhase(h *harness, p *Page, want phase) {
	t := h.t
	t.Helper()
	waitFor(h, "phase", func() bool {
		ph := phase(p.phase.Load())
		if ph == phaseFailed && want != phaseFailed {
			t.Fatalf("failed: unit %q result %q refusal %q", p.unitLbl.Text, p.resultLbl.Text, p.refusalLbl.Text)
		}
		return ph == want
	})
}

func TestFlashFromCachedRelease(t *testing.T) {
	c := &cache{}
	release(t, c, d180gsm, "2.4.0", 20000)
	release(t, c, d180wifi, "2.4.0", 20000) // must not be offered to a GSM unit
	log := &memLog{}
	p, u, h := setup(t, unit.Config{Baud: 921600}, c, log)
	p.baudSel.SetSelected("921600")

	if !p.flashBtn.Disabled() {
		t.Fatal("Flash enabled before connecting")
	}
	test.Tap(p.connectBtn)
	waitPhase(h, p, phaseConnected)
	if !strings.Contains(p.unitLbl.Text, "D180, GSM") || !strings.Contains(p.unitLbl.Text, "SIM-D180-0001") {
		t.Fatalf("unit label %q", p.unitLbl.Text)
	}
	if !strings.Contains(p.slotsLbl.Text, "Slot 0: version 2.3.0") {
		t.Fatalf("slots %q", p.slotsLbl.Text)
	}
	waitFor(h, "releases", func() bool { return len(p.fwSel.Options) > 0 })
	if len(p.fwSel.Options) != 1 || p.fwSel.Options[0] != "D180, GSM 2.4.0" {
		t.Fatalf("offered %v", p.fwSel.Options)
	}
	p.fwSel.SetSelectedIndex(0)
	waitPhase(h, p, phaseReady)
	if !strings.Contains(p.summaryLbl.Text, "2.3.0 → after: 2.4.0") || p.flashBtn.Disabled() {
		t.Fatalf("summary %q", p.summaryLbl.Text)
	}
	test.Tap(p.flashBtn)
	waitPhase(h, p, phaseDone)
	if !strings.Contains(p.resultLbl.Text, "runs 2.4.0 (was 2.3.0)") || p.bar.Value != 1 {
		t.Fatalf("result %q bar %v", p.resultLbl.Text, p.bar.Value)
	}
	if !strings.Contains(p.slotsLbl.Text, "Slot 0: version 2.4.0") {
		t.Fatalf("slots after %q", p.slotsLbl.Text)
	}
	if got := log.results(); len(got) != 1 || got[0] != rec.ResultOK {
		t.Fatalf("log %v", got)
	}
	if st := u.Stats(); st.Resets != 1 || st.Bricked {
		t.Fatalf("%+v", st)
	}
}

func TestWrongFileRefusedNothingSent(t *testing.T) {
	c := &cache{}
	log := &memLog{}
	p, u, h := setup(t, unit.Config{}, c, log)
	p.baudSel.SetSelected("921600")
	test.Tap(p.connectBtn)
	waitPhase(h, p, phaseConnected)
	wifi, _ := fwimage.Build(d180wifi, "2.4.0", fwimage.Payload(d180wifi, "2.4.0", 3000))
	p.useFirmware("d180-wifi.bin", wifi)
	if !strings.Contains(p.refusalLbl.Text, "transport WiFi, unit is GSM") || !p.flashBtn.Disabled() {
		t.Fatalf("refusal %q, flash disabled %v", p.refusalLbl.Text, p.flashBtn.Disabled())
	}
	test.Tap(p.flashBtn)
	waitFor(h, "refusal logged", func() bool { return len(log.results()) == 1 })
	if st := u.Stats(); st.UploadRequests != 0 {
		t.Fatalf("unit received %d upload requests", st.UploadRequests)
	}
	if log.results()[0] != rec.ResultRefused {
		t.Fatalf("log %v", log.results())
	}
}

func TestNoIdentityNeedsChoice(t *testing.T) {
	c := &cache{}
	release(t, c, d180wifi, "2.5.0", 8000)
	p, _, h := setup(t, unit.Config{NoIdentity: true, NoParams: true, Transport: fleet.TransportWiFi}, c, nil)
	p.baudSel.SetSelected("921600")
	test.Tap(p.connectBtn)
	waitPhase(h, p, phaseConnected)
	if !p.choiceBox.Visible() || len(p.fwSel.Options) != 0 {
		t.Fatalf("choice visible %v, options %v", p.choiceBox.Visible(), p.fwSel.Options)
	}
	p.modelSel.SetSelected("D180")
	p.transportSel.SetSelected("WiFi")
	waitFor(h, "releases", func() bool { return len(p.fwSel.Options) == 1 })
	p.fwSel.SetSelectedIndex(0)
	waitPhase(h, p, phaseReady)
	if !strings.Contains(p.summaryLbl.Text, "chosen by technician") {
		t.Fatalf("summary %q", p.summaryLbl.Text)
	}
	test.Tap(p.flashBtn)
	waitPhase(h, p, phaseDone)
	if !strings.Contains(p.resultLbl.Text, "runs 2.5.0") {
		t.Fatalf("result %q", p.resultLbl.Text)
	}
}

func TestCancelDuringUpload(t *testing.T) {
	c := &cache{}
	release(t, c, d180gsm, "2.4.0", 30000)
	log := &memLog{}
	p, u, h := setup(t, unit.Config{Baud: 115200}, c, log)
	test.Tap(p.connectBtn)
	waitPhase(h, p, phaseConnected)
	waitFor(h, "releases", func() bool { return len(p.fwSel.Options) == 1 })
	p.fwSel.SetSelectedIndex(0)
	waitPhase(h, p, phaseReady)
	test.Tap(p.flashBtn)
	waitFor(h, "upload progress", func() bool { return p.bar.Value > 0.05 })
	if p.cancelBtn.Disabled() {
		t.Fatal("Cancel disabled while flashing")
	}
	test.Tap(p.cancelBtn)
	waitPhase(h, p, phaseFailed)
	if !strings.HasPrefix(p.resultLbl.Text, "Cancelled") {
		t.Fatalf("result %q", p.resultLbl.Text)
	}
	if st := u.Stats(); st.Resets != 0 || u.Slots()[0].Version != "2.3.0" {
		t.Fatalf("unit reset after cancel: %+v", st)
	}
	if got := log.results(); len(got) != 1 || got[0] != rec.ResultCancelled {
		t.Fatalf("log %v", got)
	}
	// The same image can be flashed again straight away: a fresh upload from offset 0 that
	// ends with the unit running the new version.
	if p.flashBtn.Disabled() {
		t.Fatal("Flash not offered again after a cancel")
	}
	test.Tap(p.flashBtn)
	waitPhase(h, p, phaseDone)
	if !strings.Contains(p.resultLbl.Text, "runs 2.4.0") || u.Stats().Restarts != 2 {
		t.Fatalf("retry: %q, restarts %d", p.resultLbl.Text, u.Stats().Restarts)
	}
}
