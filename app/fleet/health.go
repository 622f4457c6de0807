package fleet

import (
	"fmt"
	"time"
)

// Health is the one-word state the console's dot and the map's marker colour show.
type Health string

// Health states, from best to worst contact.
const (
	HealthLive      Health = "live"      // reported within its transport's normal interval
	HealthLate      Health = "late"      // missed a heartbeat or two, or just went offline
	HealthLost      Health = "lost"      // no contact for far longer than its transport explains
	HealthAttention Health = "attention" // in contact but reporting an alarm or a fault
)

// AllHealth lists the states in display order.
var AllHealth = []Health{HealthLive, HealthLate, HealthLost, HealthAttention}

// NeedsAttention is the guide's red marker: needs attention or lost contact.
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
	case len(d.Alarms) > 0 || d.RunState == RunFault:
		return HealthAttention
	case !d.Online || silent > th.LiveFor:
		return HealthLate
	}
	return HealthLive
}

// Reachable reports whether commands can be expected to reach the unit now.
func (d Device) Reachable(now time.Time) bool {
	return d.Online && d.HealthAt(now) != HealthLost
}

// Ago renders a duration the way the console's "last seen" column does: "just now", "2 min ago",
// "3 h ago", "5 d ago".
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d d ago", int(d.Hours()/24))
}
