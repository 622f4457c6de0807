// Package api is the fleet backend's HTTP contract: openapi.yaml (the single source of truth), the
// request and response envelopes in Go, and the typed client the rest of FleetDesk uses. The
// resources themselves (devices, commands, releases, rollouts, tokens) are the app's domain types,
// whose JSON form the contract describes.
package api

import (
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
)

// Paths of the contract, relative to the backend's base URL.
const (
	PathLogin          = "/v1/auth/login"
	PathRefresh        = "/v1/auth/refresh"
	PathLogout         = "/v1/auth/logout"
	PathMe             = "/v1/me"
	PathDevices        = "/v1/devices"               // GET ?since=&limit=
	PathDevice         = "/v1/devices/{id}"          // GET
	PathEvents         = "/v1/events"                // GET text/event-stream ?cursor=
	PathDeviceCommands = "/v1/devices/{id}/commands" // POST (Idempotency-Key), GET history
	PathCommand        = "/v1/commands/{id}"         // GET
	PathReleases       = "/v1/firmware/releases"     // GET ?console=
	PathReleaseImage   = "/v1/firmware/releases/{id}/image"
	PathRollouts       = "/v1/rollouts" // GET list, POST create
	PathRollout        = "/v1/rollouts/{id}"
	PathRolloutPause   = "/v1/rollouts/{id}/pause"
	PathRolloutResume  = "/v1/rollouts/{id}/resume"
	PathRolloutCancel  = "/v1/rollouts/{id}/cancel"
	PathUsers          = "/v1/users"                       // customer accounts in scope
	PathTokens         = "/v1/tokens"                      // GET list, POST create
	PathToken          = "/v1/tokens/{id}"                 // DELETE revokes
	PathServiceLog     = "/v1/service-log"                 // POST on-site recovery records
	PathAdminPush      = "/v1/admin/firmware/push"         // admin only: global firmware push
	PathAdminOverride  = "/v1/admin/devices/{id}/override" // admin only: override actions
)

// HeaderIdempotencyKey makes a retried command POST run at most once on the unit.
const HeaderIdempotencyKey = "Idempotency-Key"

// HeaderBackendState names the backend's state on every answer. It changes whenever the backend's
// fleet state is not a continuation of the one that handed out older cursors (a restart without
// its data, a restore from a backup); a client that sees it change syncs the whole fleet again
// instead of trusting its cursor. The standard Date header on every answer is the backend's clock.
const HeaderBackendState = "Fleet-Backend-State"

// The event stream (GET /v1/events): what the backend changes, as Server-Sent Events, from a
// cursor on. Each event's id is the cursor after it: pass the last one back (Last-Event-ID, or
// ?cursor=) to resume with nothing lost.
const (
	EventStreamType   = "text/event-stream"
	HeaderLastEventID = "Last-Event-ID"

	EventNameHello   = "hello"   // first: EventHello
	EventNameDevice  = "device"  // a device changed: its record, as in DevicePage.Devices
	EventNameRemoved = "removed" // a device left the scope: EventRemoved
	EventNameCommand = "command" // a command reached a new status: fleet.Command
	// EventNameRollout is a rollout's progress: rollout.Rollout whose units are only those whose
	// progress changed since the previous event (merge them by device ID).
	EventNameRollout = "rollout"
)

// EventHello opens every stream: where it starts, and the fixed interval of its heartbeat (a
// comment line sent whenever nothing else was for that long).
type EventHello struct {
	Cursor      string `json:"cursor"`
	HeartbeatMS int    `json:"heartbeat_ms"`
}

// EventRemoved names a device that left the caller's scope.
type EventRemoved struct {
	ID string `json:"id"`
}

// LoginRequest signs in with email and password.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// RefreshRequest trades a refresh token for a new access token.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// TokenPair is the answer to a sign-in or refresh.
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"` // "Bearer"
	ExpiresIn    int    `json:"expires_in"` // seconds the access token lives
}

// Me is the signed-in account.
type Me struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Role       string `json:"role"`   // dealer, admin or customer
	Dealer     string `json:"dealer"` // dealer ID; empty for admins
	DealerName string `json:"dealer_name"`
}

