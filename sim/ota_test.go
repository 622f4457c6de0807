package sim

import (
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

func getDevice(t testing.TB, c *client, id string) fleet.Device {
	t.Helper()
	var d fleet.Device
	c.mustJSON("GET", path(api.PathDevice, "id", id), nil, 200, &d)
	return d
}

func getCommand(t testing.TB, c *client, id string) fleet.Command {
	t.Helper()
	var cmd fleet.Command
	c.mustJSON("GET", path(api.PathCommand, "id", id), nil, 200, &cmd)
	return cmd
}

func stages(ro rollout.Rollout) map[rollout.Stage]int {
	m := map[rollout.Stage]int{}
	for _, u := range ro.Units {
		m[u.Stage]++
	}
	return m
}

// A firmware update takes the unit offline while it installs; it returns with the new version.
func TestOTACommandInstallsAndReturns(t *testing.T) {
	s := startSim(t, Config{Devices: 200, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, newValidator(t))
	c.login(account(t, s, "dealer", ""))
	devs, _, _ := listAll(t, c, "", 500)
	d, rel := pickTestDevice(t, c, devs, nil)
	var cmd fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionFWUpdate, ReleaseID: rel.ID}, 201, &cmd, api.HeaderIdempotencyKey, "ota-1")
	if cmd.Status != fleet.CommandQueued {
		t.Fatalf("new command is %s", cmd.Status)
	}
	sawOffline := false
	advanceUntil(t, s, time.Hour, 5*time.Second, "the install to finish", func() bool {
		got := getDevice(t, c, d.ID)
		if !got.Online && got.Firmware == d.Firmware {
			sawOffline = true
		}
		return getCommand(t, c, cmd.ID).Status.Final()
	})
	if !sawOffline {
		t.Error("the unit never went offline while installing")
	}
	if got := getCommand(t, c, cmd.ID); got.Status != fleet.CommandDone {
		t.Fatalf("command ended %s: %s", got.Status, got.Error)
	}
	if got := getDevice(t, c, d.ID); got.Firmware != rel.Version || !got.Online {
		t.Fatalf("unit after install: online=%v firmware %s, want %s", got.Online, got.Firmware, rel.Version)
	}
	// Start and Stop change the run state after a short delay.
	var start fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionStart}, 201, &start)
	advanceUntil(t, s, 10*time.Minute, time.Second, "start to finish", func() bool { return getCommand(t, c, start.ID).Status.Final() })
	if got := getDevice(t, c, d.ID); got.RunState != fleet.RunRunning {
		t.Errorf("run state after Start: %s (%s)", got.RunState, getCommand(t, c, start.ID).Error)
	}
	var reboot fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionReboot}, 201, &reboot)
	advanceUntil(t, s, 10*time.Minute, time.Second, "reboot to finish", func() bool { return getCommand(t, c, reboot.ID).Status == fleet.CommandDone })
}

