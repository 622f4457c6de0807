package recovery

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

func TestFlashFromCachedRelease(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.4.0", 20000)
	d.release(t, d180wifi, "2.4.0", 20000) // must not be offered to a GSM unit
	e := start(t, unit.Config{Baud: 921600}, d, listed)
	e.run(func() {
		if !e.p.flash.flash.Disabled() || e.p.flash.bar.Visible() {
			t.Fatal("Flash enabled, or a progress bar shown, before connecting")
		}
	})
	e.connect("921600")
	e.run(func() {
		if !strings.Contains(e.p.fw.unit.Text, "D180, GSM") || !strings.Contains(e.p.fw.unit.Text, "SIM-D180-0001") {
			t.Fatalf("unit label %q", e.p.fw.unit.Text)
		}
		if !strings.Contains(e.p.fw.slots.Text, "Slot 0: version 2.3.0") {
			t.Fatalf("slots %q", e.p.fw.slots.Text)
		}
	})
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) > 0 })
	e.run(func() {
		if o := e.p.fw.sel.Options; len(o) != 1 || o[0] != "D180, GSM 2.4.0" {
			t.Fatalf("offered %v", o)
		}
		e.p.fw.sel.SetSelectedIndex(0)
	})
	e.phase(rec.PhaseReady)
	e.run(func() {
		if !strings.Contains(e.p.fw.summary.Text, "2.3.0 → after: 2.4.0") || e.p.flash.flash.Disabled() || e.p.fw.downgrade.Visible() {
			t.Fatalf("summary %q", e.p.fw.summary.Text)
		}
		test.Tap(e.p.flash.flash)
	})
	e.phase(rec.PhaseDone)
	e.run(func() {
		if !strings.Contains(e.p.flash.result.Text, "runs 2.4.0 (was 2.3.0)") || e.p.flash.bar.value != 1 {
			t.Fatalf("result %q bar %v", e.p.flash.result.Text, e.p.flash.bar.value)
		}
		if !strings.Contains(e.p.fw.slots.Text, "Slot 0: version 2.4.0") {
			t.Fatalf("slots after %q", e.p.fw.slots.Text)
		}
		// The list now marks the release the unit runs.
		if o := e.p.fw.sel.Options; len(o) != 1 || o[0] != "D180, GSM 2.4.0 (installed)" {
			t.Fatalf("after the flash the list offers %q", o)
		}
	})
	if got := d.results(); len(got) != 1 || got[0] != rec.ResultOK {
		t.Fatalf("log %v", got)
	}
	if st := e.u.Stats(); st.Resets != 1 || st.Bricked || st.UpgradeOnly != 1 {
		t.Fatalf("%+v", st)
	}
}

func TestWrongFileRefusedNothingSent(t *testing.T) {
	d := &data{}
	e := start(t, unit.Config{}, d, listed)
	e.connect("921600")
	wifi, _ := fwimage.Build(d180wifi, "2.4.0", fwimage.Payload(d180wifi, "2.4.0", 3000))
	e.run(func() {
		e.p.fw.use("d180-wifi.bin", wifi)
		if r := e.p.fw.refusal.title.Text; !strings.Contains(r, "transport WiFi, unit is GSM") || !e.p.flash.flash.Disabled() {
			t.Fatalf("refusal %q, flash disabled %v", r, e.p.flash.flash.Disabled())
		}
		test.Tap(e.p.flash.flash)
	})
	e.until("refusal logged", func() bool { return len(d.results()) == 1 })
	if st := e.u.Stats(); st.UploadRequests != 0 {
		t.Fatalf("unit received %d upload requests", st.UploadRequests)
	}
	if d.results()[0] != rec.ResultRefused {
		t.Fatalf("log %v", d.results())
	}
}

// A unit without identity needs the model and transport; the Manage page's pre-fill supplies them.
func TestNoIdentityPrefilledChoice(t *testing.T) {
	d := &data{}
	d.release(t, d180wifi, "2.5.0", 8000)
	e := start(t, unit.Config{NoIdentity: true, NoParams: true, Transport: "wifi"}, d, listed)
	e.run(func() { e.p.Prefill("D180", "wifi") })
	e.connect("921600")
	e.run(func() {
		if !e.p.fw.choice.Visible() || e.p.fw.model.Selected != "D180" || e.p.fw.transport.Selected != "WiFi" {
			t.Fatalf("choice visible %v, %q %q", e.p.fw.choice.Visible(), e.p.fw.model.Selected, e.p.fw.transport.Selected)
		}
	})
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 1 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady)
	e.run(func() {
		if !strings.Contains(e.p.fw.summary.Text, "chosen by technician") {
			t.Fatalf("summary %q", e.p.fw.summary.Text)
		}
		test.Tap(e.p.flash.flash)
	})
	e.phase(rec.PhaseDone)
	e.run(func() {
		if !strings.Contains(e.p.flash.result.Text, "runs 2.5.0") {
			t.Fatalf("result %q", e.p.flash.result.Text)
		}
	})
}

// A pre-fill that disagrees with what the unit reports is pointed out: wrong unit on the cable?
func TestPrefillMismatchWarns(t *testing.T) {
	e := start(t, unit.Config{}, &data{}, listed)
	e.run(func() { e.p.Prefill("V5", "wifi") })
	e.connect("921600")
	e.run(func() {
		if w := e.p.fw.warn.Text; !strings.Contains(w, "reports D180, GSM") || !strings.Contains(w, "right unit") {
			t.Fatalf("warning %q", w)
		}
	})
}

func TestCancelDuringUpload(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.4.0", 30000)
	e := start(t, unit.Config{Baud: 115200}, d, listed)
	e.connect("115200")
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) == 1 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady)
	e.run(func() { test.Tap(e.p.flash.flash) })
	e.until("upload progress", func() bool { return e.p.flash.bar.value > 0.05 })
	e.run(func() {
		if e.p.flash.cancel.Disabled() {
			t.Fatal("Cancel disabled while flashing")
		}
		test.Tap(e.p.flash.cancel)
	})
	e.phase(rec.PhaseFailed)
	e.run(func() {
		if !strings.HasPrefix(e.p.flash.result.Text, "Cancelled") {
			t.Fatalf("result %q", e.p.flash.result.Text)
		}
	})
	if st := e.u.Stats(); st.Resets != 0 || e.u.Slots()[0].Version != "2.3.0" {
		t.Fatalf("unit reset after cancel: %+v", st)
	}
	if got := d.results(); len(got) != 1 || got[0] != rec.ResultCancelled {
		t.Fatalf("log %v", got)
	}
	// The same image can be flashed again straight away: a fresh upload from offset 0 that
	// ends with the unit running the new version.
	e.run(func() {
		if e.p.flash.flash.Disabled() {
			t.Fatal("Flash not offered again after a cancel")
		}
		test.Tap(e.p.flash.flash)
	})
	e.phase(rec.PhaseDone)
	e.run(func() {
		if !strings.Contains(e.p.flash.result.Text, "runs 2.4.0") || e.u.Stats().Restarts != 2 {
			t.Fatalf("retry: %q, restarts %d", e.p.flash.result.Text, e.u.Stats().Restarts)
		}
	})
}
