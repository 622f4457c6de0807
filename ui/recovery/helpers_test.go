package recovery

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
	"github.com/fleetdesk/fleetdesk/sim/unit"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

var (
	d180gsm  = fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportGSM}
	d180wifi = fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportWiFi}
)

// data is the page's cache side in memory: releases filtered by variant like the real cache, a
// service log, and the records the backend refused.
type data struct {
	mu       sync.Mutex
	imgs     []rec.CachedImage
	log      []rec.ServiceLogEntry
	rejected []rec.LogRecord
	retried  []string
}

func (d *data) RecoveryFirmware() rec.FirmwareSource { return d }
func (d *data) RecoveryLog() rec.ServiceLog          { return d }
func (d *data) RecoveryLogQueue() rec.LogQueue       { return d }

func (d *data) Releases(v fleet.Variant) ([]rec.CachedImage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []rec.CachedImage
	for _, i := range d.imgs {
		if i.Variant == v {
			out = append(out, i)
		}
	}
	return out, nil
}

func (d *data) Record(e rec.ServiceLogEntry) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = append(d.log, e)
	return nil
}

func (d *data) Rejected(context.Context) ([]rec.LogRecord, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]rec.LogRecord(nil), d.rejected...), nil
}

func (d *data) Retry(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.retried = append(d.retried, id)
	return nil
}

func (d *data) Discard(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, r := range d.rejected {
		if r.ID == id {
			d.rejected = append(d.rejected[:i], d.rejected[i+1:]...)
		}
	}
	return nil
}

func (d *data) results() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var r []string
	for _, e := range d.log {
		r = append(r, e.Result)
	}
	return r
}

// release adds a cached release with a real image.
func (d *data) release(t *testing.T, v fleet.Variant, version string, size int) {
	t.Helper()
	b, err := fwimage.Build(v, version, fwimage.Payload(v, version, size))
	if err != nil {
		t.Fatal(err)
	}
	d.imgs = append(d.imgs, rec.CachedImage{Name: v.String() + " " + version, Version: version, Variant: v, Cached: true,
		Load: func() ([]byte, error) { return b, nil }})
}

// env is a page on a test loop against a simulated unit on a real pty.
type env struct {
	t    *testing.T
	loop *uitest.Loop
	p    *Page
	u    *unit.Unit
	pty  string
}

// start serves a simulated unit on a real pty and builds the page against it; ports lists what
// the machine "has" (nil: nothing, as with a pty that no enumerator shows).
func start(t *testing.T, cfg unit.Config, d *data, ports func(pty string) []rec.PortInfo) *env {
	t.Helper()
	return startWith(t, cfg, d, ports, nil)
}

// startWith is start with the page's Deps adjusted by tune first (what the shell would pass);
// tune sees the env, its pty served already.
func startWith(t *testing.T, cfg unit.Config, d *data, ports func(pty string) []rec.PortInfo, tune func(*env, *Deps)) *env {
	t.Helper()
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
	e := &env{t: t, loop: uitest.NewLoop(t), u: u, pty: pty.Path}
	deps := Deps{UI: e.loop.Do,
		ListPorts: func() ([]rec.PortInfo, error) {
			if ports == nil {
				return nil, nil
			}
			return ports(pty.Path), nil
		},
		Tune: func(o *rec.Options) {
			o.ProbeTimeout, o.ChunkTimeout, o.FirstChunkTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
			o.ResetWait, o.RestartTimeout = 50*time.Millisecond, 1500*time.Millisecond
		},
	}
	if d != nil {
		deps.Data = d
	}
	if tune != nil {
		tune(e, &deps)
	}
	e.loop.Run(func() {
		e.p = NewPage(deps)
		w := test.NewTempWindow(t, e.p.Content())
		w.Resize(fyne.NewSize(900, 900))
	})
	t.Cleanup(func() { e.loop.Run(e.p.Close) })
	return e
}

// listed is a ListPorts answer holding just the pty, as an FTDI USB serial adapter would list
// (the one port the page preselects).
func listed(pty string) []rec.PortInfo {
	return []rec.PortInfo{{Path: pty, IsUSB: true, VID: "0403", PID: "6001", Product: "FT232R USB UART"}}
}

// run runs f on the loop; a t.Fatal in f ends the test, and the loop serves on.
func (e *env) run(f func()) { e.loop.Run(f) }

// until waits on the loop for cond.
func (e *env) until(what string, cond func() bool) {
	e.t.Helper()
	e.loop.Eventually(e.t, 20*time.Second, what, cond)
}

// phase waits for the flow to reach want, failing early on an unexpected failure.
func (e *env) phase(want rec.Phase) {
	e.t.Helper()
	e.until("phase "+want.String(), func() bool {
		ph := e.p.flow.Phase()
		if ph == rec.PhaseFailed && want != rec.PhaseFailed {
			e.t.Fatalf("failed: unit %q connect %q result %q problem %q refusal %q", e.p.fw.unit.Text, e.p.port.problem.title.Text,
				e.p.flash.result.Text, e.p.flash.problem.title.Text, e.p.fw.refusal.title.Text)
		}
		return ph == want
	})
}

// connect taps Connect once the port is known and waits for the unit.
func (e *env) connect(baud string) {
	e.t.Helper()
	e.until("port", func() bool { return e.p.port.entry.Text != "" })
	e.run(func() {
		e.p.port.baudSel.SetSelected(baud)
		test.Tap(e.p.port.connect)
	})
	e.phase(rec.PhaseConnected)
}

// visibleText is every visible label's text on the page, joined.
func (e *env) visibleText() string {
	var b strings.Builder
	uitest.Walk(e.p.Content(), true, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	})
	return b.String()
}
