// Package scope is the dealer scope policy of the dealer guide: may this actor do this to this
// unit, and if not, why. The backend enforces the same rules (and is the authority); the app asks
// here so it never offers what would be refused, and can say why.
package scope

import (
	"fmt"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Role is who an account is.
type Role string

// Roles known to the backend.
const (
	RoleDealer   Role = "dealer"
	RoleAdmin    Role = "admin"
	RoleCustomer Role = "customer"
)

// Actor is the signed-in account.
type Actor struct {
	UserID string `json:"id"`
	Email  string `json:"email"`
	Role   Role   `json:"role"`
	Dealer string `json:"dealer"` // the dealer the account belongs to; empty for admins
}

// Decision is an answer with its reason; Reason is empty only when Allowed.
type Decision struct {
	Allowed bool
	Reason  string
}

// Allow is the positive decision.
var Allow = Decision{Allowed: true}

func deny(format string, args ...any) Decision {
	return Decision{Reason: fmt.Sprintf(format, args...)}
}

// Err turns a refusal into an error, nil when allowed.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return &DeniedError{Reason: d.Reason}
}

// DeniedError is a refusal by policy.
type DeniedError struct{ Reason string }

func (e *DeniedError) Error() string { return "not allowed: " + e.Reason }

// InScope reports whether the device belongs to the actor's dealer.
func (a Actor) InScope(d fleet.Device) bool {
	return a.Role == RoleAdmin || (a.Dealer != "" && d.Dealer == a.Dealer)
}

// CanView says whether the actor may see the device at all ("view dealer fleet devices").
func CanView(a Actor, d fleet.Device) Decision {
	if !a.InScope(d) {
		return deny("%s is outside your dealer scope", d.ID)
	}
	return Allow
}

// CanCommand says whether the actor may send the action to the device ("manage eligible devices";
// "manage devices outside dealer scope" is refused). Reachability is a separate question: see
// CanCommandNow.
func CanCommand(a Actor, d fleet.Device, act fleet.Action) Decision {
	if !act.Valid() {
		return deny("unknown action %q", act)
	}
	switch a.Role {
	case RoleDealer, RoleAdmin:
	default:
		return deny("only dealer accounts can manage devices")
	}
	if !a.InScope(d) {
		return deny("%s is outside your dealer scope", d.ID)
	}
	return Allow
}

// CanCommandNow adds the live checks. backendOnline is whether FleetDesk itself can reach the
// backend. A command to an offline unit would only expire, except FW Update: the normal remote
// update waits at the backend for the unit's next check-in, so it may be queued while the unit is
// offline (Force OTA is the immediate attempt and needs the unit online). Start on a unit that
// already runs, and Stop on one already stopped, would do nothing and are refused with the reason.
func CanCommandNow(a Actor, d fleet.Device, act fleet.Action, backendOnline bool, now time.Time) Decision {
	if dec := CanCommand(a, d, act); !dec.Allowed {
		return dec
	}
	if !backendOnline {
		return deny("FleetDesk is offline: commands need the backend")
	}
	if !d.Online && act != fleet.ActionFWUpdate {
		return deny("%s is offline (last seen %s): wait until it reports again", d.ID, fleet.Ago(now, d.LastSeen))
	}
	switch {
	case act == fleet.ActionStart && d.RunState == fleet.RunRunning:
		return deny("%s is already running", d.ID)
	case act == fleet.ActionStop && d.RunState == fleet.RunStopped:
		return deny("%s is already stopped", d.ID)
	}
	return Allow
}

// CanDeployMyFleet says whether the actor may run a rollout to its own fleet ("deploy my_fleet
// rollouts").
func CanDeployMyFleet(a Actor) Decision {
	if a.Role != RoleDealer && a.Role != RoleAdmin {
		return deny("only dealer accounts can run rollouts")
	}
	return Allow
}

// CanPushGlobal is the global firmware push: admin only ("push global firmware" is refused).
func CanPushGlobal(a Actor) Decision {
	if a.Role != RoleAdmin {
		return deny("global firmware pushes are for administrators only; dealers deploy to my_fleet")
	}
	return Allow
}

// CanOverride is the admin-only override section ("use admin-only override actions" is refused).
func CanOverride(a Actor) Decision {
	if a.Role != RoleAdmin {
		return deny("override actions are for administrators only")
	}
	return Allow
}

// CanIssueToken says whether the actor may issue a token for a user of the given dealer restricted
// to the given devices ("issue tokens within/outside dealer scope").
func CanIssueToken(a Actor, userDealer string, devices []fleet.Device) Decision {
	if a.Role != RoleDealer && a.Role != RoleAdmin {
		return deny("only dealer accounts can issue tokens")
	}
	if a.Role == RoleDealer && userDealer != a.Dealer {
		return deny("that user account is outside your dealer scope")
	}
	for _, d := range devices {
		if !a.InScope(d) {
			return deny("%s is outside your dealer scope", d.ID)
		}
	}
	return Allow
}
