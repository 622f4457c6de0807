// Package session is the seam between the screens and the data layer: the one interface the UI
// reads the fleet through and acts through. sync/syncer implements it against a real (or the
// embedded demo) backend plus the offline cache; the screens never see HTTP or SQL. Every action
// here applies its rules before any call, whoever the caller (docs/rules.md). "Session" means
// this and only this; the serial connection to a unit on site is a recovery.Link.
package session

import (
	"context"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/token"
)

// Status is what the status bar shows. "Reachable" is FleetDesk's view of the backend (the screens
// say "Offline" when it is not); a unit's own connection is fleet.Device.Online (docs/glossary.md).
type Status struct {
	BackendURL     string
	ProfileName    string
	DealerName     string
	UserEmail      string
	Demo           bool      // the embedded simulated backend
	Reachable      bool      // the backend answered the last call
	UnreachableWhy string    // why not, in words, when not Reachable
	LastSync       time.Time // last good sync, by the backend's clock (Fleet.Now); zero when never
	Syncing        bool
	SyncDone       int    // units received in the running sync
	SyncTotal      int    // units expected in the running sync (0 when unknown)
	Notice         string // one-off news for the user, e.g. "the cache was corrupt and was rebuilt"

	// UnreachableDetail is the technical cause behind UnreachableWhy ("GET /v1/devices: backend
	// unreachable: dial tcp ...: connection refused"), shown one click away under "Details".
	UnreachableDetail string
	// SignInNeeded says the data layer cannot go on without a new sign-in: the backend refused
	// the saved sign-in, or there is none (the cached fleet opened read-only). The screens offer
	// the sign-in right there.
	SignInNeeded bool
	// UnreachableSince is when the backend was last found unreachable after answering (or when the
	// session opened offline), by the backend's clock (Fleet.Now): "Offline since 14:02".
	UnreachableSince time.Time
	// ClockOffset is how far the backend's clock is ahead of this PC's (negative: behind), measured
	// from its answers (offline: as at the last sync). Every time the screens show is on the
	// backend's clock (Fleet.Now); this says how far that is from the PC's own (fleet.ClockNote).
	// Zero when unknown, and when the data layer is given the backend's clock (the demo).
	ClockOffset time.Duration
	// Resync says, in words, that the backend is not the one the cached fleet came from (it was
	// restarted without its data or restored from a backup) and the whole fleet is being, or was,
	// synced again; "" when that has not happened in this session.
	Resync string

	// Updates says how the fleet is kept current: live through the backend's event stream, or
	// by asking for what changed every SyncEvery. UpdatesWhy says, in words, why it is not live
	// (no stream offered, a proxy holding it back, reconnecting); "" when live.
	Updates    Updates
	UpdatesWhy string
	SyncEvery  time.Duration
}

// Updates is how the data layer keeps the fleet current.
type Updates int

const (
	// UpdatesPolling: the data layer asks the backend for what changed every SyncEvery.
	UpdatesPolling Updates = iota
	// UpdatesLive: the backend's event stream is open; every change is shown as it happens.
	UpdatesLive
	// UpdatesReconnecting: the stream dropped (cut, or silent past its heartbeat); the data
	// layer resumes it from the last change it applied, losing nothing.
	UpdatesReconnecting
)

// Change says what a sync (or an action) changed. Listeners are called on a background goroutine
// and must hand the work to the UI goroutine themselves.
type Change struct {
	Devices  []string // IDs of devices that changed; empty with All
	All      bool     // the whole fleet was replaced (first sync, cache rebuilt)
	Status   bool     // the status changed
	Rollouts bool
	Tokens   bool
	// Commands lists the units whose command log changed: a command was sent, or one followed
	// (Commands.Command) reached a new status. A page showing a unit's history reloads it once
	// per such change.
	Commands []string
}

