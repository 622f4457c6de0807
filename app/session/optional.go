package session

import (
	"context"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
)

// Optional capabilities. A Service may also implement these; a screen asserts them at the one
// place it uses them (named in each doc comment) and says so when they are missing rather than
// hiding the feature silently. They are public so any data layer can provide them, not only
// sync/syncer.

// CommandHistoryRefresher is optional: a Service that can ask the backend for a unit's command
// history (commands sent from elsewhere too) implements it; sync/syncer's does. Without it the
// Manage page shows the history from CommandHistory. Asserted in ui/manage's history section.
type CommandHistoryRefresher interface {
	// RefreshCommandHistory fetches the unit's history from the backend into the command log and
	// returns it, newest first.
	RefreshCommandHistory(ctx context.Context, deviceID string) ([]fleet.Command, error)
}

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
