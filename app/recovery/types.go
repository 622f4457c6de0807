// Package recovery is on-site recovery of a unit over a USB serial cable, speaking MCUboot serial
// recovery (SMP): list ports, connect and identify the unit, check a firmware image against it
// before a single byte is sent, upload with chunking that fits the unit's buffer (adapting down
// when it drops packets), resume after stalls, verify the upload's hash (by state flags, or by
// the listing of a stock MCUboot that sends none), reset, ask what runs after the restart (an
// application that does not speak SMP cannot be asked, and that is an outcome of its own), and
// record a service log entry. It imports no UI, HTTP or SQL; the
// cache and the backend reach it through the FirmwareSource and ServiceLog interfaces.
package recovery

import (
	"context"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// CachedImage is a firmware release of the local catalogue: downloaded into the cache already,
// or not yet (then Load downloads it, which needs the backend).
type CachedImage struct {
	Name    string // what the technician reads, e.g. "Unified D180 GSM 2.4.0"
	Version string
	Variant fleet.Variant
	Load    func() ([]byte, error) // reads the image bytes from the cache, downloading them if needed
	// Cached: the image is in the cache, so Load works with no network.
	Cached bool
	// NeedsNetwork: not downloaded yet and the backend cannot be reached now, so Load fails
	// until FleetDesk has been online once. Listed anyway so the technician knows it exists.
	NeedsNetwork bool
}

// Label is how the release reads in a list: its name, plus what loading it takes when it is
// not in the cache yet.
func (c CachedImage) Label() string {
	switch {
	case c.Cached:
		return c.Name
	case c.NeedsNetwork:
		return c.Name + " (needs a connection once)"
	}
	return c.Name + " (download)"
}

// LabelFor is Label with the release marked against the firmware the unit runs, in the Manage
// page's words: "(installed)" for the same version, "(older than installed)" for a downgrade.
// running "" (not known) marks nothing.
func (c CachedImage) LabelFor(running string) string {
	var marks []string
	if running != "" {
		switch v := fleet.CompareVersions(c.Version, running); {
		case v == 0:
			marks = append(marks, "installed")
		case v < 0:
			marks = append(marks, "older than installed")
		}
	}
	// One parenthesis for everything said about it: "2.3.0 (installed, download)".
	if load := strings.TrimPrefix(c.Label(), c.Name+" ("); load != c.Label() {
		marks = append(marks, strings.TrimSuffix(load, ")"))
	}
	if len(marks) == 0 {
		return c.Name
	}
	return c.Name + " (" + strings.Join(marks, ", ") + ")"
}

// FirmwareSource lists the cached releases built for a variant; it must work with no network.
type FirmwareSource interface {
	Releases(v fleet.Variant) ([]CachedImage, error)
}

// Result values of a ServiceLogEntry.
const (
	ResultOK        = "ok"
	ResultFailed    = "failed"
	ResultCancelled = "cancelled"
	ResultRefused   = "refused" // the image was refused before anything was sent
)

// ServiceLogEntry is one recovery attempt as the service history keeps it.
type ServiceLogEntry struct {
	When          time.Time
	Port          string
	UnitSerial    string // empty when the unit does not identify itself
	Variant       fleet.Variant
	VariantSource string // "unit" (identity group) or "technician" (explicit choice)
	Image         string // file or release name
	ImageVersion  string
	ImageHash     string // hex SHA-256 from the image TLV
	VersionBefore string
	VersionAfter  string
	Result        string // ResultOK, ResultFailed, ResultCancelled, ResultRefused
	Error         string
	Bytes         int64
	Duration      time.Duration
	Throughput    float64 // image bytes per second during upload
	// Outcome is how far a flash got (Result.Outcome): whether the unit started the verified
	// image, and whether that could be asked. OutcomeNone for refusals and failed uploads.
	Outcome Outcome
	// Proof is how the unit showed it holds the uploaded image (Result.Proof): a slot reported
	// bootable, or a stock bootloader's listing of a validated slot. Empty when not verified.
	Proof string
}

// ServiceLog keeps service log entries (in the cache, later sent to the backend).
type ServiceLog interface {
	Record(ServiceLogEntry) error
}

// Stage is a step of a flash, in order.
type Stage int

// The stages Progress reports.
const (
	StageUpload Stage = iota
	StageVerify
	StageReset
	StageReconnect
	StageConfirm
	StageDone
)

func (s Stage) String() string {
	return [...]string{"upload", "verify", "reset", "reconnect", "confirm", "done"}[s]
}

// Progress is reported while flashing; callbacks run on the flashing goroutine.
type Progress struct {
	Stage     Stage
	Sent      int64 // image bytes the unit has acknowledged
	Total     int64
	Rate      float64       // bytes per second since the upload started
	ETA       time.Duration // remaining upload time at Rate
	ChunkSize int
	Note      string // e.g. "no answer, retrying offset 4096", "chunk size reduced to 480"
}

// Outcome is how far a flash got, as far as the unit proved it. The command line's exit status
// and the Recovery page's result follow it; Flash returns an error with every outcome but
// OutcomeConfirmed and OutcomeRestarted.
type Outcome int

// The outcomes, from nothing to the new image confirmed running.
const (
	// OutcomeNone: the unit does not hold the uploaded image (refused, cancelled or failed
	// before the upload was verified).
	OutcomeNone Outcome = iota
	// OutcomeVerified: written and verified, but the unit did not start it: the reset was
	// refused or never taken, or the unit came back in its bootloader.
	OutcomeVerified
	// OutcomeRestarted: written and verified, and the bootloader restarted the unit; nothing
	// answered afterwards, so whether the application came back could not be asked (many
	// applications do not speak SMP on the recovery port). Not a failure.
	OutcomeRestarted
	// OutcomeConfirmed: written and verified; after the restart the application answered and
	// reports the uploaded image active.
	OutcomeConfirmed
	// OutcomeOtherImage: written and verified, but after the restart the application reports
	// another image active: the bootloader did not boot the new one, or reverted it.
	OutcomeOtherImage
)

func (o Outcome) String() string {
	return [...]string{"not flashed", "written and verified, not started", "written and verified, restarted, not confirmed",
		"confirmed running", "written and verified, another image runs"}[o]
}

// outcomeCodes are the outcomes' names in the service log's contract (outcome), in Outcome order;
// OutcomeNone has none (the field is left out).
var outcomeCodes = [...]string{"", "verified_not_started", "restarted_not_confirmed", "confirmed", "other_image_runs"}

// Code is the outcome's name in the service log's contract, "" for OutcomeNone.
func (o Outcome) Code() string {
	if o < 0 || int(o) >= len(outcomeCodes) {
		return ""
	}
	return outcomeCodes[o]
}

// ParseOutcome reads a Code; an unknown name (a newer client's) reads as OutcomeNone.
func ParseOutcome(code string) Outcome {
	for i, c := range outcomeCodes {
		if c == code && c != "" {
			return Outcome(i)
		}
	}
	return OutcomeNone
}

// Result is what a flash did; Outcome says how far it got, also when Flash returns an error.
type Result struct {
	Outcome Outcome
	// Proof is how the unit showed it holds the uploaded image, in words (set from
	// OutcomeVerified on).
	Proof string
	// ResetAnswered: the unit acknowledged the reset before restarting (MCUboot answers, then
	// reboots).
	ResetAnswered bool
	// Silence is what the wait after the reset ended on, with OutcomeRestarted: no answer, or
	// (AnsweredAfter) an answer that did not report the unit's images.
	Silence       string
	AnsweredAfter bool
	Image         string // the uploaded image's version
	// VersionAfter is the version the unit reports active after the restart: set with
	// OutcomeConfirmed and OutcomeOtherImage only.
	VersionBefore, VersionAfter string
	Bytes                       int64
	UploadTime                  time.Duration
	Throughput                  float64 // image bytes per second during upload
	// LineEfficiency is the stop-and-wait line time of the bytes exchanged during the upload
	// (request plus answer, 10 bits a byte at the port's baud) divided by the measured time: 1.0
	// is the line's stop-and-wait limit.
	LineEfficiency float64
	ChunkSize      int // final image bytes per chunk
	Retries        int
	Reconnects     int
	WireTx, WireRx int64
}

// LogQueue is the part of the service log a technician acts on: records the backend refused
// (quarantined, with its reason), to send again or to discard. Everything else uploads by itself.
type LogQueue interface {
	Rejected(ctx context.Context) ([]LogRecord, error)
	// Retry queues a rejected record again and tries to upload it now when online.
	Retry(ctx context.Context, id string) error
	// Discard deletes a rejected record for good.
	Discard(ctx context.Context, id string) error
}
