package scope

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

var (
	now    = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	dealer = Actor{UserID: "u1", Email: "dealer1@example.com", Role: RoleDealer, Dealer: "dealer-1"}
	admin  = Actor{UserID: "a1", Email: "admin@example.com", Role: RoleAdmin}
	cust   = Actor{UserID: "c1", Email: "ops@acme.example", Role: RoleCustomer, Dealer: "dealer-1"}
	own    = fleet.Device{ID: "D180-00412", Dealer: "dealer-1", Online: true, Transport: fleet.TransportWiFi, LastSeen: now}
	other  = fleet.Device{ID: "D180-09999", Dealer: "dealer-2", Online: true, Transport: fleet.TransportWiFi, LastSeen: now}
)

func TestDealerCanViewAndManageOwnFleet(t *testing.T) {
	if !dealer.InScope(own) {
		t.Error("dealer must view own device")
	}
	for _, a := range fleet.AllActions {
		if d := CanCommand(dealer, own, a); !d.Allowed {
			t.Errorf("dealer must be able to %s own device: %s", a, d.Message)
		}
	}
	if !CanDeployMyFleet(dealer).Allowed {
		t.Error("dealer must deploy my_fleet rollouts")
	}
	if !CanIssueToken(dealer, "dealer-1", []fleet.Device{own}).Allowed {
		t.Error("dealer must issue tokens within scope")
	}
}

// Each "can NOT" of the dealer guide, one by one.
func TestDealerCannot(t *testing.T) {
	cases := map[string]Decision{
		"push global firmware":              CanPushGlobal(dealer),
		"manage devices outside scope":      CanCommand(dealer, other, fleet.ActionStart),
		"issue tokens for a foreign user":   CanIssueToken(dealer, "dealer-2", nil),
		"issue tokens for a foreign device": CanIssueToken(dealer, "dealer-1", []fleet.Device{own, other}),
		"use admin-only override actions":   CanOverride(dealer),
	}
	for name, d := range cases {
		if d.Allowed || d.Message == "" || d.Reason == "" {
			t.Errorf("%s: allowed=%v reason=%q; want a refusal with a reason", name, d.Allowed, d.Message)
		}
		var denied *DeniedError
		if err := d.Err(); !errors.As(err, &denied) {
			t.Errorf("%s: Err() = %v, want *DeniedError", name, err)
		}
	}
	if dealer.InScope(other) {
		t.Error("a dealer sees another dealer's devices")
	}
	if !strings.Contains(CanCommand(dealer, other, fleet.ActionReboot).Message, "D180-09999") {
		t.Error("the refusal must name the unit")
	}
}

func TestAdminAndCustomer(t *testing.T) {
	if !CanPushGlobal(admin).Allowed || !CanOverride(admin).Allowed || !admin.InScope(other) {
		t.Error("admin keeps admin powers")
	}
	if CanCommand(cust, own, fleet.ActionStart).Allowed || CanDeployMyFleet(cust).Allowed || CanIssueToken(cust, "dealer-1", nil).Allowed {
		t.Error("a customer account must not manage, deploy or issue tokens")
	}
	if CanCommand(dealer, own, "self_destruct").Allowed {
		t.Error("unknown actions must be refused")
	}
	if Allow.Err() != nil {
		t.Error("Allow.Err must be nil")
	}
}

func TestCommandNowNeedsBothOnline(t *testing.T) {
	if d := CanCommandNow(dealer, own, fleet.ActionStart, true, now); !d.Allowed {
		t.Errorf("online unit, online app: %s", d.Message)
	}
	if d := CanCommandNow(dealer, own, fleet.ActionStart, false, now); d.Allowed || !strings.Contains(d.Message, "offline") {
		t.Errorf("app offline must refuse with reason, got %+v", d)
	}
	off := own
	off.Online, off.LastSeen = false, now.Add(-3*time.Hour)
	if d := CanCommandNow(dealer, off, fleet.ActionStop, true, now); d.Allowed || !strings.Contains(d.Message, "3 h ago") {
		t.Errorf("offline unit must refuse naming when it was last seen, got %+v", d)
	}
	if d := CanCommandNow(dealer, other, fleet.ActionStop, true, now); d.Allowed || !strings.Contains(d.Message, "scope") {
		t.Errorf("scope is checked first, got %+v", d)
	}
}

