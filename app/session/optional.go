package session

import "github.com/fleetdesk/fleetdesk/app/recovery"

// Optional capabilities. A Service may also implement these; a screen asserts them where it uses
// them (ui/desk for the Recovery page) and says so when they are missing rather than hiding the
// feature silently. They are public so any data layer can provide them, not only sync/syncer.

// RecoverySource is the on-site recovery side of the data layer: the cached firmware a technician
// can flash with no network, and the service log that records each flash for upload.
// Asserted by ui/desk when it builds the Recovery page.
type RecoverySource interface {
	RecoveryFirmware() recovery.FirmwareSource
	RecoveryLog() recovery.ServiceLog
}
