// Package rollout holds the firmware rollout rules: which console serves which unit, which
// release may go to which unit, and the safe OTA procedure of the dealer guide as a state machine.
// It imports no Fyne, no HTTP and no SQL.
package rollout

import (
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Release is one firmware build for exactly one console, engine and transport variant. The JSON
// form is the backend contract's (schema Release).
type Release struct {
	ID        string          `json:"id"`
	Console   fleet.Console   `json:"console"`
	Model     fleet.Model     `json:"engine"`
	Transport fleet.Transport `json:"transport"`
	Version   string          `json:"version"`
	Size      int64           `json:"size"`
	SHA256    string          `json:"sha256"` // hex of the whole image file
	Notes     string          `json:"notes"`
	CreatedAt time.Time       `json:"created_at"`
}

// Variant is the (console, engine, transport) the release is built for.
func (r Release) Variant() fleet.Variant {
	return fleet.Variant{Console: r.Console, Model: r.Model, Transport: r.Transport}
}

// Target names who a rollout goes to: one test device, or the dealer's whole eligible fleet.
type Target string

// TargetMyFleet is the only fleet-wide target a dealer has.
const TargetMyFleet Target = "my_fleet"

// DeviceTarget is the target of a single-device (test) rollout.
func DeviceTarget(id string) Target { return Target("device:" + id) }

// DeviceID returns the device of a single-device target, or "" for my_fleet.
func (t Target) DeviceID() string {
	const p = "device:"
	if len(t) > len(p) && string(t[:len(p)]) == p {
		return string(t[len(p):])
	}
	return ""
}

// Status is the rollout as a whole.
type Status string

// Rollout statuses.
const (
	StatusRunning   Status = "running"
	StatusPaused    Status = "paused"    // by the dealer, or by itself when failures passed the threshold
	StatusCancelled Status = "cancelled" // no further unit is sent the release
	StatusFinished  Status = "finished"  // every unit confirmed, failed or did not return
)

// Stage is one unit's progress in a rollout.
type Stage string

// Unit stages, in the order a healthy unit passes them; failed and not_returned are final failures.
const (
	StageQueued      Stage = "queued"
	StageInstalling  Stage = "installing"
	StageOnline      Stage = "online"    // back online, version not yet confirmed
	StageConfirmed   Stage = "confirmed" // reports the target version
	StageFailed      Stage = "failed"    // returned on the old version, or the install was refused
	StageNotReturned Stage = "not_returned"
	StageSkipped     Stage = "skipped" // never sent: the rollout was cancelled or paused first
)

// AllStages lists stages in display order.
var AllStages = []Stage{StageQueued, StageInstalling, StageOnline, StageConfirmed, StageFailed, StageNotReturned, StageSkipped}

// Final reports whether a unit in this stage will not move again.
func (s Stage) Final() bool {
	return s == StageConfirmed || s == StageFailed || s == StageNotReturned || s == StageSkipped
}

// Threshold pauses a rollout once failures reach Units units or Percent percent of its units,
// whichever comes first. The guide's default is 2 units or 5%.
type Threshold struct {
	Units   int     `json:"units"`
	Percent float64 `json:"percent"`
}

// DefaultThreshold is 2 units or 5%.
var DefaultThreshold = Threshold{Units: 2, Percent: 5}

// UnitProgress is one unit's line in a rollout.
type UnitProgress struct {
	DeviceID  string    `json:"device_id"`
	Stage     Stage     `json:"stage"`
	Firmware  string    `json:"firmware_version"` // what the unit last reported
	Error     string    `json:"error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Rollout is a release sent to a target, with per-unit progress. The JSON form is the backend
// contract's (schema Rollout).
type Rollout struct {
	ID        string          `json:"id"`
	Console   fleet.Console   `json:"console"`
	ReleaseID string          `json:"release_id"`
	Version   string          `json:"version"`
	Model     fleet.Model     `json:"engine"`
	Transport fleet.Transport `json:"transport"`
	Target    Target          `json:"target"`
	Status    Status          `json:"status"`
	Reason    string          `json:"reason,omitempty"` // why it paused itself, if it did
	Threshold Threshold       `json:"failure_threshold"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Units     []UnitProgress  `json:"units"`
}

// CreateRequest asks the backend to start a rollout.
type CreateRequest struct {
	Console   fleet.Console   `json:"console"`
	ReleaseID string          `json:"release_id"`
	Model     fleet.Model     `json:"engine"`
	Transport fleet.Transport `json:"transport"`
	Target    Target          `json:"target"`
	Threshold Threshold       `json:"failure_threshold"`
	// Devices are, for my_fleet, exactly the units the dealer confirmed, in ID order: the backend
	// deploys to these and no others, and refuses the whole request (409 units_changed, with both
	// counts) when one of them can no longer receive the release. The count the dealer agreed to
	// is then the count deployed, whatever changed between the confirmation and the request.
	Devices []string `json:"device_ids,omitempty"`
}

// MergeProgress is a rollout as known (prev, zero when unknown) brought up to date by news of it
// (the event stream's, whose units are only those whose progress changed): the news's state and
// counts, each unit of the news replacing the one of the same device, the others kept.
func MergeProgress(prev, news Rollout) Rollout {
	out := news
	out.Units = make([]UnitProgress, 0, max(len(prev.Units), len(news.Units)))
	at := make(map[string]int, len(prev.Units))
	if prev.ID == news.ID {
		for _, u := range prev.Units {
			at[u.DeviceID] = len(out.Units)
			out.Units = append(out.Units, u)
		}
	}
	for _, u := range news.Units {
		if k, ok := at[u.DeviceID]; ok {
			out.Units[k] = u
			continue
		}
		at[u.DeviceID] = len(out.Units)
		out.Units = append(out.Units, u)
	}
	return out
}
