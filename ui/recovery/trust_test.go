package recovery

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
	"github.com/fleetdesk/fleetdesk/sim/unit"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// A pty no enumerator lists can be typed; until then Connect is disabled and says why.
func TestTypedPortPathConnects(t *testing.T) {
	e := start(t, unit.Config{}, &data{}, nil)
	e.until("ports listed", func() bool { return strings.Contains(e.p.port.listed.Text, "No serial ports found") })
	e.run(func() {
		if !e.p.port.connect.Disabled() || !strings.Contains(e.p.port.hint.Text, "Type or choose the serial port") {
			t.Fatalf("connect disabled %v, hint %q", e.p.port.connect.Disabled(), e.p.port.hint.Text)
		}
		test.Type(e.p.port.entry, e.pty)
		if e.p.port.connect.Disabled() || e.p.port.hint.Text != "" {
			t.Fatalf("after typing: disabled %v, hint %q", e.p.port.connect.Disabled(), e.p.port.hint.Text)
		}
		e.p.port.baudSel.SetSelected("921600")
		test.Tap(e.p.port.connect)
	})
	e.phase(rec.PhaseConnected)
	e.run(func() {
		if !strings.Contains(e.p.fw.unit.Text, "SIM-D180-0001") {
			t.Fatalf("unit %q", e.p.fw.unit.Text)
		}
		// Connected: the page says so, and the button now reads the unit again.
		if e.p.port.connect.Text != "Connect again" || !strings.Contains(e.p.port.hint.Text, "Connected to "+e.pty) {
			t.Fatalf("after connecting: button %q, hint %q", e.p.port.connect.Text, e.p.port.hint.Text)
		}
	})
}

// Refresh lists the ports again: a port plugged in later appears.
func TestRefreshListsAgain(t *testing.T) {
	var plugged bool
	e := start(t, unit.Config{}, &data{}, func(pty string) []rec.PortInfo {
		if !plugged {
			return nil
		}
		return []rec.PortInfo{{Path: "/dev/ttyUSB0", IsUSB: true, VID: "0403", PID: "6001"}, {Path: pty}}
	})
	e.until("first listing", func() bool { return strings.Contains(e.p.port.listed.Text, "No serial ports") })
	e.run(func() {
		plugged = true
		test.Tap(e.p.port.refresh)
	})
	e.until("second listing", func() bool { return strings.Contains(e.p.port.listed.Text, "2 serial ports found") })
	e.run(func() {
		usb := e.p.port.ports[0].Label()
		if usb != "/dev/ttyUSB0 (USB 0403:6001)" {
			t.Fatalf("first port reads %q", usb)
		}
		e.p.port.entry.SetText(usb) // what choosing it from the list does
		if e.p.flow.Port() != "/dev/ttyUSB0" {
			t.Fatalf("chosen %q maps to %q", usb, e.p.flow.Port())
		}
	})
}

// A unit that does not answer is told as what to check, with the raw error one click away.
func TestNoAnswerSaysWhatToCheck(t *testing.T) {
	e := start(t, unit.Config{DropEvery: 1}, &data{}, listed)
	e.until("port", func() bool { return e.p.port.entry.Text != "" })
	e.run(func() { test.Tap(e.p.port.connect) })
	e.phase(rec.PhaseFailed)
	e.run(func() {
		pv := e.p.port.problem
		text := e.visibleText()
		for _, want := range []string{"did not answer", "cable", "power", "recovery mode"} {
			if !strings.Contains(text, want) {
				t.Errorf("the page does not say %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "smp:") || strings.Contains(text, "group 0") {
			t.Errorf("raw protocol error on the page:\n%s", text)
		}
		if !pv.fold.Visible() || !strings.Contains(pv.detail.Text, "smp: no answer") {
			t.Fatalf("detail %q (fold shown %v)", pv.detail.Text, pv.fold.Visible())
		}
		pv.fold.Open(0)
		if !strings.Contains(e.visibleText(), "smp: no answer") {
			t.Error("the detail does not show after one click")
		}
	})
}

// An older image says "downgrade" and needs the explicit choice; a retry needs it again.
func TestDowngradeNeedsExplicitChoice(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.2.0", 6000)
	e := start(t, unit.Config{Baud: 921600, Version: "2.3.0"}, d, listed)
	e.connect("921600")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 1 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady)
	e.run(func() {
		if !strings.Contains(e.p.fw.summary.Text, "DOWNGRADE") || !e.p.fw.downgrade.Visible() || !e.p.flash.flash.Disabled() {
			t.Fatalf("summary %q, choice shown %v, flash disabled %v", e.p.fw.summary.Text, e.p.fw.downgrade.Visible(), e.p.flash.flash.Disabled())
		}
		if !strings.Contains(e.p.flash.hint.Text, "Downgrade") {
			t.Fatalf("hint %q", e.p.flash.hint.Text)
		}
		test.Tap(e.p.fw.downgrade)
		if e.p.flash.flash.Disabled() {
			t.Fatal("Flash still disabled after choosing the downgrade")
		}
		test.Tap(e.p.flash.flash)
	})
	e.phase(rec.PhaseDone)
	e.run(func() {
		if !strings.Contains(e.p.flash.result.Text, "runs 2.2.0 (was 2.3.0)") || e.p.fw.downgrade.Visible() {
			t.Fatalf("result %q", e.p.flash.result.Text)
		}
	})
	if st := e.u.Stats(); st.UpgradeOnly != 0 || st.Resets != 1 {
		t.Fatalf("%+v", st)
	}
}

// "(download)" goes once the release is in the cache; offline, a release not downloaded is listed
// as needing a connection once, and choosing it says so instead of failing silently.
func TestReleaseDownloadLabels(t *testing.T) {
	d := &data{}
	b, _ := fwimage.Build(d180gsm, "2.4.0", fwimage.Payload(d180gsm, "2.4.0", 4000))
	d.imgs = []rec.CachedImage{
		{Name: "D180, GSM 2.4.0", Version: "2.4.0", Variant: d180gsm, Load: func() ([]byte, error) { return b, nil }},
		{Name: "D180, GSM 2.5.0", Version: "2.5.0", Variant: d180gsm, NeedsNetwork: true,
			Load: func() ([]byte, error) {
				return nil, errors.New("GET /v1/releases/r2/image: offline: dial tcp: connection refused")
			}},
	}
	e := start(t, unit.Config{}, d, listed)
	e.connect("921600")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 2 })
	e.run(func() {
		o := e.p.fw.sel.Options
		if o[0] != "D180, GSM 2.4.0 (download)" || o[1] != "D180, GSM 2.5.0 (needs a connection once)" {
			t.Fatalf("options %q", o)
		}
		e.p.fw.sel.SetSelectedIndex(1)
	})
	e.until("offline refusal", func() bool { return e.p.fw.refusal.title.Text != "" })
	e.run(func() {
		if !strings.Contains(e.p.fw.refusal.title.Text, "needs a connection to the backend once") || !e.p.flash.flash.Disabled() {
			t.Fatalf("refusal %q", e.p.fw.refusal.title.Text)
		}
		e.p.fw.sel.SetSelectedIndex(0)
	})
	e.phase(rec.PhaseReady)
	e.run(func() {
		if o := e.p.fw.sel.Options; o[0] != "D180, GSM 2.4.0" || e.p.fw.sel.Selected != o[0] {
			t.Fatalf("after the download: options %q selected %q", o, e.p.fw.sel.Selected)
		}
	})
}

