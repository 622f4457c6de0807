package rollouts

import (
	"slices"
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

func TestUltraWizardConfirmsVariant(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	h.tap("Ultra firmware console")
	h.toTestDevice(2, "5.1.0", "WiFi")
	for _, o := range h.selectWidget().Options {
		if !strings.HasPrefix(o, "UL-W-") {
			t.Fatalf("Ultra WiFi release offers test device %q", o)
		}
	}
	h.chooseTestDevice(0)
	if b := h.button("Confirm the variant first"); !b.Disabled() {
		t.Fatal("test deploy enabled before the variant is confirmed")
	}
	h.pick("GSM") // the wrong one
	if !strings.Contains(h.wizard().errLbl.Text, "you confirmed GSM but release 5.1.0 is built for WiFi units") {
		t.Fatalf("wrong confirmation: %q", h.wizard().errLbl.Text)
	}
	if h.testStep().confirm.Selected != "" || !h.button("Confirm the variant first").Disabled() {
		t.Fatal("a wrong confirmation stuck")
	}
	h.pick("WiFi")
	h.tap("Deploy 5.1.0 to test device UL-W-00")
	h.q.until(t, "test rollout", func() bool { _, ok := h.wizard().proc.TestRollout(); return ok })
	if req := svc.lastRequest(); req.Console != fleet.ConsoleUltra || req.Model != fleet.ModelUltra || req.Transport != fleet.TransportWiFi {
		t.Fatalf("test request %+v", req)
	}
	svc.unit("ro-1", "UL-W-00", rollout.StageConfirmed, "5.1.0", true)
	h.waitStep(rollout.StepReady)
	h.shows("Variant confirmed: AutoGen Ultra WiFi.")
	if !h.has("Variant confirmed: AutoGen Ultra WiFi.") || !h.has("Deploy 5.1.0 (AutoGen Ultra, WiFi) to 2 units of my_fleet; 1 AutoGen Ultra, WiFi unit excluded") {
		t.Fatalf("ready step:\n%s", h.text())
	}
	h.tap("Deploy 5.1.0 to 2 units of my_fleet")
	h.tap("Yes, deploy 5.1.0 to 2 units")
	h.q.until(t, "fleet rollout", func() bool { _, ok := h.wizard().proc.Rollout(); return ok })
	ro := svc.rolloutByTarget(rollout.TargetMyFleet)
	for _, u := range ro.Units {
		if !strings.HasPrefix(u.DeviceID, "UL-W-") {
			t.Fatalf("Ultra WiFi rollout reached %s", u.DeviceID)
		}
	}
	// The dealer cancels with two taps; the report lists the skipped units.
	h.tap("Cancel rollout")
	if len(svc.controls) != 0 {
		t.Fatal("one tap cancelled the rollout")
	}
	h.tap("Really cancel?")
	h.waitStep(rollout.StepDone)
	h.shows("to my_fleet: cancelled")
	if !slices.Contains(svc.controls, "cancel "+ro.ID) || !h.has("to my_fleet: cancelled") {
		t.Fatalf("cancel: %v\n%s", svc.controls, h.text())
	}
	if slices.Contains(h.notes.titles(), "Rollout finished") {
		t.Fatal("a cancel by the dealer sent a notification")
	}
}
