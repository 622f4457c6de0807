package manage

import (
	"fmt"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// The page's words, kept apart from the widgets so each reads on its own.

// rebootQuestion is the reboot confirmation, naming the unit and its customer.
func rebootQuestion(d fleet.Device) string {
	who := d.ID
	if d.CustomerEmail != "" {
		who += " at " + d.CustomerEmail
	}
	return "Reboot " + who + "? The unit will be offline for a few minutes."
}

// releaseLabel is one line of the release picker: the version, and what installing it would do
// when that is not an upgrade.
func releaseLabel(r rollout.Release, d fleet.Device) string {
	switch rollout.DirectionOf(r, d) {
	case fleet.Reinstall:
		return r.Version + " (installed)"
	case fleet.Downgrade:
		return r.Version + " (older than installed)"
	}
	return r.Version
}

// progressSteps renders a command's way so far: "queued → delivered → done".
func progressSteps(s fleet.CommandStatus) string {
	steps := []string{"queued", "delivered", "done / failed / expired"}
	switch s {
	case fleet.CommandQueued:
		steps[0] = "[queued]"
	case fleet.CommandDelivered:
		steps[0], steps[1] = "queued ✓", "[delivered]"
	case fleet.CommandDone, fleet.CommandFailed, fleet.CommandExpired:
		steps[0], steps[1], steps[2] = "queued ✓", "delivered ✓", "["+string(s)+"]"
		if s == fleet.CommandExpired {
			steps[1] = "delivered ✗"
		}
	}
	return strings.Join(steps, "  →  ")
}

// actionIntro explains in the dialog what the firmware action does, in the guide's terms.
func actionIntro(act fleet.Action, d fleet.Device) string {
	every := fleet.ThresholdsFor(d.Transport).Heartbeat
	if act == fleet.ActionForceOTA {
		return fmt.Sprintf("Force OTA is the immediate attempt: %s is asked to install the release now, even a "+
			"version it already runs. It goes only to a unit that is online; use it when the normal FW Update "+
			"did not take.", d.ID)
	}
	s := fmt.Sprintf("FW Update is the normal remote update: the backend hands the release to %s at its next "+
		"check-in (about every %s over %s), then the unit installs it and comes back online.",
		d.ID, humanDuration(every), d.Transport.DisplayName())
	if !d.Online {
		s += fmt.Sprintf(" %s is offline now: the update waits for it (up to 7 days).", d.ID)
	}
	return s
}

// waiting says what a queued command waits for.
func waiting(cmd fleet.Command) string {
	if cmd.Status != fleet.CommandQueued {
		return ""
	}
	s := "waiting for the unit"
	if cmd.Action == fleet.ActionFWUpdate {
		s = "waiting for the unit's next check-in"
	}
	if !cmd.ExpiresAt.IsZero() {
		// A day or more away needs its date: "until Sun 22:03" on a Sunday reads as today.
		layout := "15:04"
		if cmd.ExpiresAt.Sub(cmd.CreatedAt) >= 20*time.Hour {
			layout = "Mon 2 Jan 15:04"
		}
		s += " (until " + cmd.ExpiresAt.Local().Format(layout) + ")"
	}
	return s
}

func historyLine(c fleet.Command) string {
	s := c.CreatedAt.Local().Format("2006-01-02 15:04:05") + "  " + c.Action.DisplayName()
	if c.ReleaseID != "" {
		s += " " + c.ReleaseID
	}
	s += "  " + string(c.Status)
	if c.Error != "" {
		s += ": " + c.Error
	}
	return s
}

// consoleName is the firmware console that serves the unit.
func consoleName(d fleet.Device) string {
	c := d.Console
	if c == "" {
		c = fleet.ConsoleFor(d.Model)
	}
	return c.DisplayName()
}

func runState(r fleet.RunState) string {
	if r == "" {
		return "Unknown"
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// humanDuration writes a duration as people do: "1 min", "15 min", "6 h".
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d s", d/time.Second)
}
