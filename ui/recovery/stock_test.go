package recovery

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

// The page against a stock MCUboot, as driven under Xvfb: the unit does not identify itself and
// lists its slot without state flags (said so, not read as "not bootable"); the technician names
// model and transport, flashes a release, and the page tells what is true after the reset: written
// and verified (and by what), the bootloader restarted the unit, and its application could not be
// asked. Reconnect and Confirm version read "could not be asked", not failed.
func TestStockUnitFlashedApplicationNotAsked(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.4.0", 20000)
	e := start(t, unit.Stock(unit.Config{Baud: 921600, Version: "2.3.0"}), d, listed)
	e.connect("921600")
	e.run(func() {
		if u := e.p.fw.unit.Text; u != "Unit: plain MCUboot, no identity." {
			t.Fatalf("unit label %q", u)
		}
		sl := e.p.fw.slots.Text
		if !strings.Contains(sl, "Slot 0: version 2.3.0\n") || !strings.Contains(sl, "Listed by the bootloader, which lists only images that pass its validation; it reports no state flags.") {
			t.Fatalf("slots %q", sl)
		}
		e.p.fw.model.SetSelected("D180")
		e.p.fw.transport.SetSelected("GSM")
	})
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) > 0 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady)
	e.run(func() {
		if !strings.Contains(e.p.fw.summary.Text, "chosen by technician: D180, GSM") || !strings.Contains(e.p.fw.summary.Text, "2.3.0 → after: 2.4.0") {
			t.Fatalf("summary %q", e.p.fw.summary.Text)
		}
		test.Tap(e.p.flash.flash)
	})
	e.phase(rec.PhaseDone)
	e.run(func() {
		r := e.p.flash.result.Text
		for _, want := range []string{"Done. Written and verified. The bootloader acknowledged the reset and restarted the unit.",
			"Its application does not answer on this port, so FleetDesk could not ask whether 2.4.0 runs (was 2.3.0)",
			"Verified by: the bootloader lists slot 0 with the image's SHA-256"} {
			if !strings.Contains(r, want) {
				t.Errorf("result misses %q:\n%s", want, r)
			}
		}
		if e.p.flash.speed.Visible() || e.p.flash.problem.content.Visible() || e.p.flash.bar.value != 1 {
			t.Errorf("speed %q, problem %q shown, bar %v", e.p.flash.speed.Text, e.p.flash.problem.title.Text, e.p.flash.bar.value)
		}
		for i, want := range []string{"Check image", "Upload", "Verify hash", "Reset"} {
			if e.p.flash.names[i].Text != want || e.p.flash.icons[i].Resource != theme.ConfirmIcon() {
				t.Errorf("row %d: %q", i, e.p.flash.names[i].Text)
			}
		}
		for i, want := range map[int]string{4: "Reconnect: nothing answered after the restart", 5: "Confirm version: could not be asked"} {
			if !strings.HasPrefix(e.p.flash.names[i].Text, want) || e.p.flash.icons[i].Resource != theme.QuestionIcon() {
				t.Errorf("row %d: %q", i, e.p.flash.names[i].Text)
			}
		}
	})
	if got := d.results(); len(got) != 1 || got[0] != rec.ResultOK {
		t.Fatalf("service log %v", got)
	}
	if st := e.u.Stats(); st.Resets != 1 || !st.AppRunning || st.CutLines != 0 {
		t.Fatalf("unit %+v", st)
	}
}

// An image larger than a stock unit's slot: the page says what most likely happened, not just
// "invalid argument (rc 3)", and the unit card still shows the firmware the unit holds.
func TestStockUnitImageLargerThanSlot(t *testing.T) {
	d := &data{}
	d.release(t, d180gsm, "2.4.0", 20000)
	e := start(t, unit.Stock(unit.Config{Baud: 921600, SlotSize: 16384}), d, listed)
	e.connect("921600")
	e.run(func() {
		e.p.fw.model.SetSelected("D180")
		e.p.fw.transport.SetSelected("GSM")
	})
	e.until("releases", func() bool { return len(e.p.fw.sel.Options) > 0 })
	e.run(func() { e.p.fw.sel.SetSelectedIndex(0) })
	e.phase(rec.PhaseReady)
	e.run(func() { test.Tap(e.p.flash.flash) })
	e.phase(rec.PhaseFailed)
	e.run(func() {
		if ti := e.p.flash.problem.title.Text; !strings.HasPrefix(ti, "Failed: The unit refused this image at the start: most likely it is larger than the unit's firmware slot") ||
			!strings.HasSuffix(ti, "Nothing was written.") {
			t.Fatalf("problem %q", ti)
		}
		if !strings.Contains(e.p.fw.slots.Text, "Slot 0: version 2.3.0") {
			t.Fatalf("slots %q", e.p.fw.slots.Text)
		}
	})
}