// TestFWUpdateQueuesForAnOfflineUnitForceOTADoesNot: FW Update waits for the unit's next check-in,
// Force OTA is the immediate attempt and needs the unit online; the backend must be reachable for both.
func TestFWUpdateQueuesForAnOfflineUnitForceOTADoesNot(t *testing.T) {
	off := own
	off.Online, off.LastSeen = false, now.Add(-3*time.Hour)
	if d := CanCommandNow(dealer, off, fleet.ActionFWUpdate, true, now); !d.Allowed {
		t.Errorf("FW Update to an offline unit is queued, got %+v", d)
	}
	if d := CanCommandNow(dealer, off, fleet.ActionForceOTA, true, now); d.Allowed || d.Reason != ReasonUnitOffline {
		t.Errorf("Force OTA to an offline unit must be refused, got %+v", d)
	}
	if d := CanCommandNow(dealer, off, fleet.ActionFWUpdate, false, now); d.Allowed {
		t.Errorf("FW Update needs the backend, got %+v", d)
	}
}

func TestStartOnRunningStopOnStoppedRefused(t *testing.T) {
	run := own
	run.Online, run.LastSeen, run.RunState = true, now, fleet.RunRunning
	if d := CanCommandNow(dealer, run, fleet.ActionStart, true, now); d.Allowed || !strings.Contains(d.Message, "already running") {
		t.Errorf("Start on a running unit: %+v", d)
	}
	if d := CanCommandNow(dealer, run, fleet.ActionStop, true, now); !d.Allowed {
		t.Errorf("Stop on a running unit: %+v", d)
	}
	run.RunState = fleet.RunStopped
	if d := CanCommandNow(dealer, run, fleet.ActionStop, true, now); d.Allowed || !strings.Contains(d.Message, "already stopped") {
		t.Errorf("Stop on a stopped unit: %+v", d)
	}
}

// TestRefusalsCarryTheirReason: every refusal names its rule by code, so a screen or a script
// decides by the code and never by matching the wording (issue 21 item 3).
func TestRefusalsCarryTheirReason(t *testing.T) {
	off := own
	off.Online, off.LastSeen = false, now.Add(-3*time.Hour)
	run := own
	run.RunState = fleet.RunRunning
	stopped := own
	stopped.RunState = fleet.RunStopped
	cases := []struct {
		name string
		dec  Decision
		want Reason
	}{
		{"unknown action", CanCommand(dealer, own, "self_destruct"), ReasonUnknownAction},
		{"customer commands", CanCommand(cust, own, fleet.ActionStart), ReasonNotDealer},
		{"foreign unit", CanCommandNow(dealer, other, fleet.ActionStart, true, now), ReasonOutOfScope},
		{"FleetDesk offline", CanCommandNow(dealer, own, fleet.ActionStart, false, now), ReasonBackendOffline},
		{"unit offline", CanCommandNow(dealer, off, fleet.ActionReboot, true, now), ReasonUnitOffline},
		{"Force OTA offline", CanCommandNow(dealer, off, fleet.ActionForceOTA, true, now), ReasonUnitOffline},
		{"Start running", CanCommandNow(dealer, run, fleet.ActionStart, true, now), ReasonAlreadyRunning},
		{"Stop stopped", CanCommandNow(dealer, stopped, fleet.ActionStop, true, now), ReasonAlreadyStopped},
		{"global push", CanPushGlobal(dealer), ReasonAdminOnly},
		{"override", CanOverride(dealer), ReasonAdminOnly},
		{"customer rollout", CanDeployMyFleet(cust), ReasonNotDealer},
		{"foreign token user", CanIssueToken(dealer, "dealer-2", nil), ReasonOutOfScope},
	}
	for _, c := range cases {
		if c.dec.Allowed || c.dec.Reason != c.want || c.dec.Message == "" {
			t.Errorf("%s: %+v, want a refusal for %s with words", c.name, c.dec, c.want)
		}
		var denied *DeniedError
		if err := c.dec.Err(); !errors.As(err, &denied) || denied.Reason != c.want || denied.Message != c.dec.Message {
			t.Errorf("%s: Err() = %v does not carry %s", c.name, err, c.want)
		}
	}
	// Force OTA's refusal names the other firmware action, the dealer's way forward.
	if d := CanCommandNow(dealer, off, fleet.ActionForceOTA, true, now); !strings.Contains(d.Message, "FW Update can be queued") {
		t.Errorf("Force OTA offline: %q", d.Message)
	}
}