// Records the backend refused are listed with its reason; Send again and Discard act on them.
func TestRejectedRecordsShown(t *testing.T) {
	d := &data{rejected: []rec.LogRecord{{ID: "svc-1", Rejected: "every entry needs id (at most 100 characters), result and at",
		ServiceLogEntry: rec.ServiceLogEntry{When: time.Now(), Result: rec.ResultOK, Image: "d180.bin", UnitSerial: "GEN-7"}}}}
	e := start(t, unit.Config{}, d, listed)
	e.until("rejected card", func() bool { return e.p.rejects.content.Visible() })
	var again, discard *widget.Button
	e.run(func() {
		if !strings.Contains(e.visibleText(), "The backend said: every entry needs id") {
			t.Fatalf("page:\n%s", e.visibleText())
		}
		uitest.Walk(e.p.rejects.content, true, func(o fyne.CanvasObject) {
			if bt, ok := o.(*widget.Button); ok {
				switch bt.Text {
				case "Send again":
					again = bt
				case "Discard":
					discard = bt
				}
			}
		})
		test.Tap(again)
	})
	e.until("retried", func() bool {
		r, _ := d.Rejected(context.Background())
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.retried) == 1 && len(r) == 1
	})
	e.run(func() { test.Tap(discard) })
	e.until("card gone", func() bool { return !e.p.rejects.content.Visible() })
}

// At 0% nothing of the bar is in the primary colour: an empty bar must not read as a full one.
func TestProgressBarEmptyAtZero(t *testing.T) {
	test.NewTempApp(t)
	b := newProgressBar()
	w := test.NewTempWindow(t, b)
	w.Resize(fyne.NewSize(400, 60))
	r := test.WidgetRenderer(b).(*progressRenderer)
	primary := theme.Color(theme.ColorNamePrimary)
	if r.track.FillColor == primary || r.fill.Size().Width != 0 || r.text.Text != "0%" {
		t.Fatalf("at 0%%: track %v (primary %v), fill %v, %q", r.track.FillColor, primary, r.fill.Size(), r.text.Text)
	}
	b.SetValue(0.5)
	if got, want := r.fill.Size().Width, b.Size().Width/2; got != want || r.fill.FillColor != primary {
		t.Fatalf("at 50%%: fill %v of %v", got, b.Size().Width)
	}
}

// After a flash, choosing another image clears the old full bar and result: they are not about it.
func TestNewImageClearsLastFlash(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.4.0", 6000)
	d.release(t, d180gsm, "2.5.0", 6000)
	e := start(t, unit.Config{Baud: 921600}, d, listed)
	e.connect("921600")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 2 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady)
	e.run(func() { test.Tap(e.p.flash.flash) })
	e.phase(rec.PhaseDone)
	e.run(func() { e.p.fw.sel.SetSelectedIndex(1) })
	e.phase(rec.PhaseReady)
	e.run(func() {
		if e.p.flash.bar.Visible() || e.p.flash.result.Text != "" || e.p.flash.speed.Text != "" {
			t.Fatalf("old flash still shown: bar %v result %q speed %q", e.p.flash.bar.Visible(), e.p.flash.result.Text, e.p.flash.speed.Text)
		}
	})
}