// Fleet is the read side every screen uses.
type Fleet interface {
	// Fleet is the current snapshot, never nil; it is replaced, not mutated, on change.
	Fleet() *fleet.Index
	Status() Status
	Actor() scope.Actor
	// Subscribe registers a listener for changes; the returned func removes it.
	Subscribe(func(Change)) (cancel func())
	// SyncNow asks for a delta sync as soon as possible (after the user acts, or on request).
	SyncNow()
	// Now is the backend's clock (see Status.ClockOffset): the one clock every age, health
	// threshold and "since" is read on.
	Now() time.Time
}

// Commands is the Manage page's action side.
type Commands interface {
	// SendCommand posts the action. It refuses, before any call to the backend, what the rules
	// forbid whoever the caller is: an action scope.CanCommandNow denies for the unit as the
	// current snapshot has it (scope, FleetDesk or the unit offline, Start on a running unit...),
	// and a release rollout.CheckInstall refuses (not built for the unit's exact variant, or a
	// downgrade or reinstall without the request's Consent). A refusal is a *scope.DeniedError
	// whose Reason names the rule. FW Update is delivered at the unit's next check-in and may be
	// queued while the unit is offline; Force OTA asks the unit to install now. A sent command is
	// announced once, as a Change naming the unit in Commands.
	SendCommand(ctx context.Context, req fleet.CommandRequest) (fleet.Command, error)
	// CommandHistory is the unit's commands, newest first, from the cache (works offline).
	CommandHistory(deviceID string) ([]fleet.Command, error)
	// CommandCheckError is why the data layer's last look at a command it sent failed: it
	// follows every command it sent until the command ends (through the event stream, or by
	// reading it every second without one) and announces each new status, so no screen polls.
	// Nil when the last look succeeded or the command is not followed; a change of it is
	// announced like a new status.
	CommandCheckError(id string) error
}

// Firmware is the release catalogue.
type Firmware interface {
	// Releases lists the releases of a console (all consoles for ""), from the cache when offline.
	Releases(ctx context.Context, console fleet.Console) ([]rollout.Release, error)
	// ReleaseImage returns the image bytes, downloading them into the cache when online.
	ReleaseImage(ctx context.Context, releaseID string) ([]byte, error)
}

// Rollouts is the Rollouts page's backend side.
type Rollouts interface {
	CreateRollout(ctx context.Context, req rollout.CreateRequest) (rollout.Rollout, error)
	Rollout(ctx context.Context, id string) (rollout.Rollout, error)
	// ListRollouts is the dealer's rollouts, from the cache when offline.
	ListRollouts(ctx context.Context) ([]rollout.Rollout, error)
	PauseRollout(ctx context.Context, id string) (rollout.Rollout, error)
	ResumeRollout(ctx context.Context, id string) (rollout.Rollout, error)
	CancelRollout(ctx context.Context, id string) (rollout.Rollout, error)
	// RolloutEvidence is what the data layer knows of how units got the release (the dealer's
	// rollouts and the command log of the units that run it): the evidence CreateRollout itself
	// judges my_fleet by, so a screen shows the validation the data layer will accept.
	RolloutEvidence(ctx context.Context, rel rollout.Release) (rollout.Evidence, error)
}

// Tokens is the Tokens page's backend side.
type Tokens interface {
	Users(ctx context.Context) ([]token.User, error)
	// ListTokens is the issued tokens' metadata, from the cache when offline.
	ListTokens(ctx context.Context) ([]token.Info, error)
	// CreateToken issues a token. It refuses, before any call to the backend, a request
	// token.Check.Validate finds a problem with (the user account or a device outside the
	// dealer's scope, undecided access, an expiry past the policy...): the refusal wraps a
	// *token.InvalidError listing every problem.
	CreateToken(ctx context.Context, req token.CreateRequest) (token.Created, error)
	// RevokeToken revokes one of the dealer's tokens; it refuses (a *token.InvalidError) a token
	// the dealer's list does not hold or one that is no longer active (token.CheckRevoke).
	RevokeToken(ctx context.Context, id string) error
}

// Session is everything the desktop app needs from the data layer.
type Session interface {
	Fleet
	Commands
	Firmware
	Rollouts
	Tokens
}
