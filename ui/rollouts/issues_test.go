package rollouts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
)

// toReady walks the Unified console's wizard over the in-memory session to the deploy step: D180
// GSM, release 2.4.1, validated on UN-D180G-00.
func (h *harness) toReady(svc *memSession) {
	h.t.Helper()
	h.tap("Unified firmware console")
	h.toTestDevice(3, "2.4.1", "D180", "GSM")
	h.chooseTestDevice(0)
	h.tap("Deploy 2.4.1 to test device UN-D180G-00")
	h.q.until(h.t, "test rollout", func() bool { _, ok := h.wizard().proc.TestRollout(); return ok })
	svc.advance(10 * time.Minute)
	svc.unit("ro-1", "UN-D180G-00", rollout.StageConfirmed, "2.4.1", true)
	h.waitStep(rollout.StepReady)
}

// Issue 11.4: deploying to my_fleet is never one click; it asks with the count, the release, the
// variant and the threshold, and "Go back" sends nothing.
func TestDeployToMyFleetAsksFirst(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	h.toReady(svc)
	sent := len(svc.requests)
	h.tap("Deploy 2.4.1 to 7 units of my_fleet…")
	if len(svc.requests) != sent {
		t.Fatal("one click sent the release to my_fleet")
	}
	for _, want := range []string{"Send release 2.4.1 (D180, GSM) to up to 7 customer units of my_fleet?",
		"Variant: D180, GSM (Unified firmware console)", "pauses by itself when failures reach 2 units or 5%"} {
		if !h.has(want) {
			t.Fatalf("the question lacks %q:\n%s", want, h.text())
		}
	}
	if !h.button("Deploy 2.4.1 to 7 units of my_fleet").Disabled() {
		t.Fatal("the deploy button stays live while the question is open")
	}
	h.tap("Go back")
	if h.has("Send release") || len(svc.requests) != sent {
		t.Fatalf("Go back left the question or sent something:\n%s", h.text())
	}
	h.tap("Deploy 2.4.1 to 7 units of my_fleet…")
	h.tap("Yes, deploy 2.4.1 to 7 units")
	h.q.until(t, "fleet rollout", func() bool { _, ok := h.wizard().proc.Rollout(); return ok })
	if req := svc.lastRequest(); req.Target != rollout.TargetMyFleet {
		t.Fatalf("request %+v", req)
	}
}

// Issue 11.8: the guide's names, and "console" never meaning the Fleet Console page here.
func TestPageUsesTheGuidesNames(t *testing.T) {
	h := openPage(t, newMemSession(testNow))
	for _, want := range []string{"Firmware Rollouts", "Safe OTA Procedure", "[X Pro firmware console]",
		"[Unified firmware console]", "[Ultra firmware console]"} {
		if !h.has(want) {
			t.Fatalf("home lacks %q:\n%s", want, h.text())
		}
	}
	h.tap("Ultra firmware console")
	if !h.has("[All firmware consoles]") || !h.has("Ultra firmware console — Safe OTA Procedure") {
		t.Fatalf("wizard head:\n%s", h.text())
	}
	for _, line := range strings.Split(h.text(), "\n") {
		low := strings.ToLower(line)
		if strings.Contains(low, "console") && !strings.Contains(low, "firmware console") && !strings.Contains(low, "fleet console") {
			t.Fatalf("%q: a bare \"console\"", line)
		}
	}
}

// Issue 11.11: durations read as people write them.
func TestDurationsReadAsPeopleWriteThem(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	h.tap("Unified firmware console")
	h.toTestDevice(3, "2.4.1", "D180", "GSM")
	if !h.has("A GSM unit has 6 h to come back") || strings.Contains(h.text(), "h0m0s") {
		t.Fatalf("test step:\n%s", h.text())
	}
	h.chooseTestDevice(0)
	h.tap("Deploy 2.4.1 to test device UN-D180G-00")
	h.q.until(t, "validating", func() bool { return strings.Contains(h.valStatus(), "Gives up in 6 h.") })
	if !h.has("at most 6 h for a GSM unit") {
		t.Fatalf("validating step:\n%s", h.text())
	}
}

