package prefs

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/notify"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// TestDefaultsAndBadValues: a fresh install gets the data layer's and pages' own defaults, and a
// hand-edited or stale preferences file cannot put an unusable value on screen.
func TestDefaultsAndBadValues(t *testing.T) {
	p := test.NewTempApp(t).Preferences()
	s := New(p)
	if s.Theme() != ThemeSystem || s.SyncInterval() != DefaultSyncInterval || s.Threshold() != rollout.DefaultThreshold ||
		s.Baud() != recovery.DefaultBaud || !s.Notify(notify.KindAlarm) {
		t.Fatal("fresh defaults are not the pages' own")
	}
	if _, ok := s.WindowSize(); ok {
		t.Fatal("a window size without one saved")
	}
	p.SetString(keyTheme, "purple")
	p.SetInt(keySyncInterval, 1)
	p.SetInt(keyBaud, 1234)
	p.SetInt(keyThreshUnits, -4)
	p.SetFloat(keyWinW, 10)
	if s.Theme() != ThemeSystem || s.SyncInterval() != DefaultSyncInterval || s.Baud() != recovery.DefaultBaud ||
		s.Threshold() != rollout.DefaultThreshold {
		t.Fatal("a bad stored value was used")
	}
	if _, ok := s.WindowSize(); ok {
		t.Fatal("a 10-pixel window size was accepted")
	}
	if err := s.SetThreshold(rollout.Threshold{Units: 0, Percent: 0}); err == nil {
		t.Fatal("a threshold that can never trip was stored")
	}
	s.SetSyncInterval(time.Minute)
	s.SetWindowSize(fyne.NewSize(1000, 700))
	if s.SyncInterval() != time.Minute {
		t.Fatal("interval not stored")
	}
	if sz, ok := s.WindowSize(); !ok || sz != fyne.NewSize(1000, 700) {
		t.Fatalf("window size %v %v", sz, ok)
	}
}
