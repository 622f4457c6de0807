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

// Reason says which rule refused an action. Code decides by it (a screen that words one refusal
// its own way, a test, a script); people read Decision.Message. No caller parses the message.
type Reason string

// Every reason an action on a unit, a rollout or a token can be refused for by the scope policy,
// and those the data layer adds when it checks a command before sending it.
const (
	ReasonUnknownAction  Reason = "unknown_action"  // not an action FleetDesk knows
	ReasonNotDealer      Reason = "not_dealer"      // the account's role may not do this at all
	ReasonAdminOnly      Reason = "admin_only"      // global pushes and overrides
	ReasonOutOfScope     Reason = "out_of_scope"    // another dealer's unit or user account
	ReasonNotInFleet     Reason = "not_in_fleet"    // the unit is not in the synced fleet (unknown, or outside the scope)
	ReasonBackendOffline Reason = "backend_offline" // FleetDesk cannot reach the backend
	ReasonUnitOffline    Reason = "unit_offline"    // the unit is offline and the action needs it online
	ReasonAlreadyRunning Reason = "already_running" // Start on a running unit
	ReasonAlreadyStopped Reason = "already_stopped" // Stop on a stopped unit
	ReasonNoRelease      Reason = "no_release"      // a firmware action without a release, or a release on another action
	ReasonUnknownRelease Reason = "unknown_release" // the release is not in the unit's console's catalogue
	ReasonWrongVariant   Reason = "wrong_variant"   // the release is built for another engine or transport
	ReasonNotConsented   Reason = "not_consented"   // a downgrade or reinstall without the dealer's explicit consent
)

// Decision is an answer with its reason; Reason and Message are empty only when Allowed.
type Decision struct {
	Allowed bool
	Reason  Reason
	Message string // the reason in the dealer's words, naming the unit
}

// Allow is the positive decision.
var Allow = Decision{Allowed: true}

// Deny is a refusal for the reason, worded by format.
func Deny(r Reason, format string, args ...any) Decision {
	return Decision{Reason: r, Message: fmt.Sprintf(format, args...)}
}

// Err turns a refusal into an error, nil when allowed.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return &DeniedError{Reason: d.Reason, Message: d.Message}
}

// DeniedError is a refusal by policy: nothing was sent.
type DeniedError struct {
	Reason  Reason
	Message string
}

func (e *DeniedError) Error() string { return "not allowed: " + e.Message }

// InScope reports whether the device belongs to the actor's dealer: the guide's "view dealer fleet
// devices" (the backend never sends another dealer's), and the first condition of every action.
func (a Actor) InScope(d fleet.Device) bool {
	return a.Role == RoleAdmin || (a.Dealer != "" && d.Dealer == a.Dealer)
}

// CanCommand says whether the actor may send the action to the device ("manage eligible devices";
// "manage devices outside dealer scope" is refused). Reachability is a separate question: see
// CanCommandNow.
func CanCommand(a Actor, d fleet.Device, act fleet.Action) Decision {
	if !act.Valid() {
		return Deny(ReasonUnknownAction, "unknown action %q", act)
	}
	switch a.Role {
	case RoleDealer, RoleAdmin:
	default:
		return Deny(ReasonNotDealer, "only dealer accounts can manage devices")
	}
	if !a.InScope(d) {
		return Deny(ReasonOutOfScope, "%s is outside your dealer scope", d.ID)
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
		return Deny(ReasonBackendOffline, "FleetDesk is offline: commands need the backend")
	}
	switch {
	case !d.Online && act == fleet.ActionForceOTA:
		// The dealer's way forward is the other firmware action, so the refusal names it.
		return Deny(ReasonUnitOffline, "Force OTA needs %s online (last seen %s); FW Update can be queued for its next check-in",
			d.ID, fleet.Ago(now, d.LastSeen))
	case !d.Online && act != fleet.ActionFWUpdate:
		return Deny(ReasonUnitOffline, "%s is offline (last seen %s): wait until it reports again", d.ID, fleet.Ago(now, d.LastSeen))
	}
	switch {
	case act == fleet.ActionStart && d.RunState == fleet.RunRunning:
		return Deny(ReasonAlreadyRunning, "%s is already running", d.ID)
	case act == fleet.ActionStop && d.RunState == fleet.RunStopped:
		return Deny(ReasonAlreadyStopped, "%s is already stopped", d.ID)
	}
	return Allow
}

// CanDeployMyFleet says whether the actor may run a rollout to its own fleet ("deploy my_fleet
// rollouts").
func CanDeployMyFleet(a Actor) Decision {
	if a.Role != RoleDealer && a.Role != RoleAdmin {
		return Deny(ReasonNotDealer, "only dealer accounts can run rollouts")
	}
	return Allow
}

// CanPushGlobal is the global firmware push: admin only ("push global firmware" is refused).
func CanPushGlobal(a Actor) Decision {
	if a.Role != RoleAdmin {
		return Deny(ReasonAdminOnly, "global firmware pushes are for administrators only; dealers deploy to my_fleet")
	}
	return Allow
}

// CanOverride is the admin-only override section ("use admin-only override actions" is refused).
func CanOverride(a Actor) Decision {
	if a.Role != RoleAdmin {
		return Deny(ReasonAdminOnly, "override actions are for administrators only")
	}
	return Allow
}

// CanIssueToken says whether the actor may issue a token for a user of the given dealer restricted
// to the given devices ("issue tokens within/outside dealer scope").
func CanIssueToken(a Actor, userDealer string, devices []fleet.Device) Decision {
	if a.Role != RoleDealer && a.Role != RoleAdmin {
		return Deny(ReasonNotDealer, "only dealer accounts can issue tokens")
	}
	if a.Role == RoleDealer && userDealer != a.Dealer {
		return Deny(ReasonOutOfScope, "that user account is outside your dealer scope")
	}
	for _, d := range devices {
		if !a.InScope(d) {
			return Deny(ReasonOutOfScope, "%s is outside your dealer scope", d.ID)
		}
	}
	return Allow
}
