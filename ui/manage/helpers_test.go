package manage

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

var now0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// startLive starts the test app and a dealer signed in to a simulated backend whose time stands
// still until the test advances it (advanceTo): a command reaches its unit and ends when the
// test says so, however loaded the machine.
func startLive(t *testing.T) *testfleet.Live {
	test.NewTempApp(t)
	return testfleet.StartLive(t, sim.Config{Devices: 300, Dealers: 2, Seed: 11, ManualClock: true, AccessTTL: 48 * time.Hour})
}

// advanceTo moves the backend's simulated time on a second at a time until cond (a question put
// to the backend, not to the page) holds, then brings the session's fleet up to date: simulated
// time then stands still at that moment, so the page can be checked against it (a unit's state
// does not drift on while the page catches up). It fails once limit of simulated time has passed.
func advanceTo(t *testing.T, live *testfleet.Live, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for spent := time.Duration(0); !cond(); spent += time.Second {
		if spent >= limit {
			t.Fatalf("%s did not happen within %s of simulated time", what, limit)
		}
		live.Server.Advance(time.Second)
	}
	if _, err := live.Session.Sync(context.Background(), nil); err != nil {
		t.Fatalf("sync at the moment %s: %v", what, err)
	}
}

// commandIs reports whether the backend has the command at status (or beyond, when it ended).
func commandIs(t *testing.T, live *testfleet.Live, id string, status fleet.CommandStatus) func() bool {
	return func() bool {
		c, err := live.Client.Command(context.Background(), id)
		if err != nil {
			t.Fatalf("command %s at the backend: %v", id, err)
		}
		return c.Status == status || c.Status.Final()
	}
}

// harness is a Manage page in a test window, driven on a test UI loop.
type harness struct {
	t    *testing.T
	loop *uitest.Loop
	win  fyne.Window
	page *Page
}

// loops is each running test's one UI loop: two pages of one test share it, as the app's pages
// share its one UI goroutine (Fyne's caches are not safe for two).
var loops = map[*testing.T]*uitest.Loop{}

func loopOf(t *testing.T) *uitest.Loop {
	if l, ok := loops[t]; ok {
		return l
	}
	l := uitest.NewLoop(t)
	loops[t] = l
	t.Cleanup(func() { delete(loops, t) })
	return l
}

// openPage shows the page for unit id in a window sized like the app's; it closes at the test's end.
func openPage(t *testing.T, svc session.Session, id string, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, loop: loopOf(t)}
	opts.UI = h.loop.Do
	h.loop.Run(func() {
		h.win = test.NewTempWindow(t, widget.NewLabel(""))
		opts.Window = h.win
		h.page = New(svc, id, opts)
		h.win.SetContent(h.page.Content())
		h.win.Resize(fyne.NewSize(1200, 800))
	})
	t.Cleanup(h.page.Close)
	return h
}

// do runs f on the page's UI loop; a t.Fatal inside f ends the test.
func (h *harness) do(f func()) { h.loop.Run(f) }

func (h *harness) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	h.loop.Eventually(t, 30*time.Second, what, cond)
}

// button is the page's visible button whose text starts with label ("" when there is none).
func button(root fyne.CanvasObject, label string) *widget.Button {
	var found *widget.Button
	uitest.Walk(root, true, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && found == nil && strings.HasPrefix(b.Text, label) {
			found = b
		}
	})
	return found
}

// actionButton is the button of an action on the page, nil when it is not offered.
func (h *harness) actionButton(act fleet.Action) *widget.Button {
	return button(h.page.Content(), act.DisplayName())
}

// enabled reports whether the action is offered and can be tapped (read on the loop).
func (h *harness) enabled(act fleet.Action) bool {
	b := h.actionButton(act)
	return b != nil && !b.Disabled()
}

// text is every visible label's text under root, one a line.
func text(root fyne.CanvasObject) string {
	var sb strings.Builder
	uitest.Walk(root, true, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			sb.WriteString(x.Text + "\n")
		case *widget.Card:
			sb.WriteString(x.Title + "\n" + x.Subtitle + "\n")
		case *widget.Check:
			sb.WriteString(x.Text + "\n")
		}
	})
	return sb.String()
}

// field is the value shown next to a Status key.
func field(root fyne.CanvasObject, key string) string {
	next, val := false, ""
	uitest.Walk(root, false, func(o fyne.CanvasObject) {
		l, ok := o.(*widget.Label)
		if !ok || val != "" {
			return
		}
		if next {
			val = l.Text
			return
		}
		next = l.Text == key && l.TextStyle.Bold
	})
	return val
}

// dialogTop is the dialog on top of the window, nil when none is open.
func (h *harness) dialogTop() fyne.CanvasObject { return h.win.Canvas().Overlays().Top() }

// dialogButton is a button of the top dialog.
func (h *harness) dialogButton(t *testing.T, label string) *widget.Button {
	t.Helper()
	top := h.dialogTop()
	if top == nil {
		t.Fatalf("no dialog open, looking for %q", label)
	}
	for _, o := range uitest.Objects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			return b
		}
	}
	t.Fatalf("no %q button in the dialog", label)
	return nil
}

// radio is the release picker's radio group in the top dialog.
func (h *harness) radio() *widget.RadioGroup {
	if top := h.dialogTop(); top != nil {
		for _, o := range uitest.Objects(top) {
			if r, ok := o.(*widget.RadioGroup); ok {
				return r
			}
		}
	}
	return nil
}

// pick finds a unit in the session's fleet that fits.
func pick(t *testing.T, ix *fleet.Index, ok func(fleet.Device) bool) fleet.Device {
	t.Helper()
	for _, d := range ix.Devices() {
		if ok(*d) {
			return *d
		}
	}
	t.Fatal("no unit in the simulated fleet fits the test")
	return fleet.Device{}
}

func reachable(now time.Time) func(fleet.Device) bool {
	return func(d fleet.Device) bool {
		return d.Online && d.Transport == fleet.TransportWiFi && d.HealthAt(now) == fleet.HealthLive &&
			d.RunState == fleet.RunStopped
	}
}

// lastCommandTitle is the "Last command" card's title and subtitle ("" while hidden).
func (h *harness) lastCommandTitle() string {
	var s string
	uitest.Walk(h.page.Content(), true, func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Card); ok && strings.HasPrefix(c.Title, "Last command") {
			s = c.Title + " · " + c.Subtitle + "\n" + text(c.Content)
		}
	})
	return s
}
