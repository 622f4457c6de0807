package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim/unit"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// TestRecoveryStartsWhereAUnitLastAnswered (issue 24 item 9): the technician types a pty path
// (no enumerator lists it), picks 921600 baud and connects; after a restart of the app the
// Recovery page starts on that port and baud, from the app's preferences.
func TestRecoveryStartsWhereAUnitLastAnswered(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	app := test.NewTempApp(t)
	app.Preferences().SetString(tilePrefKey, `{"Kind":"basemap"}`)
	u := &loopUI{loop: uitest.NewLoop(t), t: t}
	sim, err := unit.New(unit.Config{Baud: 921600})
	if err != nil {
		t.Fatal(err)
	}
	pty, err := sim.ServePTY(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })

	open := func() (s *ui.Shell, win fyne.Window) {
		svc, _ := testfleet.Offline(t, 50, now)
		u.run(func() {
			win = test.NewTempWindow(t, widget.NewLabel(""))
			win.Resize(fyne.NewSize(1300, 820))
			s = New(Options{App: app, Window: win, UI: u.do}).Shell()
			s.Start(svc)
			if !s.ShowPage(ui.PageRecovery) {
				t.Fatal("no Recovery page")
			}
		})
		return s, win
	}
	portEntry := func(win fyne.Window) *kit.SelectEntry {
		return one[*kit.SelectEntry](t, "port field", win.Content(), nil)
	}
	baudSelect := func(win fyne.Window) *widget.Select {
		return one[*widget.Select](t, "baud choice", win.Content(), func(s *widget.Select) bool {
			return len(s.Options) > 0 && s.Options[0] == "115200"
		})
	}

	s, win := open()
	u.run(func() {
		test.Type(portEntry(win), pty.Path)
		baudSelect(win).SetSelected("921600")
		test.Tap(one[*widget.Button](t, "Connect", win.Content(), func(b *widget.Button) bool { return b.Text == "Connect" }))
	})
	u.eventually(20*time.Second, "the unit to answer", func() bool {
		return len(find(win.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "Connected to "+pty.Path) })) > 0
	})
	u.run(s.Close) // the window's close

	s2, win2 := open()
	t.Cleanup(func() { u.run(s2.Close) })
	u.eventually(10*time.Second, "the port listing", func() bool { return portEntry(win2).Text != "" })
	u.run(func() {
		if got := portEntry(win2).Text; got != pty.Path {
			t.Fatalf("after the restart the port reads %q, want %s", got, pty.Path)
		}
		if got := baudSelect(win2).Selected; got != "921600" {
			t.Fatalf("after the restart the baud reads %q, want 921600", got)
		}
	})
}