// DevicePage is one page of the device list. Pages are ordered by change: passing NextCursor as
// `since` returns what changed after this page, so the same call serves the first full sync and
// every delta after it.
type DevicePage struct {
	Devices    []fleet.Device `json:"devices"`
	Removed    []string       `json:"removed"` // IDs that left the caller's scope since `since`
	NextCursor string         `json:"next_cursor"`
	HasMore    bool           `json:"has_more"`
	Total      int            `json:"total"` // devices in scope now, for progress
	// State is the answer's Fleet-Backend-State header: the backend state NextCursor belongs to
	// ("" from a backend that does not send it).
	State string `json:"-"`
}

// CommandRequest asks for one action on one unit.
type CommandRequest struct {
	Action    fleet.Action `json:"action"`
	ReleaseID string       `json:"release_id,omitempty"` // fw_update and force_ota only
}

// CommandList is a unit's command history, newest first.
type CommandList struct {
	Commands []fleet.Command `json:"commands"`
}

// ReleaseList is the firmware releases of one console (or all).
type ReleaseList struct {
	Releases []rollout.Release `json:"releases"`
}

// RolloutList is the dealer's rollouts, newest first.
type RolloutList struct {
	Rollouts []rollout.Rollout `json:"rollouts"`
}

// UserList is the customer accounts in the caller's scope.
type UserList struct {
	Users []token.User `json:"users"`
}

// TokenList is the tokens the caller has issued.
type TokenList struct {
	Tokens []token.Info `json:"tokens"`
}

// ServiceLogEntry records one on-site recovery: which unit, which image, what before and after.
// Refusals and cancels are entries too, so the history shows every attempt on a unit.
type ServiceLogEntry struct {
	ID string `json:"id"` // client-made, so a resend is not recorded twice
	// DeviceSerial is empty when the unit did not identify itself (plain MCUboot): the entry
	// must still be kept, or a queue holding it could never be uploaded.
	DeviceSerial  string    `json:"device_serial"`
	Model         string    `json:"model"` // the engine (fleet.Model code)
	Transport     string    `json:"transport"`
	ImageVersion  string    `json:"image_version"`
	ImageSHA256   string    `json:"image_sha256"` // hex SHA-256 from the image's TLV, as the unit reports it
	VersionBefore string    `json:"version_before"`
	VersionAfter  string    `json:"version_after"`
	Result        string    `json:"result"` // "ok", "failed", "cancelled" or "refused"
	Technician    string    `json:"technician"`
	At            time.Time `json:"at"`

	// Optional detail; older clients leave it out.
	Console       string  `json:"console,omitempty"`
	Port          string  `json:"port,omitempty"`           // serial port on the technician's laptop
	VariantSource string  `json:"variant_source,omitempty"` // "unit" (it identified itself) or "technician"
	Image         string  `json:"image,omitempty"`          // file or release name
	Error         string  `json:"error,omitempty"`          // why, when Result is not "ok"
	Bytes         int64   `json:"bytes,omitempty"`          // image bytes the unit acknowledged
	DurationMS    int64   `json:"duration_ms,omitempty"`
	Throughput    float64 `json:"throughput,omitempty"` // image bytes per second during the upload
	// Outcome is how far a flash got: "verified_not_started", "restarted_not_confirmed",
	// "confirmed" or "other_image_runs"; left out when the unit does not hold the new image.
	Outcome string `json:"outcome,omitempty"`
	Proof   string `json:"proof,omitempty"` // how the unit showed it holds the image, in words
}

// ServiceLogOutcomes are the values ServiceLogEntry.Outcome may take (besides leaving it out).
var ServiceLogOutcomes = []string{"verified_not_started", "restarted_not_confirmed", "confirmed", "other_image_runs"}

// MaxServiceLogProof is the longest ServiceLogEntry.Proof the contract accepts.
const MaxServiceLogProof = 500

// ServiceLogRequest uploads service log entries.
type ServiceLogRequest struct {
	Entries []ServiceLogEntry `json:"entries"`
}

// GlobalPushRequest is the admin-only push of a release to every matching unit of every dealer.
type GlobalPushRequest struct {
	ReleaseID string `json:"release_id"`
}

// OverrideRequest is an admin-only override action on a unit.
type OverrideRequest struct {
	Action string `json:"action"`
	Dealer string `json:"dealer,omitempty"` // transfer: the dealer the unit moves to
}

// ErrorBody is the one shape every error answer has.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a machine-readable code and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes the backend uses.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeVariant      = "variant_mismatch" // a release sent to a unit of another engine or transport
	CodeRateLimited  = "rate_limited"
	CodeInternal     = "internal"
)
