package session

import "github.com/fleetdesk/fleetdesk/app/recovery"

// Recovery is the Recovery page's data side: the firmware it offers for on-site flashing, the
// service log every attempt is recorded in, and the records the backend refused.
//
// It is optional: a Service backed by the offline cache (sync/syncer) implements it; one without a
// cache does not, and the Recovery page then offers image files only and keeps no service log.
// The one place that asserts it is the Recovery page's wiring in ui/desk.
type Recovery interface {
	// RecoveryFirmware lists the releases for a variant; it must work with no network.
	RecoveryFirmware() recovery.FirmwareSource
	// RecoveryLog records an attempt in the cache (pending upload) and uploads it when online.
	RecoveryLog() recovery.ServiceLog
	// RecoveryLogQueue is the records the backend refused, to retry or discard.
	RecoveryLogQueue() recovery.LogQueue
}
