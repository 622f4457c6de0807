package sim

import (
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// TestFWUpdateWaitsForCheckInForceOTANeedsTheUnitOnline makes the guide's difference real: FW
// Update (the normal remote update) is queued for an offline unit and installed when it checks
// in again, days later if need be; Force OTA (the immediate attempt) is refused for an offline
// unit with unit_offline, and goes to an online one at once.
func TestFWUpdateWaitsForCheckInForceOTANeedsTheUnitOnline(t *testing.T) {
	s := startSim(t, Config{Devices: 200, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, newValidator(t))
	c.login(account(t, s, "dealer", ""))
	devs, _, _ := listAll(t, c, "", 500)
	d, rel := pickTestDevice(t, c, devs, nil)

	// Take the unit off the air: it stops reporting until we let it check in again.
	b := s.Backend()
	b.mu.Lock()
	i := b.w.byID[d.ID]
	b.w.devs[i].D.Online = false
	b.w.devs[i].gen++ // its planned heartbeat no longer fires
	b.w.touch(i, b.clk.now())
	b.mu.Unlock()

	c.mustErr("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionForceOTA, ReleaseID: rel.ID}, 409, api.CodeUnitOffline)

	var cmd fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionFWUpdate, ReleaseID: rel.ID}, 201, &cmd)
	if cmd.Status != fleet.CommandQueued || cmd.ExpiresAt.Sub(cmd.CreatedAt) < 24*time.Hour {
		t.Fatalf("FW Update for an offline unit: %s, expires %s after it was sent; want queued for days", cmd.Status, cmd.ExpiresAt.Sub(cmd.CreatedAt))
	}
	// Still queued after a Stop sent to the same silent unit has expired: FW Update waits longer.
	var stop fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionStop}, 201, &stop)
	advanceUntil(t, s, 8*24*time.Hour, time.Minute, "the Stop to a silent unit to expire", func() bool { return getCommand(t, c, stop.ID).Status.Final() })
	if got := getCommand(t, c, stop.ID); got.Status != fleet.CommandExpired {
		t.Fatalf("Stop to a silent unit ended %s", got.Status)
	}
	if got := getCommand(t, c, cmd.ID); got.Status != fleet.CommandQueued {
		t.Fatalf("FW Update to a silent unit is %s once a Stop has expired", got.Status)
	}
	// The unit checks in: the update reaches it and it installs.
	b.mu.Lock()
	b.scheduleBeat(i, b.clk.now())
	b.mu.Unlock()
	advanceUntil(t, s, 8*24*time.Hour, time.Minute, "the queued update to finish", func() bool { return getCommand(t, c, cmd.ID).Status.Final() })
	if got := getCommand(t, c, cmd.ID); got.Status != fleet.CommandDone {
		t.Fatalf("queued FW Update ended %s: %s", got.Status, got.Error)
	}
	if got := getDevice(t, c, d.ID); got.Firmware != rel.Version {
		t.Fatalf("unit runs %s after the update, want %s", got.Firmware, rel.Version)
	}

	// Force OTA goes to an online unit at once and reinstalls even the running version.
	advanceUntil(t, s, 8*24*time.Hour, time.Minute, "the unit to be online", func() bool { return getDevice(t, c, d.ID).Online })
	var force fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionForceOTA, ReleaseID: rel.ID}, 201, &force)
	advanceUntil(t, s, 8*24*time.Hour, time.Minute, "the forced install to finish", func() bool { return getCommand(t, c, force.ID).Status.Final() })
	if got := getCommand(t, c, force.ID); got.Status == fleet.CommandExpired {
		t.Fatalf("Force OTA to an online unit expired: %s", got.Error)
	}
}
