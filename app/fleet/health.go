package fleet

import (
	"fmt"
	"time"
)

// Health is the one classification of a unit that the Fleet Console's dot, its health chips and
// the Fleet Map's marker colour all show, in the same words (Label). It refines the connection
// state the guide asks dealers to check ("Online" / "Offline since …", see Device.Connection):
// an offline unit is always HealthLost, the guide's "lost contact", and red on the map.
type Health string

// Health states, from best to worst contact.
const (
	HealthLive      Health = "live"      // online and reported within its transport's normal interval
	HealthLate      Health = "late"      // online, but missed a heartbeat or two
	HealthLost      Health = "lost"      // offline, or no contact for far longer than its transport explains
	HealthAttention Health = "attention" // online but reporting an alarm or a fault
)

// Label is the state in the guide's words, as every page shows it.
func (h Health) Label() string {
	switch h {
	case HealthLive:
		return "Reporting normally"
	case HealthLate:
		return "Late heartbeat"
	case HealthLost:
		return "Lost contact"
	case HealthAttention:
		return "Needs attention"
	}
	return string(h)
}

// Rank orders states worst first (0 = lost contact), the order a dealer sorting by health wants:
// trouble on top.
func (h Health) Rank() int {
	switch h {
	case HealthLost:
		return 0
	case HealthAttention:
		return 1
	case HealthLate:
		return 2
	case HealthLive:
		return 3
	}
	return 4
}

// CompareHealth orders two states worst first, for sorting.
func CompareHealth(a, b Health) int { return a.Rank() - b.Rank() }

// AllHealth lists the states in display order.
var AllHealth = []Health{HealthLive, HealthLate, HealthLost, HealthAttention}

// NeedsAttention is the guide's red marker: needs attention or lost contact (offline included).
func (h Health) NeedsAttention() bool { return h == HealthLost || h == HealthAttention }

// ParseHealth accepts one of live, late, lost, attention.
func ParseHealth(s string) (Health, error) {
	for _, h := range AllHealth {
		if string(h) == s {
			return h, nil
		}
	}
	return "", fmt.Errorf("unknown health %q (known: live, late, lost, attention)", s)
}

// Thresholds say how long a unit of one transport may stay silent before it is late or lost.
type Thresholds struct {
	Heartbeat time.Duration // the normal reporting interval
	LiveFor   time.Duration // silent at most this long: live
	LostAfter time.Duration // silent longer than this: lost
}

// The one place the per-transport timing lives. WiFi units report every minute; GSM units every
// quarter hour, and a missed cell window is normal.
var (
	WiFiThresholds = Thresholds{Heartbeat: time.Minute, LiveFor: 3 * time.Minute, LostAfter: 30 * time.Minute}
	GSMThresholds  = Thresholds{Heartbeat: 15 * time.Minute, LiveFor: 45 * time.Minute, LostAfter: 6 * time.Hour}
)

// ThresholdsFor returns the transport's thresholds (GSM's for an unknown transport: the patient
// one). A switch, not a map: search evaluates it for every device on every keystroke.
func ThresholdsFor(t Transport) Thresholds {
	if t == TransportWiFi {
		return WiFiThresholds
	}
	return GSMThresholds
}

// HealthAt derives the device's health at time now.
func (d Device) HealthAt(now time.Time) Health { return healthOf(&d, now) }

// healthOf is HealthAt without copying the device, for the search loop.
func healthOf(d *Device, now time.Time) Health {
	th := ThresholdsFor(d.Transport)
	silent := now.Sub(d.LastSeen)
	switch {
	case d.LastSeen.IsZero() || silent > th.LostAfter:
		return HealthLost
	case !d.Online:
		// The backend says the unit is offline: the guide's "lost contact", whatever the
		// heartbeat timing says, and any alarm it last reported is stale news.
		return HealthLost
	case len(d.Alarms) > 0 || d.RunState == RunFault:
		return HealthAttention
	case silent > th.LiveFor:
		return HealthLate
	}
	return HealthLive
}

// Reachable reports whether commands can be expected to reach the unit now.
func (d Device) Reachable(now time.Time) bool {
	return d.Online && d.HealthAt(now) != HealthLost
}

// Connection is the connection state the guide asks dealers to check before acting: "Online" or
// "Offline since …". A unit the backend still calls online but that has been silent for longer
// than its transport explains is offline too (the backend's flag is stale), so Connection and
// Health never disagree: offline is always HealthLost.
func (d Device) Connection(now time.Time) string {
	if d.Reachable(now) {
		return "Online"
	}
	if d.LastSeen.IsZero() {
		return "Offline, never seen"
	}
	return "Offline since " + Since(now, d.LastSeen)
}

// ConnectionAsOf is Connection for a fleet the screens show while the backend may be out of reach:
// with live false the units' own online flags are only what the last sync said, so "Online"
// becomes "Online at last sync" (an offline unit is offline either way).
func (d Device) ConnectionAsOf(now time.Time, live bool) string {
	c := d.Connection(now)
	if !live && c == "Online" {
		return "Online at last sync"
	}
	return c
}

// Since renders a past moment for "Offline since …" and "last known location from …": the time
// today, the day and time this week, the date before that.
func Since(now, t time.Time) string {
	t = t.In(now.Location())
	switch {
	case now.Sub(t) < 20*time.Hour && t.Day() == now.Day():
		return t.Format("15:04")
	case now.Sub(t) < 6*24*time.Hour:
		return t.Format("Mon 15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan")
	}
	return t.Format("2 Jan 2006")
}

// StaleFix is how old a last known location may be before the map draws it as old: a unit that
// has not reported its position for a day may have moved.
const StaleFix = 24 * time.Hour

// FixAge is when the unit's last known location was fixed (its last contact when the fix carries
// no time) and whether that is older than StaleFix. ok is false when the unit has no position.
func (d Device) FixAge(now time.Time) (at time.Time, stale, ok bool) {
	if d.GPS == nil {
		return time.Time{}, false, false
	}
	at = d.GPS.FixTime
	if at.IsZero() {
		at = d.LastSeen
	}
	return at, at.IsZero() || now.Sub(at) > StaleFix, true
}

// Ago renders a duration the way the console's "last seen" column does: "just now", "2 min ago",
// "3 h ago", "5 d ago". now must be the backend's clock (session Now), the clock t was written
// on. A moment more than a minute after now is not "just now": it says "3 h in the future", so a
// clock that is wrong shows as wrong instead of making every unit look fresh.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < -futureSlack:
		return span(-d) + " in the future"
	case d < 10*time.Second:
		// Up to futureSlack ahead is the uncertainty of the backend clock's estimate.
		return "just now"
	}
	return span(d) + " ago"
}

// futureSlack is how far ahead of now a moment may lie and still read "just now": the estimate
// of the backend's clock is good to about a second, a unit's report time to a few.
const futureSlack = time.Minute

// span is a positive duration in Ago's units: "12 s", "2 min", "3 h", "5 d".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d d", int(d.Hours()/24))
}