// Issue 11.11, against the simulated backend: a unit updated with FW Update (as from its Manage
// page) and back online on the release counts as the validation instead of being refused as
// "already on this version"; my_fleet then deploys, and the monitor opens the Fleet Console on
// the rollout's units.
func TestUnitUpdatedFromManageCountsAsValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("simulated backend")
	}
	ctx := context.Background()
	svc, srv, _ := testfleet.StartManual(ctx, t, sim.Config{Devices: 250, Dealers: 1, Seed: 3, ManualClock: true,
		AccessTTL: 48 * time.Hour, OTAFails: func(string) bool { return false }})
	if _, err := svc.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rels, err := svc.Releases(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rollout.SortReleases(rels)
	// An online WiFi unit (they come back fastest) and the newest release of its variant that it
	// does not run yet, with at least one more unit to deploy to afterwards.
	var unit fleet.Device
	var rel rollout.Release
	for _, p := range svc.Fleet().Devices() {
		d := *p
		if unit.ID != "" || d.Transport != fleet.TransportWiFi || !d.Reachable(svc.Now()) {
			continue
		}
		for _, r := range rollout.ReleasesFor(d, rels) {
			if r.Version != d.Firmware && len(rollout.Eligible(r, svc.Fleet().Devices(), svc.Actor(), svc.Now()).Eligible) > 2 {
				unit, rel = d, r
				break
			}
		}
	}
	if unit.ID == "" {
		t.Fatal("no WiFi unit with a newer release to update")
	}
	// An older release goes only with the dealer's consent, given as the Manage page's dialog does.
	cmd, err := svc.SendCommand(ctx, fleet.CommandRequest{DeviceID: unit.ID, Action: fleet.ActionFWUpdate, ReleaseID: rel.ID,
		Consent: rollout.DirectionOf(rel, unit)})
	if err != nil {
		t.Fatal(err)
	}
	// Simulated time moves only here: a WiFi install returns within 30 minutes of it.
	for spent := time.Duration(0); ; spent += 30 * time.Second {
		c, err := svc.Command(ctx, cmd.ID)
		d, _ := svc.Fleet().Get(unit.ID)
		if err == nil && c.Status == fleet.CommandDone && d.Online && d.Firmware == rel.Version {
			break
		}
		if spent > time.Hour {
			t.Fatalf("an hour of simulated time after FW Update: command %s (%v), unit online %v on %s", c.Status, err, d.Online, d.Firmware)
		}
		srv.Advance(30 * time.Second)
		if _, err := svc.Sync(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}

	var shown []string
	h := openPageWith(t, svc, time.Hour)
	h.page.opts.ShowInConsole = func(ids []string) { shown = ids }
	h.tap(rel.Console.DisplayName())
	h.pick(rel.Model.DisplayName())
	h.pick(rel.Transport.DisplayName())
	h.tap("Next: choose the release")
	h.q.until(t, "releases", func() bool { return h.wizard().cat.loaded })
	h.pick(rel.Version)
	h.tap("Next: validate on a test device")
	if rel.Console == fleet.ConsoleUltra {
		h.pick(rel.Transport.DisplayName())
	}
	sel := h.selectWidget()
	var opt string
	h.q.until(t, unit.ID+" offered as the validation", func() bool {
		i := slices.IndexFunc(sel.Options, func(o string) bool {
			return strings.HasPrefix(o, unit.ID) && strings.Contains(o, "already updated to "+rel.Version)
		})
		if i >= 0 {
			opt = sel.Options[i]
		}
		return i >= 0
	})
	sel.SetSelected(opt)
	h.q.drain()
	h.tap("Use " + unit.ID + " as the validation")
	h.waitStep(rollout.StepReady)
	if _, has := h.wizard().proc.TestRollout(); has {
		t.Fatal("a test rollout was sent to a unit that already runs the release")
	}
	// Between the question and Yes, a unit it named begins another install at the backend (the
	// wizard's list is the last sync's): the backend refuses with 409 units_changed, and the wizard
	// says so in words, with what to do, the backend's text one click away (issue 24).
	h.tap("Deploy " + rel.Version + " to ")
	var busy fleet.Device
	for _, d := range rollout.Eligible(rel, svc.Fleet().Devices(), svc.Actor(), svc.Now()).Eligible {
		if d.ID != unit.ID && d.Transport == fleet.TransportWiFi {
			busy = d
			break
		}
	}
	if busy.ID == "" {
		t.Fatal("no second WiFi unit to make busy")
	}
	busyCmd, err := svc.SendCommand(ctx, fleet.CommandRequest{DeviceID: busy.ID, Action: fleet.ActionForceOTA, ReleaseID: rel.ID,
		Consent: rollout.DirectionOf(rel, busy)})
	if err != nil {
		t.Fatal(err)
	}
	for spent := time.Duration(0); ; spent += 10 * time.Second {
		if c, err := svc.Command(ctx, busyCmd.ID); err == nil && c.Status != fleet.CommandQueued {
			break
		}
		if spent > 10*time.Minute {
			t.Fatalf("%s's Force OTA was not delivered", busy.ID)
		}
		srv.Advance(10 * time.Second)
	}
	h.tap("Yes, deploy")
	h.q.until(t, "the refusal", func() bool { return h.wizard().proc.LastError() != "" })
	if _, ok := h.wizard().proc.Rollout(); ok {
		t.Fatal("the backend deployed although a confirmed unit was busy")
	}
	if !h.has("The deployment was not started. The units changed since you confirmed them") ||
		!h.has("Check the units the wizard lists now and deploy again") || h.has("but only") {
		t.Fatalf("the refusal is not said in words:\n%s", h.text())
	}
	h.tap("Details")
	if d := h.dialogText(); !strings.Contains(d, "units_changed") || !strings.Contains(d, "but only") {
		t.Fatalf("Details shows %q, not the backend's answer", d)
	}
	h.win.Canvas().Overlays().Top().Hide()
	// After a sync the list leaves the busy unit out, and the dealer deploys to the rest.
	if _, err := svc.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	h.q.drain()
	h.tap("Deploy " + rel.Version + " to ")
	h.tap("Yes, deploy")
	h.q.until(t, "the my_fleet rollout", func() bool {
		_, ok := h.wizard().proc.Rollout()
		return ok || h.wizard().proc.LastError() != ""
	})
	if e := h.wizard().proc.LastError(); e != "" {
		t.Fatalf("my_fleet refused after validation by FW Update: %s", e)
	}
	ro, _ := h.wizard().proc.Rollout()
	h.q.until(t, "units in the monitor", func() bool { return h.monCounts() != "" })
	h.tap("Show these units in the Fleet Console")
	if len(shown) != len(ro.Units) || len(shown) == 0 {
		t.Fatalf("Fleet Console asked for %v, rollout has %d units", shown, len(ro.Units))
	}
}

// Issue 11.5: a refused my_fleet deployment keeps the dealer's threshold and release.
func TestRefusedDeploymentKeepsTheThreshold(t *testing.T) {
	svc := newMemSession(testNow)
	h := openPage(t, svc)
	h.toReady(svc)
	ds := h.wizard().view.(*deployStep)
	ds.units.SetText("3")
	ds.pct.SetText("10")
	h.q.drain()
	svc.mu.Lock()
	svc.refuse = errors.New("conflict: the backend is busy")
	svc.mu.Unlock()
	h.tap("Deploy 2.4.1 to 7 units of my_fleet")
	h.tap("Yes, deploy 2.4.1 to 7 units")
	h.q.until(t, "the refusal", func() bool {
		return h.has("The deployment was not started. Conflict: the backend is busy. Your choices are kept.")
	})
	ds = h.wizard().view.(*deployStep)
	if h.step() != rollout.StepReady || ds.units.Text != "3" || ds.pct.Text != "10" {
		t.Fatalf("after a refusal: step %s, threshold %q units / %q %%", h.step(), ds.units.Text, ds.pct.Text)
	}
	if !h.has("Deploy 2.4.1 (D180, GSM) to 7 units of my_fleet") {
		t.Fatalf("the release was forgotten:\n%s", h.text())
	}
}

// Issue 11.11: a past rollout's report names the test device, the duration and the units of the
// variant still on old firmware.
func TestPastReportNamesTestDeviceDurationAndUnitsLeft(t *testing.T) {
	svc := newMemSession(testNow)
	r, _ := svc.release("rel-D180-gsm-2.4.1")
	req := rollout.CreateRequest{Console: r.Console, ReleaseID: r.ID, Model: r.Model, Transport: r.Transport,
		Target: rollout.DeviceTarget("UN-D180G-00"), Threshold: rollout.DefaultThreshold}
	if _, err := svc.CreateRollout(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	svc.advance(20 * time.Minute)
	svc.unit("ro-1", "UN-D180G-00", rollout.StageConfirmed, "2.4.1", true)
	req.Target = rollout.TargetMyFleet
	ro, err := svc.CreateRollout(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	svc.advance(6 * time.Hour)
	for _, u := range ro.Units {
		svc.unit(ro.ID, u.DeviceID, rollout.StageConfirmed, "2.4.1", true)
	}
	h := openPage(t, svc)
	h.q.until(t, "past list", func() bool { return len(h.page.pastRows) == 2 })
	i := slices.IndexFunc(h.page.pastRows, func(x rollout.Rollout) bool { return x.ID == ro.ID })
	h.page.past.Select(i)
	h.q.until(t, "the report", func() bool { return strings.Contains(h.page.report.Text, "validated first on test device") })
	for _, want := range []string{"validated first on test device UN-D180G-00", "ran 6 h",
		"still on old firmware: 1 D180, GSM unit: UN-D180G-OFF-00 (2.3.0)"} {
		if !strings.Contains(h.page.report.Text, want) {
			t.Fatalf("report lacks %q:\n%s", want, h.page.report.Text)
		}
	}
}
