// Package prefs is FleetDesk's settings and remembered window state, kept in the app's Fyne
// preferences (a small file in the user's config directory). Settings and the window's size are
// the app's; the page, the console's filters and the map view are each profile's (View).
// Preferences only: a password, token or refresh token never goes here (those stay in the OS
// keyring, see sync/auth).
package prefs

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/app/notify"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// The keys. Other areas keep their own (the sign-in screen's last backend and email, the map's
// tile source in ui/desk).
const (
	keyTheme        = "appearance.theme"
	keySyncInterval = "sync.interval_seconds"
	keyThreshUnits  = "rollout.threshold_units"
	keyThreshPct    = "rollout.threshold_percent"
	keyBaud         = "serial.baud"
	keyPort         = "serial.last_port"
	keyNotifyPrefix = "notify."
	keyWinW         = "window.width"
	keyWinH         = "window.height"
)

// Theme choices.
const (
	ThemeSystem = "system"
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// SyncIntervals are the choices Settings offers; DefaultSyncInterval is the data layer's default.
var (
	SyncIntervals       = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute}
	DefaultSyncInterval = 30 * time.Second
)

// Store reads and writes the settings. The zero value is unusable; use New.
type Store struct{ p fyne.Preferences }

// New wraps an app's preferences.
func New(p fyne.Preferences) Store { return Store{p} }

// Theme is "system", "light" or "dark".
func (s Store) Theme() string {
	switch t := s.p.String(keyTheme); t {
	case ThemeLight, ThemeDark:
		return t
	}
	return ThemeSystem
}

// SetTheme stores the theme choice; apply it with ApplyTheme.
func (s Store) SetTheme(t string) { s.p.SetString(keyTheme, t) }

// SyncInterval is how often a signed-in session syncs in the background.
func (s Store) SyncInterval() time.Duration {
	if s.p == nil {
		return DefaultSyncInterval // the zero Store: no app, e.g. a headless caller
	}
	if v := s.p.Int(keySyncInterval); v >= 5 && v <= 3600 {
		return time.Duration(v) * time.Second
	}
	return DefaultSyncInterval
}

// SetSyncInterval stores the interval (whole seconds).
func (s Store) SetSyncInterval(d time.Duration) { s.p.SetInt(keySyncInterval, int(d/time.Second)) }

// Threshold is the failure threshold a new rollout starts with.
func (s Store) Threshold() rollout.Threshold {
	t := rollout.Threshold{Units: s.p.IntWithFallback(keyThreshUnits, rollout.DefaultThreshold.Units),
		Percent: s.p.FloatWithFallback(keyThreshPct, rollout.DefaultThreshold.Percent)}
	if t.Validate() != nil {
		return rollout.DefaultThreshold
	}
	return t
}

// SetThreshold stores the default failure threshold; an invalid one is refused.
func (s Store) SetThreshold(t rollout.Threshold) error {
	if err := t.Validate(); err != nil {
		return err
	}
	s.p.SetInt(keyThreshUnits, t.Units)
	s.p.SetFloat(keyThreshPct, t.Percent)
	return nil
}

// Bauds are the serial speeds Settings offers for on-site flashing (the Recovery page's choices).
var Bauds = []int{115200, 230400, 460800, 921600}

// Baud is the serial speed the Recovery page starts with.
func (s Store) Baud() int {
	v := s.p.IntWithFallback(keyBaud, recovery.DefaultBaud)
	for _, b := range Bauds {
		if b == v {
			return v
		}
	}
	return recovery.DefaultBaud
}

// SetBaud stores the default serial speed.
func (s Store) SetBaud(b int) { s.p.SetInt(keyBaud, b) }

// LastPort is the serial port a unit last answered on in the Recovery page, "" when none.
func (s Store) LastPort() string { return s.p.String(keyPort) }

// SetLastPort remembers the serial port a unit answered on.
func (s Store) SetLastPort(path string) { s.p.SetString(keyPort, path) }

// Notify reports whether desktop notifications of kind k are on (all are, until switched off).
func (s Store) Notify(k notify.Kind) bool {
	return s.p.BoolWithFallback(keyNotifyPrefix+string(k), true)
}

// SetNotify switches a kind of notification on or off.
func (s Store) SetNotify(k notify.Kind, on bool) { s.p.SetBool(keyNotifyPrefix+string(k), on) }

// WindowSize is the main window's size at the last close; ok is false when none was saved.
func (s Store) WindowSize() (size fyne.Size, ok bool) {
	w, h := s.p.Float(keyWinW), s.p.Float(keyWinH)
	if w < 400 || h < 300 || w > 20000 || h > 20000 {
		return fyne.Size{}, false
	}
	return fyne.NewSize(float32(w), float32(h)), true
}

// SetWindowSize remembers the main window's size.
func (s Store) SetWindowSize(sz fyne.Size) {
	s.p.SetFloat(keyWinW, float64(sz.Width))
	s.p.SetFloat(keyWinH, float64(sz.Height))
}

// MapView is the Fleet Map's centre and zoom.
type MapView struct {
	Lat, Lon float64
	Zoom     int
}

func (v MapView) valid() bool {
	return v.Zoom > 0 && v.Lat >= -90 && v.Lat <= 90 && v.Lon >= -180 && v.Lon <= 180
}
