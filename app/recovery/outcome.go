package recovery

import "fmt"

// Report tells a flash that ended without an error in the technician's words, one sentence per
// fact: written and verified, the unit restarted, and whether its application came back or could
// not be asked. Flash's error tells the other outcomes.
func (r Result) Report() string {
	before := r.VersionBefore
	if before == "" {
		before = "unknown"
	}
	switch r.Outcome {
	case OutcomeConfirmed:
		return fmt.Sprintf("Written and verified. The unit restarted and its application answered: it runs %s (was %s).", r.VersionAfter, before)
	case OutcomeRestarted:
		restarted := "The bootloader acknowledged the reset and restarted the unit."
		if !r.ResetAnswered {
			restarted = "The unit went silent after the reset request: it most likely restarted."
		}
		silent := "Its application does not answer on this port"
		if r.AnsweredAfter {
			silent = "Something answers on this port but does not report the unit's images"
		}
		return fmt.Sprintf("Written and verified. %s %s, so FleetDesk could not ask whether %s runs (was %s): check the unit itself, on its display or in the fleet backend once it reports in.\nVerified by: %s.",
			restarted, silent, r.Image, before, r.Proof)
	}
	return "Outcome: " + r.Outcome.String() + "."
}
