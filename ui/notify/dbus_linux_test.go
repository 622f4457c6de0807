//go:build linux

package notify

import (
	"os"
	"testing"
	"time"

	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/test"
	"github.com/godbus/dbus/v5"

	"github.com/fleetdesk/fleetdesk/app/notify"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// notificationServer stands in for the desktop's notification daemon: it owns
// org.freedesktop.Notifications on the session bus and hands over every Notify call.
type notificationServer struct{ got chan [3]string }

// Notify implements org.freedesktop.Notifications.Notify.
func (s *notificationServer) Notify(app string, _ uint32, _ string, summary, body string, _ []string,
	_ map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
	s.got <- [3]string{app, summary, body}
	return 1, nil
}

// TestNotificationsReachTheDesktopBus sends through the real Fyne app (the desktop driver's
// D-Bus path, as on a dealer's Linux desktop) and reads what arrives at the notification daemon
// it replaces on a private session bus. Run under scripts/with-keyring.sh (dbus-run-session).
func TestNotificationsReachTheDesktopBus(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session D-Bus: run under scripts/with-keyring.sh")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skipf("session D-Bus: %v", err)
	}
	defer conn.Close()
	srv := &notificationServer{got: make(chan [3]string, 8)}
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatal(err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Skip("a notification daemon already runs on this session bus (not a private one)")
	}

	mem := test.NewTempApp(t).Preferences() // settings in memory, not in the user's config
	real := fyneapp.NewWithID("io.fleetdesk.notifytest")
	p := prefs.New(mem)
	d := New(real, p)

	next := func() [3]string {
		t.Helper()
		select {
		case n := <-srv.got:
			return n
		case <-time.After(30 * time.Second):
			t.Fatal("no notification arrived on the bus")
		}
		return [3]string{}
	}

	if !d.Show(notify.Note{Kind: notify.KindOffline, Title: "Pump 7 went offline", Body: "No contact from GEN-7 since the last sync."}) {
		t.Fatal("Show refused a note while the window is not focused")
	}
	if n := next(); n != [3]string{"io.fleetdesk.notifytest", "Pump 7 went offline", "No contact from GEN-7 since the last sync."} {
		t.Fatalf("arrived %q", n)
	}

	// Focused, then a kind switched off: neither is sent; the next note that is sent is the first
	// to arrive, so nothing else came in between.
	foreground(real, true)
	if d.Show(notify.Note{Kind: notify.KindAlarm, Title: "hidden while focused"}) {
		t.Fatal("sent while the window is focused")
	}
	foreground(real, false)
	p.SetNotify(notify.KindSync, false)
	if d.Show(notify.Note{Kind: notify.KindSync, Title: "switched off"}) {
		t.Fatal("sent a kind switched off in Settings")
	}
	log := d.FlashLog(nil)
	_ = log.Record(recovery.ServiceLogEntry{Result: recovery.ResultOK, UnitSerial: "SN-12", VersionAfter: "3.1.0"})
	if n := next(); n[1] != "Flash completed" || n[2] != "SN-12 now runs 3.1.0." {
		t.Fatalf("arrived %q, want the flash note", n)
	}
}
