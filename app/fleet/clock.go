package fleet

import (
	"fmt"
	"time"
)

// ClockNoteFrom is how far apart this PC's clock and the fleet backend's may be before the dealer
// is told. Below it the PC's clock and the times on screen agree to the minute anyway.
const ClockNoteFrom = 2 * time.Minute

// ClockNote is what the dealer is told, once, when this PC's clock is far from the fleet
// backend's: every time on screen is the backend's, so a clock on the wall or the taskbar that
// disagrees is explained. offset is the backend's clock minus the PC's. "" when they agree.
func ClockNote(offset time.Duration) string {
	if offset > -ClockNoteFrom && offset < ClockNoteFrom {
		return ""
	}
	dir := "behind"
	if offset < 0 {
		dir, offset = "ahead of", -offset
	}
	return fmt.Sprintf("This PC's clock is %s %s the fleet backend; times are shown in backend time. "+
		"Check the PC's date, time and time zone settings.", clockSpan(offset), dir)
}

// clockSpan words a clock offset coarsely enough that the estimate's jitter does not change the
// words: whole minutes under an hour, then five-minute steps, then days and hours.
func clockSpan(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	}
	d = d.Round(5 * time.Minute)
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && h > 0:
		return fmt.Sprintf("%d d %d h", days, h)
	case days > 0:
		return fmt.Sprintf("%d d", days)
	case m > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d h", h)
}