// Commands to a unit that does not report stay queued and then expire.
func TestCommandToSilentUnitExpires(t *testing.T) {
	s := startSim(t, Config{Devices: 300, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, newValidator(t))
	c.login(account(t, s, "dealer", ""))
	devs, _, _ := listAll(t, c, "", 500)
	b := s.Backend()
	// Make one unit silent for good, the way a unit lost after a failed install is.
	var victim fleet.Device
	for _, d := range devs {
		if d.Online && d.Transport == fleet.TransportWiFi {
			victim = d
			break
		}
	}
	b.mu.Lock()
	i := b.w.byID[victim.ID]
	b.w.devs[i].Gone = true
	b.w.devs[i].D.Online = false
	b.w.devs[i].gen++
	b.w.touch(i, b.clk.now())
	b.mu.Unlock()
	var cmd fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", victim.ID), api.CommandRequest{Action: fleet.ActionStop}, 201, &cmd)
	// A second before it expires everything due has run (Advance returns only then): still queued.
	ttl := commandTTL(victim.Transport, fleet.ActionStop)
	s.Advance(ttl - time.Second)
	if got := getCommand(t, c, cmd.ID); got.Status != fleet.CommandQueued {
		t.Fatalf("command to a silent unit is %s after %v", got.Status, ttl-time.Second)
	}
	s.Advance(2 * time.Second)
	if got := getCommand(t, c, cmd.ID); got.Status != fleet.CommandExpired || got.Error == "" {
		t.Fatalf("command ended %s (%q), want expired with a reason", got.Status, got.Error)
	}
}

// validate runs device:<id> rollouts of a release until one comes back confirmed, trying other test
// devices when one fails; it returns the number of attempts.
func validate(t *testing.T, s *Server, c *client, devs []fleet.Device, want fleet.Variant) (rollout.Release, int) {
	t.Helper()
	tried := map[string]bool{}
	for attempt := 1; attempt <= 25; attempt++ {
		var cands []fleet.Device
		for _, d := range devs {
			if fleet.VariantOf(d) == want {
				cands = append(cands, getDevice(t, c, d.ID))
			}
		}
		d, rel := pickTestDevice(t, c, cands, tried)
		tried[d.ID] = true
		var ro rollout.Rollout
		st, raw := c.do("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport, Target: rollout.DeviceTarget(d.ID)})
		if st != 201 {
			continue // went offline meanwhile; pick another
		}
		mustUnmarshal(t, raw, &ro)
		advanceUntil(t, s, 2*time.Hour, 5*time.Second, "the test device rollout to end", func() bool {
			ro = getRollout(t, c, ro.ID)
			return ro.Status == rollout.StatusFinished
		})
		if ro.Units[0].Stage == rollout.StageConfirmed {
			return rel, attempt
		}
		// A failed validation keeps my_fleet closed.
		c.mustErr("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport, Target: rollout.TargetMyFleet}, 409, api.CodeValidationRequired)
	}
	t.Fatal("no test device ever confirmed the release")
	return rollout.Release{}, 0
}

// A test-device rollout whose install fails keeps my_fleet closed: the failure is forced on the
// chosen unit, so the refusal is checked on every run, not only when a validation happens to fail.
func TestFailedValidationKeepsMyFleetClosed(t *testing.T) {
	var failing sync.Map // device ID → true: its installs come back on the old version
	s := startSim(t, Config{Devices: 300, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL,
		OTAFails: func(id string) bool { _, ok := failing.Load(id); return ok }})
	c := newClient(t, s, newValidator(t))
	c.login(account(t, s, "dealer", ""))
	devs, _, _ := listAll(t, c, "", 500)
	d, rel := pickTestDevice(t, c, devs, nil)
	failing.Store(d.ID, true)
	var ro rollout.Rollout
	c.mustJSON("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model,
		Transport: rel.Transport, Target: rollout.DeviceTarget(d.ID)}, 201, &ro)
	advanceUntil(t, s, 2*time.Hour, 5*time.Second, "the test device rollout to end", func() bool {
		ro = getRollout(t, c, ro.ID)
		return ro.Status == rollout.StatusFinished
	})
	if st := ro.Units[0].Stage; st != rollout.StageFailed {
		t.Fatalf("setup: the forced failure ended the test rollout with the unit %s, want failed", st)
	}
	c.mustErr("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model,
		Transport: rel.Transport, Target: rollout.TargetMyFleet}, 409, api.CodeValidationRequired)
}

// biggestWiFiVariant is the WiFi variant with the most units not on its newest release.
func biggestWiFiVariant(t *testing.T, c *client, devs []fleet.Device) fleet.Variant {
	_, rel := pickTestDevice(t, c, devs, nil)
	return rel.Variant()
}

// With every install succeeding, validation opens my_fleet and the rollout confirms every unit.
func TestRolloutValidatedThenFleet(t *testing.T) {
	s := startSim(t, Config{Devices: 600, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, newValidator(t))
	c.login(account(t, s, "dealer", ""))
	devs, cursor, _ := listAll(t, c, "", 1000)
	v := biggestWiFiVariant(t, c, devs)
	rel, _ := validate(t, s, c, devs, v)
	var ro rollout.Rollout
	c.mustJSON("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport, Target: rollout.TargetMyFleet}, 201, &ro)
	if len(ro.Units) < 2 {
		t.Fatalf("my_fleet rollout has %d units", len(ro.Units))
	}
	for _, u := range ro.Units {
		d := getDevice(t, c, u.DeviceID)
		if fleet.VariantOf(d) != rel.Variant() {
			t.Fatalf("my_fleet included %s, a %s, in a %s rollout", d.ID, fleet.VariantOf(d), rel.Variant())
		}
	}
	advanceUntil(t, s, 24*time.Hour, 10*time.Second, "the fleet rollout to finish", func() bool {
		ro = getRollout(t, c, ro.ID)
		return ro.Status == rollout.StatusFinished
	})
	st := stages(ro)
	if st[rollout.StageConfirmed] == 0 || st[rollout.StageFailed] != 0 || st[rollout.StageNotReturned] != 0 {
		t.Fatalf("stages %v", st)
	}
	// Delta sync after the rollout reports the new versions.
	delta, _, _ := listAll(t, c, cursor, 1000)
	got := map[string]string{}
	for _, d := range delta {
		got[d.ID] = d.Firmware
	}
	for _, u := range ro.Units {
		if u.Stage == rollout.StageConfirmed && got[u.DeviceID] != rel.Version {
			t.Errorf("delta sync shows %s on %q, want %s", u.DeviceID, got[u.DeviceID], rel.Version)
		}
	}
}

// With a high failure share, the rollout pauses itself at the threshold and sends nothing more.
func TestRolloutPausesAtFailureThreshold(t *testing.T) {
	s := startSim(t, Config{Devices: 1200, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL, OTAFailureShare: 0.6})
	c := newClient(t, s, newValidator(t))
	c.login(account(t, s, "dealer", ""))
	devs, _, _ := listAll(t, c, "", 2000)
	v := biggestWiFiVariant(t, c, devs)
	rel, _ := validate(t, s, c, devs, v)
	var ro rollout.Rollout
	c.mustJSON("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport,
		Target: rollout.TargetMyFleet, Threshold: rollout.Threshold{Units: 2}}, 201, &ro)
	n := len(ro.Units)
	if n < 8 {
		t.Fatalf("only %d units in the rollout: the seed no longer gives the threshold room to act", n)
	}
	advanceUntil(t, s, 24*time.Hour, 5*time.Second, "the rollout to pause itself", func() bool {
		ro = getRollout(t, c, ro.ID)
		return ro.Status != rollout.StatusRunning
	})
	if ro.Status != rollout.StatusPaused || ro.Reason == "" {
		t.Fatalf("rollout ended %s (%q), want paused by itself", ro.Status, ro.Reason)
	}
	st := stages(ro)
	if st[rollout.StageFailed]+st[rollout.StageNotReturned] < 2 {
		t.Errorf("paused with stages %v", st)
	}
	if st[rollout.StageQueued] == 0 {
		t.Fatalf("the threshold did not stop the rollout before everyone got it: %v", st)
	}
	// Paused: units already installing finish, nobody new is sent the release. An hour of simulated
	// time is 120 rollout ticks and every install's return or give-up, all carried out before
	// Advance returns.
	queued := st[rollout.StageQueued]
	s.Advance(time.Hour)
	ro = getRollout(t, c, ro.ID)
	if n := stages(ro)[rollout.StageInstalling]; n != 0 {
		t.Errorf("an hour later %d units are still installing: the hour did not pass", n)
	}
	if q := stages(ro)[rollout.StageQueued]; q != queued || ro.Status != rollout.StatusPaused {
		t.Errorf("while paused: queued %d → %d, status %s", queued, q, ro.Status)
	}
	// Cancel skips the rest.
	c.mustJSON("POST", path(api.PathRolloutCancel, "id", ro.ID), nil, 200, &ro)
	if st := stages(ro); st[rollout.StageQueued] != 0 || st[rollout.StageSkipped] < queued {
		t.Errorf("after cancel: %v", st)
	}
}

// The threshold is "N units or P percent, whichever comes first"; zero turns a bound off.
func TestFailureThresholdArithmetic(t *testing.T) {
	for _, tc := range []struct {
		units, fails int
		th           rollout.Threshold
		paused       bool
	}{
		{40, 1, rollout.Threshold{Units: 2, Percent: 5}, false},
		{40, 2, rollout.Threshold{Units: 2, Percent: 5}, true},   // 2 units
		{10, 1, rollout.Threshold{Units: 2, Percent: 5}, true},   // 10% ≥ 5%
		{100, 4, rollout.Threshold{Units: 0, Percent: 5}, false}, // units bound off
		{100, 5, rollout.Threshold{Units: 0, Percent: 5}, true},
		{100, 9, rollout.Threshold{Units: 10, Percent: 0}, false},
		{100, 10, rollout.Threshold{Units: 10, Percent: 0}, true},
	} {
		b := &Backend{w: newWorld(1)}
		ro := &rolloutState{R: rollout.Rollout{Status: rollout.StatusRunning, Threshold: tc.th}, unitIdx: map[string]int{}}
		for k := 0; k < tc.units; k++ {
			st := rollout.StageInstalling
			if k < tc.fails {
				st = rollout.StageFailed
			}
			ro.R.Units = append(ro.R.Units, rollout.UnitProgress{DeviceID: string(rune('a' + k)), Stage: st})
		}
		ro.InFlight = tc.units
		b.w.rollouts["r"] = ro
		b.unitFinal(ro, true, time.Now())
		if got := ro.R.Status == rollout.StatusPaused; got != tc.paused {
			t.Errorf("%d of %d failed with %+v: paused=%v, want %v", tc.fails, tc.units, tc.th, got, tc.paused)
		}
		if tc.paused && ro.R.Reason == "" {
			t.Error("paused without a reason")
		}
	}
}

// Over a few simulated hours units report, go quiet, come back and raise alarms, and delta sync
// brings each change exactly once per page walk.
func TestUnitsComeAndGo(t *testing.T) {
	s := startSim(t, Config{Devices: 1500, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	devs, cursor, total := listAll(t, c, "", 5000)
	state := map[string]fleet.Device{}
	for _, d := range devs {
		state[d.ID] = d
	}
	wentOff, cameBack, alarmed, beats := 0, 0, 0, 0
	for round := 0; round < 15; round++ {
		s.Advance(10 * time.Minute)
		var delta []fleet.Device
		var tot int
		delta, cursor, tot = listAll(t, c, cursor, 5000)
		if tot != total {
			t.Fatalf("total changed %d → %d", total, tot)
		}
		for _, d := range delta {
			old := state[d.ID]
			switch {
			case old.Online && !d.Online:
				wentOff++
			case !old.Online && d.Online:
				cameBack++
			}
			if len(old.Alarms) == 0 && len(d.Alarms) > 0 {
				alarmed++
			}
			if d.LastSeen.After(old.LastSeen) {
				beats++
			}
			if d.LastSeen.Before(old.LastSeen) {
				t.Fatalf("%s went back in time: %v → %v", d.ID, old.LastSeen, d.LastSeen)
			}
			state[d.ID] = d
		}
	}
	t.Logf("went offline %d, came back %d, raised alarms %d, heartbeats %d", wentOff, cameBack, alarmed, beats)
	if wentOff == 0 || cameBack == 0 || alarmed == 0 || beats < len(devs) {
		t.Errorf("a lifeless fleet: offline %d, back %d, alarms %d, heartbeats %d", wentOff, cameBack, alarmed, beats)
	}
}

// Under ManualClock simulated time moves only in Advance, by exactly what was asked, and an
// Advance has carried out everything due by the time it returns: every unit has reported since.
func TestManualClockAdvancesOnlyOnRequest(t *testing.T) {
	s := startSim(t, Config{Devices: 100, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	t0 := s.Now()
	devs, cursor, _ := listAll(t, c, "", 500)
	if got := s.Now(); !got.Equal(t0) {
		t.Fatalf("time moved on its own: %v → %v", t0, got)
	}
	s.Advance(0) // carries out what is due now, moves nothing
	if got := s.Now(); !got.Equal(t0) {
		t.Fatalf("Advance(0) moved time: %v → %v", t0, got)
	}
	s.Advance(3 * time.Hour)
	if got := s.Now(); !got.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("after Advance(3h) the time is %v, want %v", got, t0.Add(3*time.Hour))
	}
	delta, _, _ := listAll(t, c, cursor, 500)
	seen := map[string]time.Time{}
	for _, d := range delta {
		seen[d.ID] = d.LastSeen
		if d.LastSeen.After(s.Now()) {
			t.Errorf("%s reported at %v, after the simulated now %v", d.ID, d.LastSeen, s.Now())
		}
	}
	for _, d := range devs {
		if d.Online && !seen[d.ID].After(t0) {
			t.Errorf("%s (online, %s) did not report in three simulated hours", d.ID, d.Transport)
		}
	}
	// A backend whose time runs on its own refuses to be driven.
	free := startSim(t, Config{Devices: 10, Dealers: 1})
	defer func() {
		if recover() == nil {
			t.Error("Advance on a backend without ManualClock did not panic")
		}
	}()
	free.Advance(time.Second)
}

// A ManualClock backend in its own process (fleetsim serve --manual-clock) is driven over HTTP by
// the admin account; a backend whose time runs on its own has no such endpoint.
func TestSimAdvanceEndpoint(t *testing.T) {
	s := startSim(t, Config{Devices: 20, Dealers: 1, ManualClock: true})
	t0 := s.Now()
	dealer, adm := newClient(t, s, nil), newClient(t, s, nil)
	dealer.login(account(t, s, "dealer", ""))
	adm.login(account(t, s, "admin", ""))
	dealer.mustErr("POST", PathSimAdvance, AdvanceRequest{By: "90s"}, 403, api.CodeForbidden)
	adm.mustErr("POST", PathSimAdvance, AdvanceRequest{By: "-1s"}, 400, api.CodeBadRequest)
	adm.mustErr("POST", PathSimAdvance, `{"by":"soon"}`, 400, api.CodeBadRequest)
	if !s.Now().Equal(t0) {
		t.Fatalf("refused requests moved time: %v → %v", t0, s.Now())
	}
	var res AdvanceResult
	adm.mustJSON("POST", PathSimAdvance, AdvanceRequest{By: "90s"}, 200, &res)
	if want := t0.Add(90 * time.Second); !res.Now.Equal(want) || !s.Now().Equal(want) {
		t.Fatalf("after 90s: answered %v, backend at %v, want %v", res.Now, s.Now(), want)
	}
	free := startSim(t, Config{Devices: 10, Dealers: 1})
	fa := newClient(t, free, nil)
	fa.login(account(t, free, "admin", ""))
	fa.mustErr("POST", PathSimAdvance, AdvanceRequest{By: "90s"}, 404, api.CodeNotFound)
}
