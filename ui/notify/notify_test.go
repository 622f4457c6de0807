package notify

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/notify"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// fakeFleet is an in-memory session.Fleet whose fleet and status the test replaces.
type fakeFleet struct {
	uitest.Listeners
	mu sync.Mutex
	ix *fleet.Index
	st session.Status
}

func (f *fakeFleet) Fleet() *fleet.Index    { f.mu.Lock(); defer f.mu.Unlock(); return f.ix }
func (f *fakeFleet) Status() session.Status { f.mu.Lock(); defer f.mu.Unlock(); return f.st }
func (f *fakeFleet) Actor() scope.Actor     { return scope.Actor{} }
func (f *fakeFleet) SyncNow()               {}
func (f *fakeFleet) Now() time.Time         { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) }
func (f *fakeFleet) set(ix *fleet.Index, st session.Status) {
	f.mu.Lock()
	f.ix, f.st = ix, st
	f.mu.Unlock()
}

// capture records what would go to the desktop.
type capture struct {
	mu  sync.Mutex
	got []string
}

func (c *capture) send(n *fyne.Notification) {
	c.mu.Lock()
	c.got = append(c.got, n.Title+" | "+n.Content)
	c.mu.Unlock()
}

func (c *capture) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.got
	c.got = nil
	return g
}

func foreground(a fyne.App, on bool) {
	lc := a.Lifecycle().(interface {
		OnEnteredForeground() func()
		OnExitedForeground() func()
	})
	if on {
		lc.OnEnteredForeground()()
	} else {
		lc.OnExitedForeground()()
	}
}

func units(n int) []fleet.Device {
	out := make([]fleet.Device, n)
	for i := range out {
		out[i] = fleet.Device{ID: fmt.Sprintf("GEN-%02d", i), Name: fmt.Sprintf("Pump %d", i), Online: true}
	}
	return out
}

// TestWatchNotifiesOnlyUnfocusedAndEnabledKinds drives the notifier with session changes the way
// the syncer sends them and checks what would reach the desktop.
func TestWatchNotifiesOnlyUnfocusedAndEnabledKinds(t *testing.T) {
	a := test.NewTempApp(t)
	p := prefs.New(a.Preferences())
	cap := &capture{}
	d := New(a, p)
	d.send = cap.send

	devs := units(5)
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	svc := &fakeFleet{}
	svc.set(fleet.NewIndex(slices.Clone(devs)), session.Status{Reachable: true, LastSync: t0})
	stop := d.Watch(svc)
	defer stop()

	// Focused: the dealer sees the window; nothing goes to the desktop.
	foreground(a, true)
	devs[1].Online = false
	svc.set(fleet.NewIndex(slices.Clone(devs)), session.Status{Reachable: true, LastSync: t0})
	svc.Notify(session.Change{Devices: []string{devs[1].ID}})
	if got := cap.take(); len(got) != 0 {
		t.Fatalf("notified while the window was focused: %v", got)
	}

	// Not focused: an alarm and a failed sync arrive.
	foreground(a, false)
	devs[2].Alarms = []string{"overcrank"}
	svc.set(fleet.NewIndex(slices.Clone(devs)), session.Status{Reachable: false, LastSync: t0, UnreachableWhy: "The backend cannot be reached."})
	svc.Notify(session.Change{Devices: []string{devs[2].ID}, Status: true})
	got := cap.take()
	want := []string{"Pump 2 raised an alarm | overcrank",
		"FleetDesk cannot sync | The backend cannot be reached. The fleet shown is from the last sync; FleetDesk keeps trying."}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}

	// Offline notifications switched off in Settings: an outage of a unit is silent, an alarm is not.
	p.SetNotify(notify.KindOffline, false)
	devs[3].Online = false
	devs[4].Alarms = []string{"low fuel"}
	svc.set(fleet.NewIndex(slices.Clone(devs)), session.Status{Reachable: true, LastSync: t0.Add(time.Minute)})
	svc.Notify(session.Change{Devices: []string{devs[3].ID, devs[4].ID}})
	if got := cap.take(); len(got) != 1 || got[0] != "Pump 4 raised an alarm | low fuel" {
		t.Fatalf("with offline notifications off: %q", got)
	}

	// The Rollouts page's and the Recovery page's notifications go through the same gate.
	d.Rollouts(fyne.NewNotification("Rollout finished", "2.4.1: 10 confirmed, 0 failed, 0 never returned"))
	var logged []recovery.ServiceLogEntry
	log := d.FlashLog(logFunc(func(e recovery.ServiceLogEntry) error { logged = append(logged, e); return nil }))
	if err := log.Record(recovery.ServiceLogEntry{Result: recovery.ResultFailed, Port: "/dev/ttyUSB0", Error: "no answer"}); err != nil {
		t.Fatal(err)
	}
	p.SetNotify(notify.KindFlash, false)
	_ = log.Record(recovery.ServiceLogEntry{Result: recovery.ResultOK, UnitSerial: "SN-1", VersionAfter: "2.4.1"})
	got = cap.take()
	want = []string{"Rollout finished | 2.4.1: 10 confirmed, 0 failed, 0 never returned", "Flash failed | the unit on /dev/ttyUSB0: no answer"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if len(logged) != 2 {
		t.Fatalf("the service log got %d entries, want both", len(logged))
	}
}

type logFunc func(recovery.ServiceLogEntry) error

func (f logFunc) Record(e recovery.ServiceLogEntry) error { return f(e) }

// TestWatchTakesChangesFromManyGoroutines: the syncer and the pages' own calls announce changes
// from several goroutines at once, and fyne.Do runs the watcher on each caller's goroutine under
// the test driver: the watcher's memory of what it has seen takes one change at a time (-race).
func TestWatchTakesChangesFromManyGoroutines(t *testing.T) {
	a := test.NewTempApp(t)
	d := New(a, prefs.New(a.Preferences()))
	cap := &capture{}
	d.send = cap.send
	foreground(a, false)
	devs := units(8)
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	svc := &fakeFleet{}
	svc.set(fleet.NewIndex(slices.Clone(devs)), session.Status{Reachable: true, LastSync: t0})
	stop := d.Watch(svc)
	defer stop()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				reachable := i%2 == 0
				svc.set(fleet.NewIndex(slices.Clone(devs)), session.Status{Reachable: reachable, LastSync: t0, UnreachableWhy: "down"})
				svc.Notify(session.Change{Devices: []string{devs[g].ID}, Status: true})
			}
		}()
	}
	wg.Wait()
	if len(cap.take()) == 0 {
		t.Fatal("no sync failure noted in 400 changes of reachability")
	}
}
