package notify

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/session"
)

func fleetOf(n int) []fleet.Device {
	out := make([]fleet.Device, n)
	for i := range out {
		out[i] = fleet.Device{ID: fmt.Sprintf("GEN-%03d", i), Name: fmt.Sprintf("Pump %d", i), Online: true}
	}
	return out
}

func TestFleetNotesOnlyWhatChanged(t *testing.T) {
	var d Decider
	devs := fleetOf(10)
	devs[9].Online = false // offline already at the start: no note
	devs[8].Alarms = []string{"low fuel"}
	if notes := d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{All: true}); len(notes) != 0 {
		t.Fatalf("the first view notified: %v", notes)
	}

	devs[2].Online = false
	devs[8].Alarms = []string{"low fuel", "overcrank"} // one new alarm
	devs[5].Name = "renamed"                           // changed, nothing to say
	notes := d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{Devices: []string{devs[2].ID, devs[8].ID, devs[5].ID, devs[9].ID}})
	if len(notes) != 2 {
		t.Fatalf("want an offline and an alarm note, got %v", notes)
	}
	if notes[0].Kind != KindOffline || notes[0].Title != "Pump 2 went offline" {
		t.Errorf("offline note %+v", notes[0])
	}
	if notes[1].Kind != KindAlarm || notes[1].Title != "Pump 8 raised an alarm" || notes[1].Body != "overcrank" {
		t.Errorf("alarm note %+v", notes[1])
	}

	// The same state again (another sync touching the units): nothing new.
	if notes := d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{Devices: []string{devs[2].ID, devs[8].ID}}); len(notes) != 0 {
		t.Fatalf("repeated state notified again: %v", notes)
	}
	// Back online, then offline again: a new note.
	devs[2].Online = true
	d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{Devices: []string{devs[2].ID}})
	devs[2].Online = false
	if notes := d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{Devices: []string{devs[2].ID}}); len(notes) != 1 {
		t.Fatalf("second outage: %v", notes)
	}
}

func TestFleetSummarisesAnOutage(t *testing.T) {
	var d Decider
	devs := fleetOf(50)
	d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{All: true})
	var ids []string
	for i := range 40 {
		devs[i].Online = false
		ids = append(ids, devs[i].ID)
	}
	notes := d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{Devices: ids})
	if len(notes) != 1 || notes[0].Title != "40 units went offline" || !strings.HasPrefix(notes[0].Body, "Including Pump 0, Pump 1, Pump 2") {
		t.Fatalf("outage of 40 units: %v", notes)
	}
	// A replaced fleet (rebuilt cache) is learnt, not announced.
	for i := range devs {
		devs[i].Online = !devs[i].Online
	}
	if notes := d.Fleet(fleet.NewIndex(slices.Clone(devs)), session.Change{All: true}); len(notes) != 0 {
		t.Fatalf("a replaced fleet notified: %v", notes)
	}
}

func TestSyncFailureAfterWorking(t *testing.T) {
	var d Decider
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	// Never worked since the start: the status bar says so, no notification.
	if n := d.Status(session.Status{Reachable: false, UnreachableWhy: "cannot reach"}); n != nil {
		t.Fatalf("notified before any sync worked: %v", n)
	}
	d.Status(session.Status{Reachable: true, LastSync: t0})
	n := d.Status(session.Status{Reachable: false, LastSync: t0, UnreachableWhy: "The backend cannot be reached."})
	if len(n) != 1 || n[0].Kind != KindSync || !strings.HasPrefix(n[0].Body, "The backend cannot be reached.") {
		t.Fatalf("first failure: %v", n)
	}
	if n := d.Status(session.Status{Reachable: false, LastSync: t0}); n != nil {
		t.Fatalf("the same outage notified twice: %v", n)
	}
	d.Status(session.Status{Reachable: true, LastSync: t0.Add(time.Minute)})
	if n := d.Status(session.Status{Reachable: false, LastSync: t0.Add(time.Minute)}); len(n) != 1 {
		t.Fatalf("a second outage after recovery: %v", n)
	}
}

func TestFlashNotes(t *testing.T) {
	n, ok := Flash(recovery.ServiceLogEntry{Result: recovery.ResultOK, UnitSerial: "SN-7", VersionAfter: "2.4.1"})
	if !ok || n.Title != "Flash completed" || n.Body != "SN-7 now runs 2.4.1." {
		t.Fatalf("ok: %+v %v", n, ok)
	}
	n, ok = Flash(recovery.ServiceLogEntry{Result: recovery.ResultFailed, Port: "COM3", Error: "the unit stopped answering"})
	if !ok || n.Title != "Flash failed" || n.Body != "the unit on COM3: the unit stopped answering" {
		t.Fatalf("failed: %+v %v", n, ok)
	}
	if _, ok := Flash(recovery.ServiceLogEntry{Result: recovery.ResultRefused}); ok {
		t.Fatal("a refusal (nothing flashed) notified")
	}
}
