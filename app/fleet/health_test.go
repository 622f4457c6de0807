package fleet

import (
	"slices"
	"testing"
	"time"
)

// Issue 11 item 7: an offline unit is not "Late"; the connection reads in the guide's words.
func TestConnectionInGuideWords(t *testing.T) {
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	on := Device{Transport: TransportWiFi, Online: true, LastSeen: now.Add(-30 * time.Second)}
	if got := on.Connection(now); got != "Online" {
		t.Errorf("online unit: %q", got)
	}
	off := Device{Transport: TransportGSM, Online: false, LastSeen: now.Add(-2 * time.Hour)}
	if got := off.Connection(now); got != "Offline since 13:00" {
		t.Errorf("offline unit: %q", got)
	}
	if h := off.HealthAt(now); h != HealthLost || h.Label() != "Lost contact" || !h.NeedsAttention() {
		t.Errorf("offline unit health %s (%q): the guide's lost contact, red", h, h.Label())
	}
	// The backend's flag says online, but the unit has been silent for days: offline.
	stale := Device{Transport: TransportWiFi, Online: true, LastSeen: now.Add(-3 * 24 * time.Hour)}
	if got := stale.Connection(now); got != "Offline since Thu 15:00" {
		t.Errorf("stale online flag: %q", got)
	}
	if got := (Device{}).Connection(now); got != "Offline, never seen" {
		t.Errorf("never seen: %q", got)
	}
}

func TestHealthRankWorstFirst(t *testing.T) {
	hs := slices.Clone(AllHealth)
	slices.SortFunc(hs, CompareHealth)
	want := []Health{HealthLost, HealthAttention, HealthLate, HealthLive}
	if !slices.Equal(hs, want) {
		t.Fatalf("worst first = %v, want %v", hs, want)
	}
	for _, h := range AllHealth {
		if h.Label() == string(h) || h.Label() == "" {
			t.Errorf("%s has no label", h)
		}
	}
}

func TestFixAge(t *testing.T) {
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	d := Device{LastSeen: now}
	if _, _, ok := d.FixAge(now); ok {
		t.Error("no GPS, no fix")
	}
	d.GPS = &Position{FixTime: now.Add(-time.Hour)}
	if at, stale, ok := d.FixAge(now); !ok || stale || !at.Equal(now.Add(-time.Hour)) {
		t.Errorf("fresh fix: %v %v %v", at, stale, ok)
	}
	d.GPS.FixTime = now.Add(-3 * 24 * time.Hour)
	if _, stale, _ := d.FixAge(now); !stale {
		t.Error("a 3-day-old fix must be stale")
	}
}

// While the backend is out of reach a unit's "Online" is only the last sync's; offline stays offline.
func TestConnectionAsOfTheLastSync(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	on := Device{ID: "D100-1", Transport: TransportWiFi, Online: true, LastSeen: now.Add(-time.Minute)}
	if got := on.ConnectionAsOf(now, true); got != "Online" {
		t.Errorf("live: %q", got)
	}
	if got := on.ConnectionAsOf(now, false); got != "Online at last sync" {
		t.Errorf("backend out of reach: %q", got)
	}
	off := on
	off.Online = false
	if got := off.ConnectionAsOf(now, false); got != off.Connection(now) {
		t.Errorf("offline unit, backend out of reach: %q, want %q", got, off.Connection(now))
	}
}
