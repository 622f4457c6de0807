package fleet

import (
	"time"
)

// Action is a command a dealer can send to one unit from its Manage page.
type Action string

// The Manage page's actions, as the dealer guide names them.
const (
	ActionStart    Action = "start"
	ActionStop     Action = "stop"
	ActionReboot   Action = "reboot"
	ActionFWUpdate Action = "fw_update" // normal remote update
	ActionForceOTA Action = "force_ota" // immediate OTA attempt
)

// AllActions lists the actions in the Manage page's order.
var AllActions = []Action{ActionStart, ActionStop, ActionReboot, ActionFWUpdate, ActionForceOTA}

// DisplayName is the button label.
func (a Action) DisplayName() string {
	switch a {
	case ActionStart:
		return "Start"
	case ActionStop:
		return "Stop"
	case ActionReboot:
		return "Reboot"
	case ActionFWUpdate:
		return "FW Update"
	case ActionForceOTA:
		return "Force OTA"
	}
	return string(a)
}

// NeedsRelease reports whether the action carries a firmware release.
func (a Action) NeedsRelease() bool { return a == ActionFWUpdate || a == ActionForceOTA }

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	for _, k := range AllActions {
		if k == a {
			return true
		}
	}
	return false
}

// CommandStatus is where a command is on its way to the unit.
type CommandStatus string

// Command statuses; done, failed and expired are final.
const (
	CommandQueued    CommandStatus = "queued"
	CommandDelivered CommandStatus = "delivered"
	CommandDone      CommandStatus = "done"
	CommandFailed    CommandStatus = "failed"
	CommandExpired   CommandStatus = "expired"
)

// Final reports whether the status can no longer change.
func (s CommandStatus) Final() bool {
	return s == CommandDone || s == CommandFailed || s == CommandExpired
}

// Command is one action sent to one unit, and what became of it.
type Command struct {
	ID        string        `json:"id"`
	DeviceID  string        `json:"device_id"`
	Action    Action        `json:"action"`
	ReleaseID string        `json:"release_id,omitempty"`
	Status    CommandStatus `json:"status"`
	Error     string        `json:"error,omitempty"` // why it failed or expired
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	// ExpiresAt is until when a queued command waits for the unit (zero when the backend does not
	// say): an FW Update waits for the unit's next check-in for days, the others a few heartbeats.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// CommandRequest is one action a dealer asks of one unit (from its Manage page, the CLI or a
// script): what the data layer checks against the rules before anything reaches the backend.
type CommandRequest struct {
	DeviceID  string
	Action    Action
	ReleaseID string // the firmware release, for FW Update and Force OTA only
	// Consent is the dealer's explicit choice to install a release that is not newer than the
	// installed version: the Direction the dealer was shown and accepted (Reinstall or Downgrade).
	// The zero value, Upgrade, accepts nothing more, and the data layer refuses such a release
	// without it. A consent names what the dealer saw: one given for a reinstall does not cover a
	// downgrade, should the unit have been updated in the meantime.
	Consent Direction
}
