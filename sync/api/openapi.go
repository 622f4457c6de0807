package api

import _ "embed"

// OpenAPISpec is openapi.yaml, the contract this package's types and the simulated backend follow;
// tests validate real traffic against it.
//
//go:embed openapi.yaml
var OpenAPISpec []byte

// Error codes beyond the common ones in contract.go.
const (
	// CodeValidationRequired: a my_fleet rollout of a release not yet confirmed on a test device
	// of the same dealer (HTTP 409).
	CodeValidationRequired = "validation_required"
	// CodeUnitOffline: a Force OTA to a unit that is not online (HTTP 409). Force OTA asks the unit
	// to install now; FW Update is the one that waits for the unit's next check-in.
	CodeUnitOffline = "unit_offline"
	// CodeCursorExpired: a `since` cursor from another backend state, or ahead of this one (HTTP
	// 410); sync from scratch.
	CodeCursorExpired = "cursor_expired"
	// CodeUnitsChanged: a my_fleet rollout names units (device_ids, the ones the dealer
	// confirmed) of which some can no longer receive the release (HTTP 409); nothing was sent.
	CodeUnitsChanged = "units_changed"
)

// ServiceLogResult is the answer to a service log upload: entries stored now, and entries the
// backend already had (a resend after a lost answer).
type ServiceLogResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}
